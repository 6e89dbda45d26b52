/**
 * The two stages without Kafka: partition workers -> partial messages -> merger, on the
 * recorded RSVPs, against the offline reference; then the same with other batchings and
 * interleavings (what 1 vs 3 instances change), a worker restarted from its checkpoint and a
 * merger restarted from its checkpoint.
 */
import { describe, expect, test } from "bun:test";
import type { Stats } from "../../modules/stats/mod.ts";
import { type ReferenceOptions, type ReferenceRecord, referenceFinals } from "./_reference.ts";
import {
  expectReference,
  finalsByEnd,
  recordedRecords,
  TEST_PARTITIONS,
  withoutRunFields,
} from "./_testing.ts";
import { Merger } from "./merger.ts";
import { decodePartial, encodePartial, type PartialMessage } from "./partials.ts";
import { PartitionWorker, readCheckpoint } from "./partition_worker.ts";

const OPTIONS: ReferenceOptions = {
  slotMs: 1000,
  windowSlots: 60,
  allowedLatenessMs: 2000,
  geoPoints: 50,
};
const records = recordedRecords(40);
const expected = referenceFinals(records, OPTIONS);

function workerFor(partition: number, start = { offset: 0 }) {
  return new PartitionWorker(
    { ...OPTIONS, partition, timeBasis: "ingest", slotKeysMax: 4096 },
    start,
  );
}

function flush(worker: PartitionWorker, caughtUp: boolean, out: PartialMessage[]): void {
  const partition = worker.partition;
  for (const { slot, data } of worker.takeClosed()) {
    out.push({ v: 1, type: "slot", partition, slot, data });
  }
  if (worker.replaying) return;
  for (const { slot, data } of worker.takeLive()) {
    out.push({ v: 1, type: "live", partition, slot, data });
  }
  out.push({ v: 1, type: "progress", ...worker.progress(), caughtUp });
}

function byPartition(all: ReferenceRecord[]): ReferenceRecord[][] {
  return Array.from({ length: TEST_PARTITIONS }, (_, p) => all.filter((r) => r.partition === p));
}

function process(worker: PartitionWorker, record: ReferenceRecord): void {
  worker.process(
    {
      offset: record.offset,
      value: new TextEncoder().encode(record.text),
      receivedAt: record.receivedAt,
      timestamp: record.receivedAt,
    },
    0,
  );
}

/** Runs one worker per partition in batches, partitions taking turns in a seeded order. */
function runWorkers(batch: number, seed: number): PartialMessage[] {
  const parts = byPartition(records);
  const workers = parts.map((_, p) => workerFor(p));
  const next = parts.map(() => 0);
  const out: PartialMessage[] = [];
  let x = seed;
  while (next.some((n, p) => n < (parts[p] as ReferenceRecord[]).length)) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const p = x % TEST_PARTITIONS;
    const own = parts[p] as ReferenceRecord[];
    const worker = workers[p] as PartitionWorker;
    for (let i = 0; i < batch && (next[p] as number) < own.length; i++) {
      process(worker, own[next[p] as number] as ReferenceRecord);
      next[p] = (next[p] as number) + 1;
    }
    flush(worker, next[p] === own.length, out);
  }
  closeAll(workers, out);
  return out;
}

/** Lets every worker's clock run past the last window, as an idle source would. */
function closeAll(workers: PartitionWorker[], out: PartialMessage[]): void {
  const last = records.at(-1)?.receivedAt ?? 0;
  const after = last + (OPTIONS.windowSlots + 5) * OPTIONS.slotMs;
  for (const worker of workers) {
    worker.advanceTo(after);
    flush(worker, true, out);
  }
}

function merge(messages: PartialMessage[], merger = newMerger(), from = 0): Stats[] {
  const finals: Stats[] = [];
  messages.forEach((sent, index) => {
    if (index < from) return;
    // Through the wire format, as the real stages do.
    const message = decodePartial(encodePartial(sent));
    if (typeof message === "string") throw new Error(message);
    if (message.type === "slot")
      merger.addSlot(message.partition, message.slot, message.data, index);
    else if (message.type === "live") merger.addLive(message.partition, message.slot, message.data);
    else merger.addReport(message);
    merger.close((stats) => finals.push(stats));
    if (index % 50 === 0) merger.snapshot();
  });
  return finals;
}

function newMerger() {
  return new Merger({
    ...OPTIONS,
    partitions: TEST_PARTITIONS,
    timeBasis: "ingest",
    liveSlotsMax: 8,
    slotKeysMax: 4096,
    keysMax: 65536,
    pendingSlotsMax: 3600,
  });
}

describe("workers and merger on the recorded RSVPs", () => {
  const baseline = merge(runWorkers(25, 1));

  test("finals equal the offline reference for every window", () => {
    expect(records.length).toBe(1541 + 1386 + 1);
    expect(expected.size).toBeGreaterThan(100);
    // The data has repeats and flips, so the dedup path is exercised.
    const last = expected.get(Math.max(...expected.keys()));
    expect(last?.quality.duplicates).toBeGreaterThan(100);
    expect(last?.quality.flips).toBeGreaterThan(0);
    expect(Math.max(...[...expected.values()].map((f) => f.counts.rsvps))).toBeGreaterThan(500);
    expectReference(baseline, expected, OPTIONS.slotMs);
  }, 60_000);

  // CPU-bound: generous time limits, as the shared machine may be busy.
  test("other batch sizes and interleavings give identical finals", () => {
    for (const [batch, seed] of [
      [2, 7],
      [300, 99],
    ] as const) {
      const finals = merge(runWorkers(batch, seed));
      const got = finalsByEnd(finals, OPTIONS.slotMs);
      for (const [end, stats] of finalsByEnd(baseline, OPTIONS.slotMs)) {
        expect(withoutRunFields(got.get(end) as Stats)).toEqual(withoutRunFields(stats));
      }
    }
  }, 60_000);

  test("a worker restarted from its checkpoint gives the same finals", () => {
    const parts = byPartition(records);
    const out: PartialMessage[] = [];
    const workers: PartitionWorker[] = [];
    parts.forEach((own, p) => {
      const first = workerFor(p);
      const committedAt = Math.floor(own.length / 2);
      for (const record of own.slice(0, committedAt)) process(first, record);
      flush(first, false, out);
      const checkpoint = first.checkpoint();
      // Processed and sent after the commit, then killed: the restart does this work again.
      for (const record of own.slice(committedAt, committedAt + 40)) process(first, record);
      flush(first, false, out);
      const saved = readCheckpoint(checkpoint.metadata);
      expect(saved?.pos).toBe(committedAt);
      expect(checkpoint.offset).toBeLessThan(committedAt);
      const second = workerFor(p, {
        offset: checkpoint.offset,
        replayUntil: saved?.pos,
        maxTime: saved?.maxTime,
      } as { offset: number });
      for (const record of own.slice(checkpoint.offset)) process(second, record);
      flush(second, true, out);
      workers.push(second);
    });
    closeAll(workers, out);
    expectReference(merge(out), expected, OPTIONS.slotMs);
  }, 60_000);

  test("a merger restarted from its checkpoint emits the same finals", () => {
    const messages = runWorkers(25, 1);
    const first = newMerger();
    const cut = Math.floor(messages.length / 2);
    const before = merge(messages.slice(0, cut), first);
    const checkpoint = first.checkpoint(cut);
    expect(checkpoint.offset).toBeLessThan(cut);
    const second = newMerger();
    const saved = JSON.parse(checkpoint.metadata);
    second.restore(saved);
    const after = merge(messages, second, checkpoint.offset);
    // Nothing already final is emitted again; together they cover every window.
    const lastBefore = Math.max(...before.map((s) => s.window.end));
    expect(after.every((s) => s.window.end > lastBefore)).toBe(true);
    expectReference([...before, ...after], expected, OPTIONS.slotMs);
  }, 60_000);
});
