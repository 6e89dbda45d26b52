/** Shared fixtures of the stream tests: the recorded RSVPs as raw records, and comparisons. */
import { expect } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathsConfig } from "../../modules/config/mod.ts";
import { parse } from "../../modules/rsvp/mod.ts";
import type { Stats } from "../../modules/stats/mod.ts";
import type { ReferenceFinal, ReferenceRecord } from "./_reference.ts";

/** The raw topic's partitions in the tests (as in production). */
export const TEST_PARTITIONS = 6;

/** Every non-empty line of the recorded files, in file order (the truncated one included). */
export function recordedLines(): string[] {
  const dir = pathsConfig().rsvpDataDir;
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .flatMap((file) => readFileSync(join(dir, file), "utf8").split("\n"))
    .filter((line) => line.trim() !== "");
}

/**
 * Every complete record of the recorded files, in file order, as raw records: partition by
 * `group_id`, offsets per partition, and a synthetic, deterministic `received_at` spaced
 * `spacingMs` apart from `base`. The one truncated line (which `parse` rejects) is skipped.
 */
export function recordedRecords(spacingMs: number, base = 1_600_000_000_000): ReferenceRecord[] {
  const offsets = new Array(TEST_PARTITIONS).fill(0);
  const records: ReferenceRecord[] = [];
  for (const line of recordedLines()) {
    const result = parse(line);
    if (!result.ok) continue;
    const partition = result.rsvp.group.group_id % TEST_PARTITIONS;
    records.push({
      partition,
      offset: offsets[partition]++,
      receivedAt: base + records.length * spacingMs,
      text: line,
    });
  }
  return records;
}

/** The numbers of a final stats message, in the shape of {@linkcode ReferenceFinal}. */
export function comparable(stats: Stats, slotMs: number): ReferenceFinal {
  return {
    end: stats.window.end / slotMs,
    counts: stats.counts,
    totals: stats.totals,
    series: stats.series,
    topEvents: stats.topEvents.map(({ id, name, yes }) => ({ id, name, yes })),
    topTopics: stats.topTopics.map(({ urlkey, name, count }) => ({ urlkey, name, count })),
    topGroups: stats.topGroups.map(({ id, name, city, count }) => ({ id, name, city, count })),
    topCountries: stats.topCountries,
    topCities: stats.topCities,
    geo: stats.geo.map(({ lat, lon, response, t }) => ({ lat, lon, response, t })),
    quality: {
      late: stats.quality.late,
      duplicates: stats.quality.duplicates,
      flips: stats.quality.flips,
      rejected: stats.quality.rejected,
    },
  };
}

/** A final without the fields that legitimately differ between runs (wall clock, positions). */
export function withoutRunFields(stats: Stats): Omit<Stats, "emittedAt" | "progress"> {
  const { emittedAt: _emittedAt, progress: _progress, ...rest } = stats;
  return rest;
}

/** Finals by the slot their window ends at; a window published twice must be identical both times. */
export function finalsByEnd(finals: Stats[], slotMs: number): Map<number, Stats> {
  const out = new Map<number, Stats>();
  for (const stats of finals) {
    const end = stats.window.end / slotMs;
    const seen = out.get(end);
    if (seen !== undefined) expect(withoutRunFields(stats)).toEqual(withoutRunFields(seen));
    out.set(end, stats);
  }
  return out;
}

/** Every window of the offline reference has a final, and it equals the reference's. */
export function expectReference(
  finals: Stats[],
  expected: Map<number, ReferenceFinal>,
  slotMs: number,
): void {
  const got = finalsByEnd(finals, slotMs);
  for (const [end, want] of expected) {
    const stats = got.get(end);
    if (stats === undefined) throw new Error(`no final for the window ending at slot ${end}`);
    expect(comparable(stats, slotMs)).toEqual(want);
  }
}
