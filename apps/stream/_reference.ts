/**
 * The stream's window semantics computed offline, as plainly as possible, for tests: every
 * window is recomputed from the full record list, with no rings, no partial aggregates and no
 * incremental state. Times are `received_at` (ingest time).
 *
 * The definition: per partition, in offset order, a record is late when its slot is before
 * `floor((latest time so far - lateness) / slot)`. The window ending at slot E counts each
 * `rsvp_id` whose latest accepted record with a slot before E lies in `[E - W, E)`, once,
 * with that record's response and keys. A record is a duplicate when the same `rsvp_id` had
 * an accepted record less than W slots earlier; a flip when its response also changed.
 */

/** One raw record, as produced to the raw topic. */
export interface ReferenceRecord {
  partition: number;
  offset: number;
  receivedAt: number;
  text: string;
}

export interface ReferenceOptions {
  slotMs: number;
  windowSlots: number;
  allowedLatenessMs: number;
  geoPoints: number;
}

/** The numbers of one final window, in the stats message's field names. */
export interface ReferenceFinal {
  end: number;
  counts: { rsvps: number; yes: number; no: number };
  totals: { yes: number; no: number };
  series: { t: number; yes: number; no: number }[];
  topEvents: { id: string; name: string; yes: number }[];
  topTopics: { urlkey: string; name: string; count: number }[];
  topGroups: { id: number; name: string; city: string; count: number }[];
  topCountries: { country: string; count: number }[];
  topCities: { city: string; country: string; count: number }[];
  geo: { lat: number; lon: number; response: string; t: number }[];
  quality: { late: number; duplicates: number; flips: number; rejected: number };
}

// biome-ignore lint/suspicious/noExplicitAny: the reference reads raw JSON on purpose.
type Json = any;

interface Accepted {
  partition: number;
  offset: number;
  slot: number;
  t: number;
  id: number;
  yes: boolean;
  json: Json;
  kind: "new" | "duplicate" | "flip";
  previousYes: boolean;
}

/** Classifies every record: accepted (new, duplicate, flip), late or rejected. */
function classify(records: ReferenceRecord[], o: ReferenceOptions) {
  const accepted: Accepted[] = [];
  const lateAt: number[] = [];
  const rejectedAt: number[] = [];
  const partitions = new Set(records.map((r) => r.partition));
  for (const partition of partitions) {
    const own = records
      .filter((r) => r.partition === partition)
      .sort((a, b) => a.offset - b.offset);
    let maxTime = Number.NEGATIVE_INFINITY;
    const last = new Map<number, Accepted>();
    for (const record of own) {
      const closedEnd = Math.floor((maxTime - o.allowedLatenessMs) / o.slotMs);
      const slot = Math.floor(record.receivedAt / o.slotMs);
      let json: Json;
      try {
        json = JSON.parse(record.text);
      } catch {
        rejectedAt.push(Number.isFinite(closedEnd) ? closedEnd : slot);
        continue;
      }
      if (slot < closedEnd) {
        lateAt.push(closedEnd);
        continue;
      }
      maxTime = Math.max(maxTime, record.receivedAt);
      const yes = json.response === "yes";
      const previous = last.get(json.rsvp_id);
      const repeat = previous !== undefined && slot - previous.slot < o.windowSlots;
      const entry: Accepted = {
        partition,
        offset: record.offset,
        slot,
        t: record.receivedAt,
        id: json.rsvp_id,
        yes,
        json,
        kind: !repeat ? "new" : previous.yes === yes ? "duplicate" : "flip",
        previousYes: previous?.yes ?? yes,
      };
      last.set(entry.id, entry);
      accepted.push(entry);
    }
  }
  return { accepted, lateAt, rejectedAt };
}

function top<K>(counts: Map<K, number>, k: number, name: (key: K) => string) {
  return [...counts]
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || (name(a[0]) < name(b[0]) ? -1 : 1))
    .slice(0, k);
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** The expected final of the window ending at slot `end`. */
function finalAt(end: number, c: ReturnType<typeof classify>, o: ReferenceOptions): ReferenceFinal {
  const start = end - o.windowSlots;
  const before = c.accepted.filter((a) => a.slot < end);
  const latest = new Map<number, Accepted>();
  for (const a of [...before].sort((x, y) => x.slot - y.slot || x.offset - y.offset)) {
    latest.set(a.id, a);
  }
  const counted = [...latest.values()].filter((a) => a.slot >= start);
  const events = new Map<string, number>();
  const eventNames = new Map<string, string>();
  const topics = new Map<string, number>();
  const groups = new Map<number, number>();
  const countries = new Map<string, number>();
  const cities = new Map<string, number>();
  for (const a of counted) {
    const { event, group } = a.json;
    if (a.yes) bump(events, event.event_id);
    const urlkeys = new Set<string>(group.group_topics.map((t: Json) => t.urlkey));
    for (const urlkey of urlkeys) bump(topics, urlkey);
    bump(groups, group.group_id);
    bump(countries, group.group_country);
    bump(cities, `${group.group_country}/${group.group_city}`);
  }
  const topicNames = new Map<string, string>();
  const groupLabels = new Map<number, { name: string; city: string }>();
  for (const a of [...before].sort((x, y) => x.slot - y.slot || x.partition - y.partition)) {
    eventNames.set(a.json.event.event_id, a.json.event.event_name);
    for (const t of a.json.group.group_topics) topicNames.set(t.urlkey, t.topic_name);
    const g = a.json.group;
    groupLabels.set(g.group_id, { name: g.group_name, city: g.group_city });
  }
  const yes = counted.filter((a) => a.yes).length;
  const totals = { yes: 0, no: 0 };
  for (const a of before) {
    if (a.kind === "duplicate") continue;
    if (a.kind === "flip") totals[a.previousYes ? "yes" : "no"]--;
    totals[a.yes ? "yes" : "no"]++;
  }
  const series = [];
  for (let slot = start; slot < end; slot++) {
    const changed = before.filter((a) => a.slot === slot && a.kind !== "duplicate");
    const y = changed.filter((a) => a.yes).length;
    series.push({ t: slot * o.slotMs, yes: y, no: changed.length - y });
  }
  const geo = before
    .filter((a) => a.kind === "new" && a.slot >= start)
    .map((a) => ({ a, at: location(a.json) }))
    .filter(({ at }) => at !== undefined)
    .sort((x, y) => x.a.t - y.a.t || x.a.partition - y.a.partition || x.a.offset - y.a.offset)
    .slice(-o.geoPoints)
    .map(({ a, at }) => ({
      ...(at as { lat: number; lon: number }),
      response: a.yes ? "yes" : "no",
      t: a.t,
    }));
  return {
    end,
    counts: { rsvps: counted.length, yes, no: counted.length - yes },
    totals,
    series,
    topEvents: top(events, 5, (k) => k).map(([id, count]) => ({
      id,
      name: eventNames.get(id) ?? "",
      yes: count,
    })),
    topTopics: top(topics, 10, (k) => k).map(([urlkey, count]) => ({
      urlkey,
      name: topicNames.get(urlkey) ?? "",
      count,
    })),
    topGroups: top(groups, 10, (k) => String(k)).map(([id, count]) => ({
      id,
      ...(groupLabels.get(id) as { name: string; city: string }),
      count,
    })),
    topCountries: top(countries, 10, (k) => k).map(([country, count]) => ({ country, count })),
    topCities: top(cities, 10, (k) => k).map(([key, count]) => ({
      country: key.slice(0, 2),
      city: key.slice(3),
      count,
    })),
    geo,
    quality: {
      late: c.lateAt.filter((slot) => slot < end).length,
      duplicates: before.filter((a) => a.kind !== "new").length,
      flips: before.filter((a) => a.kind === "flip").length,
      rejected: c.rejectedAt.filter((slot) => slot < end).length,
    },
  };
}

function location(json: Json): { lat: number; lon: number } | undefined {
  const venue = json.venue;
  if (venue !== undefined && !(venue.lat === 0 && venue.lon === 0)) {
    return { lat: venue.lat, lon: venue.lon };
  }
  const group = json.group;
  if (group.group_lat === 0 && group.group_lon === 0) return undefined;
  return { lat: group.group_lat, lon: group.group_lon };
}

/**
 * The expected finals of every window from the first slot with a record to the window the
 * last record leaves, keyed by window end (slot).
 */
export function referenceFinals(
  records: ReferenceRecord[],
  options: ReferenceOptions,
): Map<number, ReferenceFinal> {
  const classified = classify(records, options);
  const slots = classified.accepted.map((a) => a.slot);
  const first = Math.min(...slots);
  const last = Math.max(...slots);
  const out = new Map<number, ReferenceFinal>();
  for (let end = first + 1; end <= last + options.windowSlots + 1; end++) {
    out.set(end, finalAt(end, classified, options));
  }
  return out;
}
