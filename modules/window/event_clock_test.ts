import { describe, expect, test } from "bun:test";
import { EventClock } from "./event_clock.ts";
import { KeyTable } from "./key_table.ts";

describe("EventClock", () => {
  test("watermark is the latest time minus the allowed lateness; late events do not move it", () => {
    const clock = new EventClock({ slotMs: 1000, allowedLatenessMs: 2000 });
    expect(clock.closedEnd).toBe(Number.NEGATIVE_INFINITY);
    expect(clock.observe(10_500, 0)).toBe(true);
    expect(clock.watermark).toBe(8_500);
    expect(clock.closedEnd).toBe(8);
    expect(clock.observe(8_000, 1)).toBe(true); // slot 8 is still open
    expect(clock.observe(7_999, 2)).toBe(false); // slot 7 closed
    expect(clock.maxTime).toBe(10_500);
    expect(clock.observe(9_000, 3)).toBe(true); // behind the latest, within lateness
    expect(clock.maxTime).toBe(10_500);
  });

  test("advanceIdle() moves time at wall-clock speed only after idleMs of quiet", () => {
    const clock = new EventClock({ slotMs: 1000, idleMs: 5000 });
    expect(clock.advanceIdle(1_000_000)).toBe(false); // nothing seen yet
    clock.observe(50_000, 1_000);
    expect(clock.advanceIdle(5_999)).toBe(false);
    expect(clock.estimate(5_999)).toBe(50_000);
    expect(clock.advanceIdle(6_000)).toBe(true);
    expect(clock.maxTime).toBe(55_000);
    expect(clock.advanceIdle(66_000)).toBe(true);
    expect(clock.maxTime).toBe(115_000);
    // A new event re-anchors the clock; time never goes back.
    clock.observe(115_100, 66_500);
    expect(clock.advanceIdle(70_000)).toBe(false);
    expect(clock.maxTime).toBe(115_100);
    expect(clock.estimate(80_000)).toBe(115_100 + 13_500);
  });

  test("advanceTo() only moves forward", () => {
    const clock = new EventClock({ slotMs: 10 });
    expect(clock.advanceTo(100)).toBe(true);
    expect(clock.advanceTo(50)).toBe(false);
    expect(clock.closedEnd).toBe(10);
    expect(clock.isLate(99)).toBe(true);
    expect(clock.isLate(100)).toBe(false);
  });

  test("rejects invalid options", () => {
    expect(() => new EventClock({ slotMs: 0 })).toThrow(/'slotMs' must be a positive integer/);
    expect(() => new EventClock({ slotMs: 1, allowedLatenessMs: -1 })).toThrow(RangeError);
    expect(() => new EventClock({ slotMs: 1, idleMs: 0 })).toThrow(/'idleMs' must be > 0/);
  });
});

describe("KeyTable", () => {
  test("interns keys, recycles released ids and refuses keys beyond capacity", () => {
    const table = new KeyTable(2);
    const a = table.intern("a");
    const b = table.intern("b");
    expect(table.intern("a")).toBe(a);
    expect(table.intern("c")).toBe(-1);
    table.retain(a);
    table.retain(b);
    table.release(a);
    expect(table.get("a")).toBe(-1);
    expect(table.has(a)).toBe(false);
    expect(table.intern("c")).toBe(a); // the freed id is reused
    expect(table.key(a)).toBe("c");
    expect(table.size).toBe(2);
    expect(() => table.release(a)).toThrow(/holds no reference/);
    table.dropIfUnused(a);
    expect(table.size).toBe(1);
    expect(() => new KeyTable(0)).toThrow(RangeError);
  });
});
