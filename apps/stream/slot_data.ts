import type { Profile } from "./profile.ts";

/** The keyed dimensions, in the order of every per-dimension array. */
export const DIMENSIONS = ["events", "topics", "groups", "countries", "cities"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const EVENTS = 0;
export const TOPICS = 1;
export const GROUPS = 2;
export const COUNTRIES = 3;
export const CITIES = 4;

/** Indexes into {@linkcode SlotData.counts}. */
export const COUNT = {
  /** Distinct RSVPs placed in the slot, by response (the sliding window counts). */
  windowYes: 0,
  windowNo: 1,
  /** New RSVPs and changed responses in the slot (the per-slot series). */
  seriesYes: 2,
  seriesNo: 3,
  /** Changes to the running totals (a flip is -1 on one side, +1 on the other). */
  totalYes: 4,
  totalNo: 5,
  late: 6,
  duplicates: 7,
  flips: 8,
  rejected: 9,
  overflow: 10,
} as const;
const COUNTS_LENGTH = 11;

/**
 * A geo point: `[lat, lon, yes ? 1 : 0, event id, time, raw offset]`. The event's name and url
 * travel once per slot in the labels, not once per point.
 */
export type GeoTuple = [number, number, 0 | 1, string, number, number];

/** A group's label: `[name, urlname, city, country]`. */
export type GroupLabel = [string, string, string, string];

/** One partition's contribution to one slot, as it travels on the partials topic. */
export interface SlotData {
  counts: number[];
  /** Per dimension, `[key, delta]` added in this slot. */
  keys: [string, number][][];
  /** Contributions taken back from earlier slots by repeats in this slot. */
  removes: { slot: number; yes: number; no: number; keys: [string, number][][] }[];
  /**
   * Display labels of keys added here: events `[name, url]`, topics name, groups
   * `[name, urlname, city, country]`.
   */
  labels: {
    events: Record<string, [string, string]>;
    topics: Record<string, string>;
    groups: Record<string, GroupLabel>;
  };
  /** The newest new RSVPs with a location in this slot, oldest first. */
  geo: GeoTuple[];
}

/** Bounds of a {@linkcode SlotBuilder}. */
export interface SlotBounds {
  /** Distinct keys per dimension; further keys are counted as overflow. */
  slotKeysMax: number;
  /** Geo points kept (the newest). */
  geoPoints: number;
}

/** Adds `delta` to `counts[index]`. */
export function bump(counts: number[], index: number, delta = 1): void {
  counts[index] = (counts[index] ?? 0) + delta;
}

const OVERFLOWED = 0;
const ADDED = 1;
const UPDATED = 2;

/** Keyed deltas of one dimension, bounded: says whether the key was added, updated or dropped. */
function addKey(map: Map<string, number>, key: string, delta: number, max: number): number {
  const current = map.get(key);
  if (current !== undefined) {
    map.set(key, current + delta);
    return UPDATED;
  }
  if (map.size >= max) return OVERFLOWED;
  map.set(key, delta);
  return ADDED;
}

const sendEveryLabel: LabelFilter = () => true;

/** Accumulates one partition's slot; {@linkcode toData} gives the message form. */
export class SlotBuilder {
  readonly counts: number[] = new Array(COUNTS_LENGTH).fill(0);
  #keys: Map<string, number>[] = DIMENSIONS.map(() => new Map());
  #removes = new Map<number, { yes: number; no: number; keys: Map<string, number>[] }>();
  // Labels by reference to the newest profile (no allocation per record); topic names are
  // taken once per slot, as a topic's name does not change.
  #events = new Map<string, Profile>();
  #topics = new Map<string, string>();
  #groups = new Map<string, Profile>();
  #geo: GeoTuple[] = [];
  #bounds: SlotBounds;

  constructor(bounds: SlotBounds) {
    this.#bounds = bounds;
  }

  /** Adds (`sign` 1) or subtracts (-1) an RSVP's keys in this slot. */
  contribute(profile: Profile, yes: boolean, sign: 1 | -1): void {
    bump(this.counts, yes ? COUNT.windowYes : COUNT.windowNo, sign);
    this.#contributeKeys(this.#keys, profile, yes, sign);
    if (sign === 1) this.#label(profile);
  }

  /** Records that a repeat in this slot takes an RSVP's earlier contribution out of `slot`. */
  remove(slot: number, profile: Profile, yes: boolean): void {
    let entry = this.#removes.get(slot);
    if (entry === undefined) {
      entry = { yes: 0, no: 0, keys: DIMENSIONS.map(() => new Map()) };
      this.#removes.set(slot, entry);
    }
    if (yes) entry.yes++;
    else entry.no++;
    this.#contributeKeys(entry.keys, profile, yes, -1);
  }

  #contributeKeys(maps: Map<string, number>[], p: Profile, yes: boolean, sign: 1 | -1): void {
    const max = this.#bounds.slotKeysMax;
    let overflow = 0;
    // Events count "yes" RSVPs only: the top events are ranked by yes.
    if (yes && addKey(maps[EVENTS] as Map<string, number>, p.eventId, sign, max) === OVERFLOWED) {
      overflow++;
    }
    const topics = maps[TOPICS] as Map<string, number>;
    const labelled = sign === 1 && maps === this.#keys;
    for (let i = 0; i < p.topicKeys.length; i++) {
      const key = p.topicKeys[i] as string;
      const added = addKey(topics, key, sign, max);
      if (added === OVERFLOWED) overflow++;
      else if (added === ADDED && labelled) this.#topics.set(key, p.topicNames[i] as string);
    }
    if (addKey(maps[GROUPS] as Map<string, number>, p.groupKey, sign, max) === OVERFLOWED) {
      overflow++;
    }
    if (addKey(maps[COUNTRIES] as Map<string, number>, p.country, sign, max) === OVERFLOWED) {
      overflow++;
    }
    if (addKey(maps[CITIES] as Map<string, number>, p.cityKey, sign, max) === OVERFLOWED) {
      overflow++;
    }
    if (overflow > 0) bump(this.counts, COUNT.overflow, overflow);
  }

  #label(p: Profile): void {
    this.#events.set(p.eventId, p);
    this.#groups.set(p.groupKey, p);
  }

  /** Keeps a geo point, dropping the oldest beyond the bound. */
  geo(point: GeoTuple): void {
    if (this.#bounds.geoPoints === 0) return;
    if (this.#geo.length >= this.#bounds.geoPoints) this.#geo.shift();
    this.#geo.push(point);
  }

  /**
   * The message form: plain arrays and records, keys in insertion order. `sendLabel` decides
   * per label whether it travels (a worker skips labels it sent recently and unchanged).
   */
  toData(sendLabel: LabelFilter = sendEveryLabel): SlotData {
    const entries = (maps: Map<string, number>[]) => maps.map((map) => [...map]);
    const events: Record<string, [string, string]> = {};
    for (const [key, p] of this.#events) {
      if (sendLabel(EVENTS, key, p.eventName, p.eventUrl)) events[key] = [p.eventName, p.eventUrl];
    }
    const topics: Record<string, string> = {};
    for (const [key, name] of this.#topics) if (sendLabel(TOPICS, key, name)) topics[key] = name;
    const groups: Record<string, GroupLabel> = {};
    for (const [key, p] of this.#groups) {
      if (sendLabel(GROUPS, key, p.groupName, p.groupUrlname, p.city, p.country)) {
        groups[key] = [p.groupName, p.groupUrlname, p.city, p.country];
      }
    }
    return {
      counts: [...this.counts],
      keys: entries(this.#keys),
      removes: [...this.#removes].map(([slot, entry]) => ({
        slot,
        yes: entry.yes,
        no: entry.no,
        keys: entries(entry.keys),
      })),
      labels: { events, topics, groups },
      geo: [...this.#geo],
    };
  }
}

/**
 * Decides whether one label is sent: its dimension (`EVENTS`, `TOPICS`, `GROUPS`), key, and
 * the label's parts (unused parts are empty).
 */
export type LabelFilter = (
  dim: number,
  key: string,
  a: string,
  b?: string,
  c?: string,
  d?: string,
) => boolean;
