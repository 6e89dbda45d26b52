import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CounterRing } from "./counter_ring.ts";

describe("CounterRing", () => {
  test("sums the closed window incrementally and reads single slots", () => {
    const ring = new CounterRing({ windowSlots: 2, metrics: 2 });
    ring.add(5, 0, 1);
    ring.add(5, 1, 2);
    ring.add(6, 0, 4);
    expect(ring.sum(0)).toBe(0);
    ring.closeThrough(7);
    expect([ring.sum(0), ring.sum(1)]).toEqual([5, 2]);
    expect(ring.value(6, 0)).toBe(4);
    ring.closeThrough(8); // slot 5 leaves
    expect([ring.sum(0), ring.sum(1)]).toEqual([4, 0]);
    expect(ring.value(5, 0)).toBe(0);
  });

  test("sum() over a range with open slots, and range errors", () => {
    const ring = new CounterRing({ windowSlots: 2, openSlotsMax: 2, metrics: 1 });
    ring.add(0, 0, 1);
    ring.add(1, 0, 2);
    ring.closeThrough(2);
    ring.add(3, 0, 8);
    expect(ring.sum(0, { start: 1, end: 4 })).toBe(10);
    expect(ring.sum(0, { start: 2, end: 2 })).toBe(0);
    expect(() => ring.sum(0, { start: 0, end: 5 })).toThrow(RangeError);
  });

  test("add() refuses unheld slots and unknown metrics", () => {
    const ring = new CounterRing({ windowSlots: 1, openSlotsMax: 1, metrics: 1 });
    ring.closeThrough(3);
    expect(ring.add(1, 0, 1)).toBe(false);
    expect(ring.add(4, 0, 1)).toBe(false);
    expect(() => ring.add(3, 1, 1)).toThrow(/metrics 0 to 0/);
  });

  test("clearSlot() removes a closed slot from the totals", () => {
    const ring = new CounterRing({ windowSlots: 3, metrics: 1 });
    ring.add(0, 0, 3);
    ring.add(1, 0, 4);
    ring.closeThrough(2);
    ring.clearSlot(0);
    expect(ring.sum(0)).toBe(4);
  });

  test("matches a naive reference on random operations", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -7, max: 4 }), fc.integer()),
          { maxLength: 120 },
        ),
        (windowSlots, openSlotsMax, ops) => {
          const ring = new CounterRing({ windowSlots, openSlotsMax, metrics: 1 });
          const naive = new Map<number, number>();
          let closedEnd = 100;
          ring.closeThrough(closedEnd);
          for (const [kind, offset, value] of ops) {
            if (kind === 0) {
              const slot = closedEnd + offset;
              const held = slot >= closedEnd - windowSlots && slot < closedEnd + openSlotsMax;
              const delta = value % 1000;
              expect(ring.add(slot, 0, delta)).toBe(held);
              if (held) naive.set(slot, (naive.get(slot) ?? 0) + delta);
            } else if (kind === 1) {
              closedEnd = Math.max(closedEnd, closedEnd + (Math.abs(value) % 12) - 2);
              ring.closeThrough(closedEnd);
              for (const slot of [...naive.keys()]) {
                if (slot < closedEnd - windowSlots) naive.delete(slot);
              }
            }
            let expected = 0;
            for (const [slot, count] of naive) if (slot < closedEnd) expected += count;
            expect(ring.sum(0)).toBe(expected);
          }
        },
      ),
      { numRuns: 300, seed: 2018 },
    );
  });
});
