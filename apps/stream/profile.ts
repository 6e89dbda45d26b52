import { decodeUtf8, isRsvp, type Rsvp } from "../../modules/rsvp/mod.ts";
import type { ProfileKeys } from "./interned_keys.ts";
import { type Compiler, type RsvpScanner, rsvpScanner, SCAN } from "./rsvp_scan.ts";

/** The fields of one RSVP the stream counts by. */
export interface Extracted {
  id: number;
  mtime: number;
  yes: boolean;
  profile: Profile;
}

/**
 * What one RSVP adds to the windows, apart from its response: the keys it counts under in
 * each dimension and their display labels. Kept per `rsvp_id` so a repeat can take back
 * exactly what the earlier message added.
 */
export interface Profile {
  eventId: string;
  eventName: string;
  eventUrl: string;
  /** `String(group_id)`. */
  groupKey: string;
  groupName: string;
  groupUrlname: string;
  /** Lower-case ISO-2, the group's. */
  country: string;
  /** `country/city`, the group's (the country is always two letters, so the key splits). */
  cityKey: string;
  city: string;
  /** Distinct topic urlkeys of the group, in their order. */
  topicKeys: string[];
  topicNames: string[];
  /** The venue's location, else the group's; `NaN` when both are (0, 0). */
  lat: number;
  lon: number;
  /** The keys as the partition worker holding the profile interned them. */
  keys: ProfileKeys | undefined;
}

/** The city key of a group: `country/city`. */
export function cityKey(country: string, city: string): string {
  return `${country}/${city}`;
}

/** Splits a city key back into its parts. */
export function splitCityKey(key: string): { country: string; city: string } {
  return { country: key.slice(0, 2), city: key.slice(3) };
}

/**
 * Extracts the {@linkcode Profile} of an RSVP.
 *
 * @example
 * ```ts
 * const profile = profileOf(rsvp);
 * profile.topicKeys; // ["softwaredev", ...]
 * ```
 */
export function profileOf(rsvp: Rsvp): Profile {
  const { event, group, venue } = rsvp;
  const topicKeys: string[] = [];
  const topicNames: string[] = [];
  // A topic listed twice in a group must not count the RSVP twice.
  const seen = new Set<string>();
  for (const topic of group.group_topics) {
    if (seen.has(topic.urlkey)) continue;
    seen.add(topic.urlkey);
    topicKeys.push(topic.urlkey);
    topicNames.push(topic.topic_name);
  }
  let lat = Number.NaN;
  let lon = Number.NaN;
  if (venue !== undefined && !(venue.lat === 0 && venue.lon === 0)) {
    lat = venue.lat;
    lon = venue.lon;
  } else if (!(group.group_lat === 0 && group.group_lon === 0)) {
    lat = group.group_lat;
    lon = group.group_lon;
  }
  return {
    eventId: event.event_id,
    eventName: event.event_name,
    eventUrl: event.event_url,
    groupKey: String(group.group_id),
    groupName: group.group_name,
    groupUrlname: group.group_urlname,
    country: group.group_country,
    cityKey: cityKey(group.group_country, group.group_city),
    city: group.group_city,
    topicKeys,
    topicNames,
    lat,
    lon,
    keys: undefined,
  };
}

/**
 * Reads the fields the stream counts by from the raw bytes, after the same schema check ingest
 * ran (`isRsvp` of `modules/rsvp`, a fraction of a microsecond), so a message another producer
 * wrote to the raw topic is rejected exactly as ingest would have rejected it, never a crash.
 * With a {@linkcode ProfileCache}, most records take its native fast path instead, with the same
 * answers.
 *
 * @returns The RSVP's id, mtime, response and profile, or `undefined` when the bytes are not
 * an RSVP.
 */
export function extractRsvp(bytes: Uint8Array, cache?: ProfileCache): Extracted | undefined {
  if (cache !== undefined) return cache.extract(bytes);
  const json = parseRsvp(bytes);
  if (json === undefined) return undefined;
  return {
    id: json.rsvp_id,
    mtime: json.mtime,
    yes: json.response === "yes",
    profile: profileOf(json),
  };
}

/** The exact path: `decodeUtf8`, `JSON.parse`, `isRsvp`. */
function parseRsvp(bytes: Uint8Array): Rsvp | undefined {
  const text = decodeUtf8(bytes);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isRsvp(json) ? json : undefined;
}

/** Distinct events a {@linkcode ProfileCache} holds before it starts over. */
const PROFILE_CACHE_EVENTS_MAX = 50_000;
/** Distinct profile keys (event, group, venue bytes) the fast path holds before it starts over. */
const PROFILE_KEYS_MAX = 50_000;

/** How a {@linkcode ProfileCache} answered, since it was made. */
export interface ProfileCacheCounters {
  /** Records the native scan read, reusing the profile of equal event, group and venue bytes. */
  fast: number;
  /** Records the native scan accepted but whose event, group or venue was new: exact path. */
  newKeys: number;
  /** Records the native scan left to the exact path (unusual shape, or not an RSVP). */
  exact: number;
}

/**
 * Shares one {@linkcode Profile} among the RSVPs of an event whose keys and labels are the
 * same, so the placements a worker keeps for the window (hundreds of thousands at 1,000
 * RSVPs/s) hold a reference each instead of a copy of every string. A profile is reused only
 * when every field it holds matches, so results never depend on the cache.
 */
export class ProfileCache {
  #byEvent = new Map<string, Profile>();
  #native: RsvpScanner | undefined;
  #keysMax: number;
  /** The profiles the native cache refers to, by index. */
  #profiles: Profile[] = [];
  readonly counters: ProfileCacheCounters = { fast: 0, newKeys: 0, exact: 0 };

  /**
   * `native: false` keeps to the exact path (the reference the fast path is tested against);
   * `compiler` picks the native library's build (tests compare both); `keysMax` bounds the
   * native cache (it starts over when full).
   */
  constructor(options: { native?: boolean; compiler?: Compiler; keysMax?: number } = {}) {
    this.#keysMax = options.keysMax ?? PROFILE_KEYS_MAX;
    this.#native =
      options.native === false ? undefined : rsvpScanner(this.#keysMax, options.compiler);
  }

  /** Frees the native cache; later records take the exact path. */
  close(): void {
    this.#native?.close();
    this.#native = undefined;
    this.#profiles = [];
  }

  /**
   * {@linkcode extractRsvp} with this cache. The native scan (`native/rsvp_scan.c`) reads id,
   * mtime and response and finds the event, group and venue; when their bytes equal those of a
   * record the exact path accepted earlier, that record's profile is reused (a JSON value's
   * meaning does not depend on what surrounds it). Anything else takes the exact path.
   */
  extract(bytes: Uint8Array): Extracted | undefined {
    const native = this.#native;
    const found = native === undefined ? SCAN.unknown : native.scan(bytes);
    if (found === SCAN.cached) {
      this.counters.fast++;
      const out = (native as RsvpScanner).out;
      const profile = this.#profiles[out[3] as number] as Profile;
      return { id: out[0] as number, mtime: out[1] as number, yes: out[2] === 1, profile };
    }
    if (found === SCAN.newKey) this.counters.newKeys++;
    else this.counters.exact++;
    const json = parseRsvp(bytes);
    if (json === undefined) return undefined;
    const profile = this.profileOf(json);
    if (found === SCAN.newKey && native !== undefined) {
      if (this.#profiles.length >= this.#keysMax) {
        native.clear();
        this.#profiles = [];
      }
      if (native.put(bytes, this.#profiles.length)) this.#profiles.push(profile);
    }
    return { id: json.rsvp_id, mtime: json.mtime, yes: json.response === "yes", profile };
  }

  /** The profile of `rsvp`: a cached equal one, or a new one. */
  profileOf(rsvp: Rsvp): Profile {
    const cached = this.#byEvent.get(rsvp.event.event_id);
    if (cached !== undefined && matches(cached, rsvp)) return cached;
    const profile = profileOf(rsvp);
    if (this.#byEvent.size >= PROFILE_CACHE_EVENTS_MAX) this.#byEvent.clear();
    this.#byEvent.set(profile.eventId, profile);
    return profile;
  }
}

function matches(p: Profile, rsvp: Rsvp): boolean {
  const { event, group, venue } = rsvp;
  if (p.eventName !== event.event_name || p.eventUrl !== event.event_url) return false;
  if (p.groupKey !== String(group.group_id) || p.groupName !== group.group_name) return false;
  if (p.groupUrlname !== group.group_urlname || p.city !== group.group_city) return false;
  if (p.country !== group.group_country) return false;
  const topics = group.group_topics;
  // A group listing a topic twice was de-duplicated: compare the slow way then.
  if (topics.length !== p.topicKeys.length) return sameTopics(p, rsvp);
  for (let i = 0; i < topics.length; i++) {
    const topic = topics[i] as { urlkey: string; topic_name: string };
    if (p.topicKeys[i] !== topic.urlkey || p.topicNames[i] !== topic.topic_name) return false;
  }
  const at = venue !== undefined && !(venue.lat === 0 && venue.lon === 0) ? venue : undefined;
  const lat =
    at?.lat ?? (group.group_lat === 0 && group.group_lon === 0 ? Number.NaN : group.group_lat);
  const lon =
    at?.lon ?? (group.group_lat === 0 && group.group_lon === 0 ? Number.NaN : group.group_lon);
  return Object.is(p.lat, lat) && Object.is(p.lon, lon);
}

function sameTopics(p: Profile, rsvp: Rsvp): boolean {
  const fresh = profileOf(rsvp);
  return (
    fresh.topicKeys.join("\u0000") === p.topicKeys.join("\u0000") &&
    fresh.topicNames.join("\u0000") === p.topicNames.join("\u0000") &&
    Object.is(fresh.lat, p.lat) &&
    Object.is(fresh.lon, p.lon)
  );
}
