import { STATS_VERSION, type Stats, type StatsKind } from "./schema.ts";

/** Options for {@linkcode emptyStats}. */
export interface EmptyStatsOptions {
  /** @default {"snapshot"} */
  kind?: StatsKind;
  /** Sliding window length. @default {300000} (5 minutes) */
  lengthMs?: number;
  /** Slot width (the slide). @default {1000} */
  slotMs?: number;
  /** The producer's wall clock. @default {at} */
  emittedAt?: number;
  /** @default {"ingest"} */
  timeBasis?: "ingest" | "event";
}

/**
 * A valid stats message with nothing counted: the starting point for producers and a fixture
 * for consumers' tests.
 *
 * @param at The window end (exclusive), epoch ms.
 * @returns A version-1 message whose window is `[at - lengthMs, at)`.
 *
 * @example A fixture with one top event
 * ```ts
 * const stats = { ...emptyStats(1_700_000_000_000), topEvents: [{ id: "1", name: "x", url: "u", yes: 3 }] };
 * ```
 */
export function emptyStats(at: number, options: EmptyStatsOptions = {}): Stats {
  const lengthMs = options.lengthMs ?? 300_000;
  return {
    v: STATS_VERSION,
    kind: options.kind ?? "snapshot",
    at,
    emittedAt: options.emittedAt ?? at,
    timeBasis: options.timeBasis ?? "ingest",
    window: {
      start: Math.max(0, at - lengthMs),
      end: at,
      lengthMs,
      slotMs: options.slotMs ?? 1000,
    },
    counts: { rsvps: 0, yes: 0, no: 0 },
    totals: { yes: 0, no: 0 },
    series: [],
    topEvents: [],
    topTopics: [],
    topGroups: [],
    topCountries: [],
    topCities: [],
    geo: [],
    quality: { late: 0, duplicates: 0, flips: 0, rejected: 0, overflow: 0 },
    progress: { watermark: 0, partitions: [] },
  };
}
