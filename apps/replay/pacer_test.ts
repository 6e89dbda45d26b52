import { describe, expect, test } from "bun:test";
import { Pacer, REALTIME_GAP_MS_MAX, Restamper } from "./pacer.ts";

describe("Pacer", () => {
  test("realtime follows mtime gaps, divided by the speed", () => {
    const pacer = new Pacer({ kind: "realtime", speed: 2 });
    expect([1000, 1400, 3400].map((mtime) => pacer.next(mtime))).toEqual([0, 200, 1200]);
  });

  test("realtime sends out-of-order records at once and measures from the latest mtime", () => {
    const pacer = new Pacer({ kind: "realtime", speed: 1 });
    expect([10_000, 9_000, 2_000, 10_500, undefined].map((mtime) => pacer.next(mtime))).toEqual([
      0, 0, 0, 500, 500,
    ]);
  });

  test(`realtime caps a gap at ${REALTIME_GAP_MS_MAX} ms (seams between captures)`, () => {
    const pacer = new Pacer({ kind: "realtime", speed: 1 });
    pacer.next(0);
    expect(pacer.next(86_400_000)).toBe(REALTIME_GAP_MS_MAX);
  });

  test("fixed rate spaces records evenly, max sends all at once", () => {
    const fixed = new Pacer({ kind: "fixed", perSecond: 4 });
    expect([1, 1, 1, 1].map((mtime) => fixed.next(mtime))).toEqual([0, 250, 500, 750]);
    const max = new Pacer({ kind: "max" });
    expect([5, 1, 9].map((mtime) => max.next(mtime))).toEqual([0, 0, 0]);
  });
});

describe("Restamper", () => {
  test("moves a pass to now, keeping offsets, and leaves the rest of the bytes alone", () => {
    const restamper = new Restamper();
    const now = 1_800_000_000_000;
    expect(restamper.restamp('  {"a":"\\/","mtime":1000,"b":1}', 1000, 0, now)).toBe(
      `  {"a":"\\/","mtime":${now},"b":1}`,
    );
    // A later record keeps its offset; a stale one stays stale. The clock is read once per pass.
    expect(restamper.restamp('{"mtime": 1500}', 1500, 0, now + 99)).toBe(`{"mtime": ${now + 500}}`);
    expect(restamper.restamp('{"mtime":400}', 400, 0, now)).toBe(`{"mtime":${now - 600}}`);
    // A new pass starts at the new now.
    expect(restamper.restamp('{"mtime":1000}', 1000, 1, now + 10_000)).toBe(
      `{"mtime":${now + 10_000}}`,
    );
  });

  test("leaves a message without mtime unchanged", () => {
    expect(new Restamper().restamp('{"rsvp_id":1', undefined, 0, 5)).toBe('{"rsvp_id":1');
  });
});
