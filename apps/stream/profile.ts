import type { Rsvp } from "../../modules/rsvp/mod.ts";

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
  };
}
