import { expect, test } from "bun:test";
import { HOUR_MS } from "../../modules/lake/mod.ts";
import { PartitionBuffer } from "./partition_buffer.ts";

const HOUR = 420_000; // an hour index: 2017-11-30T00
const line = (size: number) => new Uint8Array(size).fill(0x61);
const hints = { flushBytes: 100, flushMs: 30_000 };

test("PartitionBuffer seals at the flush size, keeping offsets in order", () => {
  const buffer = new PartitionBuffer("t", 2, 7, hints);
  expect(buffer.add({ offset: 10, hour: HOUR, line: line(40) }, 0)).toEqual([]);
  expect(buffer.add({ offset: 11, hour: HOUR, line: line(40) }, 1)).toEqual([]);
  expect(buffer.bytes).toBe(80);
  const [chunk, ...rest] = buffer.add({ offset: 13, hour: HOUR, line: line(20) }, 2);
  expect(rest).toEqual([]);
  expect(chunk).toMatchObject({
    topic: "t",
    partition: 2,
    firstOffset: 10,
    lastOffset: 13,
    hourMs: HOUR * HOUR_MS,
    bytes: 100,
    generation: 7,
  });
  expect(chunk?.lines.map((l) => l.byteLength)).toEqual([40, 40, 20]);
  expect(buffer.bytes).toBe(0);
  expect(buffer.sealNow()).toBeUndefined();
});

test("PartitionBuffer seals a record larger than the flush size on its own", () => {
  const buffer = new PartitionBuffer("t", 0, 1, hints);
  buffer.add({ offset: 1, hour: HOUR, line: line(10) }, 0);
  const sealed = buffer.add({ offset: 2, hour: HOUR + 1, line: line(500) }, 0);
  expect(sealed.map((c) => [c.firstOffset, c.lastOffset, c.hourMs])).toEqual([
    [1, 1, HOUR * HOUR_MS],
    [2, 2, (HOUR + 1) * HOUR_MS],
  ]);
});

test("PartitionBuffer never lets a chunk span two ingest hours, even going back", () => {
  const buffer = new PartitionBuffer("t", 0, 1, hints);
  const hours = [HOUR, HOUR, HOUR + 1, HOUR, HOUR];
  const sealed = hours.flatMap((hour, i) => buffer.add({ offset: i, hour, line: line(1) }, 0));
  const last = buffer.sealNow();
  expect([...sealed, last].map((c) => [c?.firstOffset, c?.lastOffset, c?.hourMs])).toEqual([
    [0, 1, HOUR * HOUR_MS],
    [2, 2, (HOUR + 1) * HOUR_MS],
    [3, 4, HOUR * HOUR_MS],
  ]);
});

test("PartitionBuffer.sealIfDue() seals once the first record is flushMs old", () => {
  const buffer = new PartitionBuffer("t", 0, 1, hints);
  expect(buffer.sealIfDue(1_000_000)).toBeUndefined();
  buffer.add({ offset: 5, hour: HOUR, line: line(1) }, 1_000);
  buffer.add({ offset: 6, hour: HOUR, line: line(1) }, 20_000);
  expect(buffer.sealIfDue(30_999)).toBeUndefined();
  expect(buffer.sealIfDue(31_000)).toMatchObject({ firstOffset: 5, lastOffset: 6 });
  // The next chunk's age starts at its own first record.
  buffer.add({ offset: 7, hour: HOUR, line: line(1) }, 31_500);
  expect(buffer.sealIfDue(61_000)).toBeUndefined();
  expect(buffer.sealIfDue(61_500)).toMatchObject({ firstOffset: 7, lastOffset: 7 });
});

test("PartitionBuffer rejects offsets that go backwards and invalid hints", () => {
  const buffer = new PartitionBuffer("t", 0, 1, hints);
  buffer.add({ offset: 5, hour: HOUR, line: line(1) }, 0);
  expect(() => buffer.add({ offset: 5, hour: HOUR, line: line(1) }, 0)).toThrow(RangeError);
  expect(() => new PartitionBuffer("t", 0, 1, { flushBytes: 0, flushMs: 1 })).toThrow(RangeError);
});
