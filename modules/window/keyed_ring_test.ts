import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { SlotRange } from "./_slots.ts";
import { KeyedRing } from "./keyed_ring.ts";

describe("KeyedRing", () => {
  test("keeps window totals as slots close and leave the window", () => {
    const ring = new KeyedRing({ windowSlots: 3 });
    ring.add(10, "a", 2);
    ring.add(11, "b", 1);
    ring.add(11, "a", 1);
    expect(ring.count("a")).toBe(0); // open slots are not in the window yet
    ring.closeThrough(12);
    expect(ring.window).toEqual({ start: 9, end: 12 });
    expect(ring.count("a")).toBe(3);
    expect(ring.topK(5)).toEqual([
      { key: "a", count: 3 },
      { key: "b", count: 1 },
    ]);
    ring.closeThrough(14); // slot 10 leaves: window [11, 14)
    expect(ring.count("a")).toBe(1);
    ring.closeThrough(15); // slot 11 leaves too
    expect(ring.topK(5)).toEqual([]);
    expect(ring.keys).toBe(0); // every key was released
  });

  test("topK() ranks ties by key and leaves out counts that are not positive", () => {
    const ring = new KeyedRing({ windowSlots: 2 });
    for (const key of ["d", "b", "c", "a"]) ring.add(0, key, 1);
    ring.add(0, "z", 0);
    ring.add(0, "y", -1);
    ring.closeThrough(1);
    expect(ring.topK(3).map((entry) => entry.key)).toEqual(["a", "b", "c"]);
    expect(ring.topK(10).length).toBe(4);
    expect(ring.topK(0)).toEqual([]);
  });

  test("queries over a range that includes open slots are exact", () => {
    const ring = new KeyedRing({ windowSlots: 2, openSlotsMax: 2 });
    ring.add(0, "a", 5);
    ring.add(1, "b", 3);
    ring.closeThrough(2); // window [0, 2)
    ring.add(2, "b", 4); // open
    expect(ring.topK(2)).toEqual([
      { key: "a", count: 5 },
      { key: "b", count: 3 },
    ]);
    // The live window [1, 3): slot 0 out, open slot 2 in.
    expect(ring.topK(2, { start: 1, end: 3 })).toEqual([{ key: "b", count: 7 }]);
    expect(ring.count("a", { start: 1, end: 3 })).toBe(0);
    expect(() => ring.topK(1, { start: -1, end: 2 })).toThrow(RangeError);
    expect(() => ring.topK(1, { start: 2, end: 5 })).toThrow(/holds only \[0, 4\)/);
  });

  test("counts beyond slotKeysMax go to the slot's overflow, exactly full does not", () => {
    const ring = new KeyedRing({ windowSlots: 2, slotKeysMax: 2 });
    ring.add(0, "a", 1);
    ring.add(0, "b", 1);
    expect(ring.slotOverflow(0)).toBe(0);
    ring.add(0, "c", 3);
    ring.add(0, "a", 1); // an existing key still counts
    expect(ring.slotOverflow(0)).toBe(3);
    expect(ring.slotCount(0, "a")).toBe(2);
    ring.closeThrough(1);
    expect(ring.overflow).toBe(3);
    expect(ring.keys).toBe(2); // "c" was never kept
    ring.closeThrough(3);
    expect(ring.overflow).toBe(0);
  });

  test("counts beyond keysMax go to overflow, and released ids are reused", () => {
    const ring = new KeyedRing({ windowSlots: 1, keysMax: 2 });
    ring.add(0, "a", 1);
    ring.add(0, "b", 1);
    ring.add(0, "c", 1);
    expect(ring.slotOverflow(0)).toBe(1);
    ring.closeThrough(2); // slot 0 evicted: both ids free
    ring.add(2, "c", 1);
    ring.add(2, "d", 1);
    ring.closeThrough(3);
    expect(ring.topK(5).map((entry) => entry.key)).toEqual(["c", "d"]);
  });

  test("add() refuses slots it does not hold", () => {
    const ring = new KeyedRing({ windowSlots: 2, openSlotsMax: 1 });
    ring.closeThrough(10);
    expect(ring.add(7, "a", 1)).toBe(false);
    expect(ring.add(11, "a", 1)).toBe(false);
    expect(ring.add(8, "a", 1)).toBe(true); // in the window: counted at once
    expect(ring.count("a")).toBe(1);
    expect(ring.add(10, "a", 1)).toBe(true);
  });

  test("pinned ids survive eviction and count without interning", () => {
    const ring = new KeyedRing({ windowSlots: 1 });
    const id = ring.pin("hot");
    ring.addId(0, id, 2);
    ring.closeThrough(1);
    expect(ring.count("hot")).toBe(2);
    ring.closeThrough(5);
    expect(ring.keys).toBe(1);
    ring.addId(5, id, 1);
    ring.closeThrough(6);
    expect(ring.topK(1)).toEqual([{ key: "hot", count: 1 }]);
    ring.unpin(id);
    ring.closeThrough(7);
    expect(ring.keys).toBe(0);
  });

  test("a slot grows past its first allocation and keeps every key", () => {
    const ring = new KeyedRing({ windowSlots: 1, slotKeysMax: 1000 });
    for (let i = 0; i < 1000; i++) ring.add(0, `k${i}`, i);
    ring.closeThrough(1);
    expect(ring.overflow).toBe(0);
    expect(ring.count("k999")).toBe(999);
    expect(ring.topK(2)).toEqual([
      { key: "k999", count: 999 },
      { key: "k998", count: 998 },
    ]);
  });

  test("rejects invalid options", () => {
    expect(() => new KeyedRing({ windowSlots: 0 })).toThrow(/'windowSlots' must be a positive/);
    expect(() => new KeyedRing({ windowSlots: 1, slotKeysMax: 1.5 })).toThrow(RangeError);
  });
});

/** The same semantics, written as plainly as possible: maps of slots, sums on demand. */
class NaiveKeyedRing {
  slots = new Map<number, { counts: Map<string, number>; overflow: number }>();
  closedEnd = Number.NaN;

  constructor(
    readonly windowSlots: number,
    readonly openSlotsMax: number,
    readonly slotKeysMax: number,
    readonly keysMax: number,
  ) {}

  held(): SlotRange {
    return { start: this.closedEnd - this.windowSlots, end: this.closedEnd + this.openSlotsMax };
  }

  liveKeys(): Set<string> {
    const keys = new Set<string>();
    for (const slot of this.slots.values()) for (const key of slot.counts.keys()) keys.add(key);
    return keys;
  }

  add(slot: number, key: string, delta: number): boolean {
    if (Number.isNaN(this.closedEnd)) this.closedEnd = slot;
    const { start, end } = this.held();
    if (slot < start || slot >= end) return false;
    let data = this.slots.get(slot);
    if (data === undefined) {
      data = { counts: new Map(), overflow: 0 };
      this.slots.set(slot, data);
    }
    const live = this.liveKeys();
    if (data.counts.has(key)) data.counts.set(key, (data.counts.get(key) ?? 0) + delta);
    else if (data.counts.size >= this.slotKeysMax) data.overflow += delta;
    else if (!live.has(key) && live.size >= this.keysMax) data.overflow += delta;
    else data.counts.set(key, delta);
    return true;
  }

  closeThrough(end: number): void {
    if (Number.isNaN(this.closedEnd)) this.closedEnd = end;
    if (end <= this.closedEnd) return;
    this.closedEnd = end;
    for (const slot of [...this.slots.keys()]) {
      if (slot < end - this.windowSlots) this.slots.delete(slot);
    }
  }

  clearSlot(slot: number): void {
    this.slots.delete(slot);
  }

  sums(range?: SlotRange): { counts: Map<string, number>; overflow: number } {
    const { start, end } = range ?? {
      start: this.closedEnd - this.windowSlots,
      end: this.closedEnd,
    };
    const counts = new Map<string, number>();
    let overflow = 0;
    for (const [slot, data] of this.slots) {
      if (slot < start || slot >= end) continue;
      overflow += data.overflow;
      for (const [key, count] of data.counts) counts.set(key, (counts.get(key) ?? 0) + count);
    }
    return { counts, overflow };
  }

  topK(k: number, range?: SlotRange): { key: string; count: number }[] {
    if (Number.isNaN(this.closedEnd)) return [];
    return [...this.sums(range).counts]
      .map(([key, count]) => ({ key, count }))
      .filter((entry) => entry.count > 0)
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))
      .slice(0, Math.max(0, k));
  }
}

type Op =
  | { op: "add"; at: number; key: string; delta: number }
  | { op: "close"; by: number }
  | { op: "clear"; at: number }
  | { op: "top"; k: number; from: number; to: number; ranged: boolean };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      at: fc.integer({ min: -9, max: 6 }),
      key: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"),
      delta: fc.integer({ min: -3, max: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("close" as const),
      by: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 4, max: 40 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("clear" as const),
      at: fc.integer({ min: -8, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("top" as const),
      k: fc.integer({ min: 0, max: 6 }),
      from: fc.nat(12),
      to: fc.nat(12),
      ranged: fc.boolean(),
    }),
  },
);

describe("KeyedRing matches a naive reference", () => {
  test("on random operations, exactly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(opArbitrary, { maxLength: 150 }),
        (windowSlots, openSlotsMax, slotKeysMax, keysMax, ops) => {
          const options = { windowSlots, openSlotsMax, slotKeysMax, keysMax };
          const ring = new KeyedRing(options);
          const naive = new NaiveKeyedRing(windowSlots, openSlotsMax, slotKeysMax, keysMax);
          ring.closeThrough(20);
          naive.closeThrough(20);
          for (const op of ops) {
            const base = naive.closedEnd;
            if (op.op === "add") {
              const slot = base + op.at;
              expect(ring.add(slot, op.key, op.delta)).toBe(naive.add(slot, op.key, op.delta));
            } else if (op.op === "close") {
              ring.closeThrough(base + op.by);
              naive.closeThrough(base + op.by);
            } else if (op.op === "clear") {
              const slot = base + op.at;
              const held = naive.held();
              ring.clearSlot(slot);
              if (slot >= held.start && slot < held.end) naive.clearSlot(slot);
            } else {
              const held = naive.held();
              const span = held.end - held.start;
              const a = held.start + (op.from % (span + 1));
              const b = held.start + (op.to % (span + 1));
              const range = op.ranged ? { start: Math.min(a, b), end: Math.max(a, b) } : undefined;
              expect(ring.topK(op.k, range)).toEqual(naive.topK(op.k, range));
              expect(ring.overflowIn(range)).toBe(naive.sums(range).overflow);
              expect(ring.count("a", range)).toBe(naive.sums(range).counts.get("a") ?? 0);
            }
          }
          expect(ring.topK(100)).toEqual(naive.topK(100));
          expect(ring.keys).toBe(naive.liveKeys().size);
          for (let slot = naive.held().start; slot < naive.held().end; slot++) {
            const seen: [string, number][] = [];
            ring.forEachInSlot(slot, (key, count) => seen.push([key, count]));
            expect(seen).toEqual([...(naive.slots.get(slot)?.counts ?? [])]);
          }
        },
      ),
      { numRuns: 400, seed: 20170319 },
    );
  });
});
