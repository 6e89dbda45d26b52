import { expect, test } from "bun:test";
import { RecordBuffer } from "./buffer.ts";

const record = (id: number, bytes = 10) => ({ id, bytes });

test("RecordBuffer takes records up to exactly its record bound, then refuses", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 3, bytesMax: 1000 });
  expect(buffer.oldest()).toBeUndefined();
  expect([1, 2, 3].map((id) => buffer.push(record(id)))).toEqual([true, true, true]);
  expect(buffer.push(record(4))).toBe(false);
  expect(buffer.size).toBe(3);
  expect(buffer.bytes).toBe(30);
});

test("RecordBuffer refuses a record that would pass the byte bound, but an empty one takes any", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 10, bytesMax: 100 });
  expect(buffer.push(record(1, 60))).toBe(true);
  expect(buffer.push(record(2, 41))).toBe(false);
  expect(buffer.push(record(2, 40))).toBe(true);
  buffer.drop(2);
  expect(buffer.push(record(3, 500))).toBe(true);
  expect(buffer.bytes).toBe(500);
});

test("RecordBuffer.peek() returns the oldest records within both limits, without removing them", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 5, bytesMax: 1000 });
  for (const id of [1, 2, 3, 4, 5]) buffer.push(record(id));
  expect(buffer.peek(2, 1000).map((r) => r.id)).toEqual([1, 2]);
  expect(buffer.peek(10, 35).map((r) => r.id)).toEqual([1, 2, 3]);
  expect(buffer.peek(10, 1).map((r) => r.id)).toEqual([1]);
  expect(buffer.size).toBe(5);
});

test("RecordBuffer.peek() with groups bounds each group's bytes and stops at the first full one", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({
    recordsMax: 10,
    bytesMax: 1000,
  });
  for (const id of [1, 2, 3, 4, 5, 6]) buffer.push(record(id, 10));
  const group = (r: { id: number }) => r.id % 2;
  // 20 bytes per group: ids 1 and 3 fill group 1, ids 2 and 4 fill group 0; 5 would overflow.
  expect(buffer.peek(10, 20, group).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  expect(buffer.peek(10, 20).map((r) => r.id)).toEqual([1, 2]);
  expect(buffer.peek(10, 5, group).map((r) => r.id)).toEqual([1]);
});

test("RecordBuffer wraps around its ring in order after drops", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 3, bytesMax: 1000 });
  let next = 1;
  const seen: number[] = [];
  for (let round = 0; round < 10; round++) {
    while (buffer.push(record(next))) next++;
    const batch = buffer.peek(2, 1000);
    seen.push(...batch.map((r) => r.id));
    buffer.drop(batch.length);
  }
  expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
  expect(buffer.bytes).toBe(buffer.size * 10);
});

test("RecordBuffer.above() reports filling past a fraction of either bound", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 10, bytesMax: 100 });
  buffer.push(record(1, 80));
  expect(buffer.above(0.9)).toBe(false);
  buffer.push(record(2, 10));
  expect(buffer.above(0.9)).toBe(true);
  const many = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 10, bytesMax: 1000 });
  for (let id = 0; id < 9; id++) many.push(record(id, 1));
  expect(many.above(0.9)).toBe(true);
});

test("RecordBuffer.below() reports draining under a fraction of both bounds", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 4, bytesMax: 100 });
  buffer.push(record(1, 30));
  buffer.push(record(2, 30));
  expect(buffer.below(0.5)).toBe(false);
  buffer.drop(1);
  expect(buffer.below(0.5)).toBe(true);
});

test("RecordBuffer rejects invalid bounds and drops", () => {
  expect(() => new RecordBuffer({ recordsMax: 0, bytesMax: 10 })).toThrow("'recordsMax'");
  expect(() => new RecordBuffer({ recordsMax: 1, bytesMax: 1.5 })).toThrow("'bytesMax'");
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 2, bytesMax: 10 });
  expect(() => buffer.drop(1)).toThrow(RangeError);
});

test("peek() can skip records already taken, and at() reads by position", () => {
  const buffer = new RecordBuffer<{ id: number; bytes: number }>({ recordsMax: 4, bytesMax: 100 });
  for (const id of [1, 2, 3, 4]) buffer.push({ id, bytes: 10 });
  buffer.drop(1);
  buffer.push({ id: 5, bytes: 10 }); // wraps around the ring
  expect(buffer.peek(2, 100, undefined, 2).map((r) => r.id)).toEqual([4, 5]);
  expect(buffer.peek(9, 100, undefined, 3).map((r) => r.id)).toEqual([5]);
  expect(buffer.peek(9, 100, undefined, 4)).toEqual([]);
  expect(buffer.at(0)?.id).toBe(2);
  expect(buffer.at(3)?.id).toBe(5);
  expect(buffer.at(4)).toBeUndefined();
});
