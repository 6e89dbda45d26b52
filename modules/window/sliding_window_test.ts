import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SlidingWindow, type SlidingWindowOptions, type WindowView } from "./sliding_window.ts";

/** What a view says, as plain data, so runs can be compared. */
interface Seen {
  kind: string;
  start: number;
  end: number;
  late: number;
  sums: number[];
  top: { key: string; count: number }[][];
}

function record(out: Seen[], metrics: number, dims: number) {
  return (view: WindowView) =>
    out.push({
      kind: view.kind,
      start: view.range.start,
      end: view.range.end,
      late: view.late,
      sums: Array.from({ length: metrics }, (_, m) => view.sum(m)),
      top: Array.from({ length: dims }, (_, d) => view.topK(d, 3)),
    });
}

describe("SlidingWindow", () => {
  test("emits one final per slot as the watermark passes, and counts late events", () => {
    const seen: Seen[] = [];
    const window = new SlidingWindow({
      slotMs: 1000,
      windowSlots: 3,
      metrics: 1,
      onClose: record(seen, 1, 1),
    });
    for (const [time, key] of [
      [1_000, "a"],
      [1_500, "b"],
      [2_100, "a"],
      [4_000, "a"],
    ] as const) {
      const slot = window.accept(time, 0);
      window.count(slot, 0, 1);
      window.key(slot, 0, key, 1);
    }
    expect(window.accept(3_999, 0)).toBe(-1);
    expect(window.late).toBe(1);
    expect(seen.map((s) => [s.end, s.sums[0]])).toEqual([
      [2, 2],
      [3, 3],
      [4, 3],
    ]);
    expect(seen[2]?.top[0]).toEqual([
      { key: "a", count: 2 },
      { key: "b", count: 1 },
    ]);
  });

  test("a paused source still closes windows and decays the count to zero", () => {
    const finals: Seen[] = [];
    const updates: Seen[] = [];
    const window = new SlidingWindow({
      slotMs: 1000,
      windowSlots: 300,
      idleMs: 5000,
      emitMs: 1000,
      metrics: 1,
      onClose: record(finals, 1, 1),
      onUpdate: record(updates, 1, 1),
    });
    const start = 1_700_000_000_000;
    let now = 0;
    for (let i = 0; i < 100; i++) {
      window.count(window.accept(start + i * 100, now), 0, 1);
      now += 100;
    }
    window.tick(now);
    expect(updates.at(-1)?.sums[0]).toBe(100);
    // The replay pauses: nothing arrives for ten minutes of wall-clock time.
    for (let t = 0; t < 600; t++) {
      now += 1000;
      window.tick(now);
    }
    const last = finals.at(-1);
    expect(last?.sums[0]).toBe(0);
    expect(last?.end).toBeGreaterThan(Math.floor(start / 1000) + 300);
    expect(updates.at(-1)?.sums[0]).toBe(0);
    // Every slot boundary produced exactly one final, in order.
    const ends = finals.map((f) => f.end);
    expect(ends).toEqual(ends.map((_, i) => (ends[0] as number) + i));
  });

  test("live updates come at most every emitMs and only after a change", () => {
    const updates: Seen[] = [];
    const window = new SlidingWindow({ emitMs: 100, onUpdate: record(updates, 1, 0) });
    window.tick(0);
    expect(updates.length).toBe(0);
    window.count(window.accept(5_000, 0), 0, 1);
    window.tick(10);
    window.count(window.accept(5_001, 20), 0, 1);
    window.tick(50);
    expect(updates.length).toBe(1);
    window.tick(110);
    expect(updates.map((u) => u.sums[0])).toEqual([1, 2]);
    window.tick(500);
    expect(updates.length).toBe(2);
  });

  test("a jump of months closes the windows holding data, then one empty window", () => {
    const finals: Seen[] = [];
    const window = new SlidingWindow({ windowSlots: 3, onClose: record(finals, 1, 0) });
    window.count(window.accept(10_000, 0), 0, 1);
    window.count(window.accept(90 * 86_400_000, 0), 0, 1);
    expect(finals.map((f) => [f.end, f.sums[0]])).toEqual([
      [11, 1],
      [12, 1],
      [13, 1],
      [14, 0],
      [15, 0],
      [90 * 86_400, 0],
    ]);
  });
});

/** The window semantics restated over a plain list of accepted events. */
class NaiveWindow {
  events: { slot: number; metric: number; key: string }[] = [];
  maxTime = Number.NEGATIVE_INFINITY;
  anchorTime = Number.NEGATIVE_INFINITY;
  anchorWall = Number.NEGATIVE_INFINITY;
  closedEnd = Number.NaN;
  late = 0;
  updated = false;
  lastEmit = Number.NEGATIVE_INFINITY;
  out: Seen[] = [];

  constructor(
    readonly o: Required<Pick<SlidingWindowOptions, "slotMs" | "windowSlots" | "emitMs">> & {
      lateness: number;
      idleMs: number;
    },
  ) {}

  slotOf(time: number) {
    return Math.floor(time / this.o.slotMs);
  }

  watermarkEnd() {
    return Math.floor((this.maxTime - this.o.lateness) / this.o.slotMs);
  }

  view(kind: string, start: number, end: number): Seen {
    const inRange = this.events.filter((e) => e.slot >= start && e.slot < end);
    const counts = new Map<string, number>();
    for (const e of inRange) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    const top = [...counts]
      .map(([key, count]) => ({ key, count }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))
      .slice(0, 3);
    const sums = [0, 1].map((m) => inRange.filter((e) => e.metric === m).length);
    return { kind, start, end, late: this.late, sums, top: [top] };
  }

  closeTo(end: number) {
    if (!Number.isFinite(end)) return;
    if (Number.isNaN(this.closedEnd)) {
      this.closedEnd = end;
      return;
    }
    const open = Math.ceil(this.o.lateness / this.o.slotMs) + 2;
    const stepLast = Math.min(end, this.closedEnd + this.o.windowSlots + open);
    const ends: number[] = [];
    for (let e = this.closedEnd + 1; e <= stepLast; e++) ends.push(e);
    if (end > stepLast) ends.push(end);
    for (const e of ends) this.out.push(this.view("final", e - this.o.windowSlots, e));
    if (end > this.closedEnd) this.closedEnd = end;
  }

  accept(time: number, now: number, metric: number, key: string) {
    this.anchorWall = now;
    if (this.slotOf(time) < this.watermarkEnd()) {
      this.late++;
      this.anchorTime = this.maxTime;
      this.updated = true;
      return;
    }
    this.maxTime = Math.max(this.maxTime, time);
    this.anchorTime = this.maxTime;
    this.closeTo(this.watermarkEnd());
    this.events.push({ slot: this.slotOf(time), metric, key });
    this.updated = true;
  }

  tick(now: number) {
    if (now - this.anchorWall >= this.o.idleMs) {
      const t = this.anchorTime + (now - this.anchorWall);
      if (t > this.maxTime) {
        this.maxTime = t;
        this.closeTo(this.watermarkEnd());
        this.updated = true;
      }
    }
    if (!this.updated || now - this.lastEmit < this.o.emitMs) return;
    this.updated = false;
    this.lastEmit = now;
    if (!Number.isFinite(this.maxTime)) return;
    const end = this.slotOf(this.maxTime) + 1;
    this.out.push(this.view("update", end - this.o.windowSlots, end));
  }
}

type Step =
  | { kind: "event"; dt: number; wall: number; metric: number; key: string }
  | { kind: "tick"; wall: number };

describe("SlidingWindow matches a naive reference", () => {
  test("on random streams (out of order, late, idle gaps, jumps), exactly", () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant("event" as const),
          dt: fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: -3000, max: 900 }) },
            { weight: 1, arbitrary: fc.integer({ min: 1000, max: 40_000 }) },
          ),
          wall: fc.integer({ min: 0, max: 400 }),
          metric: fc.integer({ min: 0, max: 1 }),
          key: fc.constantFrom("a", "b", "c", "d", "e"),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("tick" as const),
          wall: fc.integer({ min: 0, max: 3000 }),
        }),
      },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(100, 250, 1000),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 300, 1000, 2500),
        fc.constantFrom(500, 2000, Number.POSITIVE_INFINITY),
        fc.constantFrom(0, 200, 1000),
        fc.array(step, { maxLength: 120 }),
        (slotMs, windowSlots, lateness, idleMs, emitMs, steps) => {
          const seen: Seen[] = [];
          const window = new SlidingWindow({
            slotMs,
            windowSlots,
            allowedLatenessMs: lateness,
            idleMs,
            emitMs,
            metrics: 2,
            onClose: record(seen, 2, 1),
            onUpdate: record(seen, 2, 1),
          });
          const naive = new NaiveWindow({ slotMs, windowSlots, emitMs, lateness, idleMs });
          let time = 1_000_000;
          let now = 0;
          for (const s of steps) {
            now += s.wall;
            if (s.kind === "tick") {
              window.tick(now);
              naive.tick(now);
              continue;
            }
            time = Math.max(0, time + s.dt);
            const slot = window.accept(time, now);
            if (slot >= 0) {
              window.count(slot, s.metric, 1);
              window.key(slot, 0, s.key, 1);
            }
            naive.accept(time, now, s.metric, s.key);
          }
          expect(seen).toEqual(naive.out);
          expect(window.late).toBe(naive.late);
        },
      ),
      { numRuns: 400, seed: 1541 },
    );
  });
});
