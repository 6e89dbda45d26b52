import {
  type GeoPoint,
  type Quality,
  STATS_VERSION,
  type Stats,
  type Totals,
} from "../../modules/stats/mod.ts";
import type { KeyCount, SlotRange } from "../../modules/window/mod.ts";
import { splitCityKey } from "./profile.ts";
import {
  CITIES,
  COUNTRIES,
  EVENTS,
  type GeoTuple,
  GROUPS,
  type GroupLabel,
  type SlotData,
  TOPICS,
} from "./slot_data.ts";

/** How many entries each ranking shows. */
export const TOP_EVENTS = 5;
export const TOP_OTHERS = 10;

/** A geo point with the partition it came from (the tie-break of its order). */
export interface GeoEntry {
  partition: number;
  point: GeoTuple;
}

/** Display labels of events, topics and groups, last applied wins. */
export class Labels {
  events = new Map<string, [string, string]>();
  topics = new Map<string, string>();
  groups = new Map<string, GroupLabel>();

  /** Takes the labels of one slot's data. */
  add(data: SlotData): void {
    for (const [key, label] of Object.entries(data.labels.events)) this.events.set(key, label);
    for (const [key, label] of Object.entries(data.labels.topics)) this.topics.set(key, label);
    for (const [key, label] of Object.entries(data.labels.groups)) this.groups.set(key, label);
  }

  /** Drops labels of keys `keep` says are gone (dimension index, key). */
  prune(keep: (dim: number, key: string) => boolean): void {
    for (const key of this.events.keys()) if (!keep(EVENTS, key)) this.events.delete(key);
    for (const key of this.topics.keys()) if (!keep(TOPICS, key)) this.topics.delete(key);
    for (const key of this.groups.keys()) if (!keep(GROUPS, key)) this.groups.delete(key);
  }
}

/** Everything {@linkcode buildStats} reads. */
export interface StatsInputs {
  kind: "final" | "snapshot";
  range: SlotRange;
  slotMs: number;
  timeBasis: "ingest" | "event";
  geoPoints: number;
  counts: { yes: number; no: number };
  series: (slot: number) => [number, number];
  topK: (dim: number, k: number) => KeyCount[];
  /** Label sources, most authoritative first. */
  labels: Labels[];
  /** Geo points per slot, from every source. */
  geo: Map<number, GeoEntry[]>[];
  totals: Totals;
  quality: Quality;
  reports: { partition: number; nextOffset: number; closedEnd: number | null }[];
  watermark: number;
}

/** Assembles one stats message body from the merged windows. */
export function buildStats(inputs: StatsInputs): Stats {
  const { range, slotMs } = inputs;
  const label = <T>(pick: (labels: Labels) => T | undefined): T | undefined => {
    for (const labels of inputs.labels) {
      const found = pick(labels);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const series = [];
  for (let slot = range.start; slot < range.end; slot++) {
    const [yes, no] = inputs.series(slot);
    series.push({ t: slot * slotMs, yes: Math.max(0, yes), no: Math.max(0, no) });
  }
  return {
    v: STATS_VERSION,
    kind: inputs.kind,
    at: range.end * slotMs,
    emittedAt: 0,
    timeBasis: inputs.timeBasis,
    window: {
      start: range.start * slotMs,
      end: range.end * slotMs,
      lengthMs: (range.end - range.start) * slotMs,
      slotMs,
    },
    counts: {
      rsvps: Math.max(0, inputs.counts.yes + inputs.counts.no),
      yes: Math.max(0, inputs.counts.yes),
      no: Math.max(0, inputs.counts.no),
    },
    totals: { yes: Math.max(0, inputs.totals.yes), no: Math.max(0, inputs.totals.no) },
    series,
    topEvents: inputs.topK(EVENTS, TOP_EVENTS).map(({ key, count }) => {
      const [name, url] = label((l) => l.events.get(key)) ?? ["", ""];
      return { id: key, name, url, yes: count };
    }),
    topTopics: inputs.topK(TOPICS, TOP_OTHERS).map(({ key, count }) => ({
      urlkey: key,
      name: label((l) => l.topics.get(key)) ?? key,
      count,
    })),
    topGroups: inputs.topK(GROUPS, TOP_OTHERS).map(({ key, count }) => {
      const [name, urlname, city, country] = label((l) => l.groups.get(key)) ?? ["", "", "", ""];
      return { id: Number(key), name, urlname, city, country, count };
    }),
    topCountries: inputs.topK(COUNTRIES, TOP_OTHERS).map(({ key, count }) => ({
      country: key,
      count,
    })),
    topCities: inputs.topK(CITIES, TOP_OTHERS).map(({ key, count }) => ({
      ...splitCityKey(key),
      count,
    })),
    geo: recentGeo(
      inputs.geo,
      range,
      inputs.geoPoints,
      (id) => label((l) => l.events.get(id)) ?? ["", ""],
    ),
    quality: inputs.quality,
    progress: {
      watermark: Math.max(0, inputs.watermark),
      partitions: inputs.reports.map((report) => ({
        partition: report.partition,
        offset: report.nextOffset,
        watermark: Math.max(0, (report.closedEnd ?? 0) * slotMs),
      })),
    },
  };
}

/**
 * The newest `count` points in the window, oldest first, ordered by (time, partition, raw
 * offset): the same order whatever the instance layout.
 */
function recentGeo(
  sources: Map<number, GeoEntry[]>[],
  range: SlotRange,
  count: number,
  eventLabel: (id: string) => [string, string],
) {
  const picked: GeoEntry[] = [];
  for (let slot = range.end - 1; slot >= range.start && picked.length < count; slot--) {
    for (const source of sources) picked.push(...(source.get(slot) ?? []));
  }
  const order = (a: GeoEntry, b: GeoEntry) =>
    a.point[4] - b.point[4] || a.partition - b.partition || a.point[5] - b.point[5];
  const points: GeoPoint[] = picked
    .sort(order)
    .slice(-count)
    .map(({ point: [lat, lon, yes, eventId, t] }) => {
      const [eventName, eventUrl] = eventLabel(eventId);
      return { lat, lon, response: yes === 1 ? "yes" : "no", eventName, eventUrl, t } as const;
    });
  return count === 0 ? [] : points;
}
