import type { InternedKeys, KeyState } from "./interned_keys.ts";
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
  /** Per dimension, `[key, delta]` added in this slot (keys that net to zero left out). */
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

/**
 * What the RSVPs of one profile add to a slot, net: "yes" and "no" RSVPs (negative for
 * take-backs), and the order in which the profile last added one (`-1` if it never did).
 */
interface Share {
  profile: Profile;
  yes: number;
  no: number;
  lastAdded: number;
}

/**
 * The shares of one slot's RSVPs by profile: one map update per RSVP; the keyed deltas (about
 * 15 keys per RSVP) are summed once, when the slot is sent.
 */
class Shares {
  #byProfile = new Map<Profile, Share>();

  /** Adds `sign` RSVPs of `profile` with response `yes`; `seq` orders additions for labels. */
  add(profile: Profile, yes: boolean, sign: 1 | -1, seq: number): void {
    let share = this.#byProfile.get(profile);
    if (share === undefined) {
      share = { profile, yes: 0, no: 0, lastAdded: -1 };
      this.#byProfile.set(profile, share);
    }
    if (yes) share.yes += sign;
    else share.no += sign;
    if (sign === 1) share.lastAdded = seq;
  }

  values(): IterableIterator<Share> {
    return this.#byProfile.values();
  }

  /**
   * The keyed deltas per dimension, keys in the order they first appear, without keys that
   * net to zero. Beyond `max` keys in a dimension, a key's delta goes to `overflow` instead.
   */
  toKeys(interned: InternedKeys, max: number, overflow: (count: number) => void) {
    const stamp = interned.stamp();
    const touched: KeyState[][] = DIMENSIONS.map(() => []);
    const add = (dim: number, k: KeyState, delta: number) => {
      if (k.stamp !== stamp) {
        const list = touched[dim] as KeyState[];
        if (list.length >= max) {
          overflow(Math.abs(delta));
          return;
        }
        k.stamp = stamp;
        k.count = 0;
        list.push(k);
      }
      k.count += delta;
    };
    for (const { profile, yes, no } of this.#byProfile.values()) {
      const keys = interned.of(profile);
      // Events count "yes" RSVPs only: the top events are ranked by yes.
      if (yes !== 0) add(EVENTS, keys.event, yes);
      const all = yes + no;
      if (all === 0) continue;
      for (const topic of keys.topics) add(TOPICS, topic, all);
      add(GROUPS, keys.group, all);
      add(COUNTRIES, keys.country, all);
      add(CITIES, keys.city, all);
    }
    return touched.map((list) => {
      const entries: [string, number][] = [];
      for (const k of list) if (k.count !== 0) entries.push([k.key, k.count]);
      return entries;
    });
  }
}

/** Which labels a closed slot sends: those not sent in the last `resendSlots` slots, or changed. */
export interface LabelPolicy {
  slot: number;
  resendSlots: number;
}

/** Accumulates one partition's slot; {@linkcode toData} gives the message form. */
export class SlotBuilder {
  readonly counts: number[] = new Array(COUNTS_LENGTH).fill(0);
  #shares = new Shares();
  #removes = new Map<number, { yes: number; no: number; shares: Shares }>();
  #seq = 0;
  /** The newest geo points, a ring: `#geoNext` is where the next one goes once it is full. */
  #geo: GeoTuple[] = [];
  #geoNext = 0;
  #bounds: SlotBounds;
  #interned: InternedKeys;

  constructor(bounds: SlotBounds, interned: InternedKeys) {
    this.#bounds = bounds;
    this.#interned = interned;
  }

  /** Adds (`sign` 1) or subtracts (-1) an RSVP's keys in this slot. */
  contribute(profile: Profile, yes: boolean, sign: 1 | -1): void {
    bump(this.counts, yes ? COUNT.windowYes : COUNT.windowNo, sign);
    this.#shares.add(profile, yes, sign, this.#seq++);
  }

  /** Records that a repeat in this slot takes an RSVP's earlier contribution out of `slot`. */
  remove(slot: number, profile: Profile, yes: boolean): void {
    let entry = this.#removes.get(slot);
    if (entry === undefined) {
      entry = { yes: 0, no: 0, shares: new Shares() };
      this.#removes.set(slot, entry);
    }
    if (yes) entry.yes++;
    else entry.no++;
    entry.shares.add(profile, yes, -1, -1);
  }

  /** Keeps a geo point, dropping the oldest beyond the bound. */
  geo(point: GeoTuple): void {
    const max = this.#bounds.geoPoints;
    if (max === 0) return;
    if (this.#geo.length < max) {
      this.#geo.push(point);
      return;
    }
    this.#geo[this.#geoNext] = point;
    this.#geoNext = (this.#geoNext + 1) % max;
  }

  /**
   * The message form: plain arrays and records. With a `policy`, a label travels only when
   * the worker did not send the same text recently (and it is then remembered as sent);
   * without one, every label does. An event's and a group's label are those of the RSVP that
   * added it last; a topic's name, of the first. Called once per builder: summing the keys is
   * when keys past the bound are counted as overflow.
   */
  toData(policy?: LabelPolicy): SlotData {
    const overflow = (count: number) => bump(this.counts, COUNT.overflow, count);
    const max = this.#bounds.slotKeysMax;
    const keys = this.#shares.toKeys(this.#interned, max, overflow);
    const removes = [...this.#removes].map(([slot, entry]) => ({
      slot,
      yes: entry.yes,
      no: entry.no,
      keys: entry.shares.toKeys(this.#interned, max, overflow),
    }));
    return {
      counts: [...this.counts],
      keys,
      removes,
      labels: this.#labels(policy),
      geo: [...this.#geo.slice(this.#geoNext), ...this.#geo.slice(0, this.#geoNext)],
    };
  }

  #labels(policy: LabelPolicy | undefined): SlotData["labels"] {
    const stamp = this.#interned.stamp();
    const events: KeyState[] = [];
    const groups: KeyState[] = [];
    const topics: KeyState[] = [];
    // The newest adding profile per event and group, the first per topic.
    const choose = (list: KeyState[], k: KeyState, p: Profile, seq: number, index = -1) => {
      if (k.labelStamp !== stamp) {
        k.labelStamp = stamp;
        k.labelSeq = seq;
        k.labelOf = p;
        k.labelIndex = index;
        list.push(k);
      } else if (index < 0 && seq > k.labelSeq) {
        k.labelSeq = seq;
        k.labelOf = p;
      }
    };
    for (const { profile: p, lastAdded } of this.#shares.values()) {
      if (lastAdded < 0) continue;
      const keys = this.#interned.of(p);
      choose(events, keys.event, p, lastAdded);
      choose(groups, keys.group, p, lastAdded);
      for (let i = 0; i < keys.topics.length; i++) {
        choose(topics, keys.topics[i] as KeyState, p, lastAdded, i);
      }
    }
    const send = (k: KeyState, a: string, b?: string, c?: string, d?: string) =>
      policy === undefined || k.mustSend(policy.slot, policy.resendSlots, a, b, c, d);
    const labels: SlotData["labels"] = { events: {}, topics: {}, groups: {} };
    for (const k of events) {
      const p = k.labelOf as Profile;
      if (send(k, p.eventName, p.eventUrl)) labels.events[k.key] = [p.eventName, p.eventUrl];
    }
    for (const k of groups) {
      const p = k.labelOf as Profile;
      if (send(k, p.groupName, p.groupUrlname, p.city, p.country)) {
        labels.groups[k.key] = [p.groupName, p.groupUrlname, p.city, p.country];
      }
    }
    for (const k of topics) {
      const p = k.labelOf as Profile;
      const name = p.topicNames[k.labelIndex] as string;
      if (send(k, name)) labels.topics[k.key] = name;
    }
    for (const list of [events, groups, topics]) for (const k of list) k.labelOf = undefined;
    return labels;
  }
}
