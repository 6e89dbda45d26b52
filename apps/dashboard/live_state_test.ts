import { describe, expect, test } from "bun:test";
import { emptyStats, type GeoPoint } from "../../modules/stats/mod.ts";
import { statsFixture } from "./_stats_fixture.ts";
import { LiveState, type LiveStateOptions } from "./live_state.ts";

const T0 = 1_700_000_000_000;

function state(options: Partial<LiveStateOptions> = {}): LiveState {
  return new LiveState({
    historyMs: 600_000,
    staleMs: 15_000,
    heartbeatMs: 5_000,
    geoPointsMax: 50,
    ...options,
  });
}

function geo(t: number, lat = 1): GeoPoint {
  return { lat, lon: 2, response: "yes", eventName: "e", eventUrl: "u", t };
}

describe("LiveState.apply()", () => {
  test("the first message yields its whole series, top lists and geo", () => {
    const live = state();
    const update = live.apply(statsFixture(T0, { slots: 300, geoPoints: 20 }), T0 + 5)!;
    expect(update.series).toHaveLength(300);
    expect(update.geo).toHaveLength(20);
    expect(update.latest.topEvents).toHaveLength(5);
    expect(update.latest.receivedAt).toBe(T0 + 5);
    expect("series" in update.latest).toBe(false);
    expect(live.lastReceivedAt).toBe(T0 + 5);
  });

  test("the next second's message sends only the slots that changed", () => {
    const live = state();
    live.apply(statsFixture(T0, { slots: 300 }), T0);
    const next = statsFixture(T0 + 1000, { slots: 300 });
    const update = live.apply(next, T0 + 1000)!;
    expect(update.series.map((p) => p.t)).toEqual([T0]);
  });

  test("a provisional slot is corrected by a later message", () => {
    const live = state();
    const first = { ...emptyStats(T0), series: [{ t: T0 - 1000, yes: 1, no: 0 }] };
    live.apply(first, T0);
    const corrected = { ...emptyStats(T0 + 1000), series: [{ t: T0 - 1000, yes: 3, no: 1 }] };
    expect(live.apply(corrected, T0 + 1000)?.series).toEqual([{ t: T0 - 1000, yes: 3, no: 1 }]);
    expect(live.snapshot(T0).series).toEqual([{ t: T0 - 1000, yes: 3, no: 1 }]);
  });

  test("an older message (a late final) corrects slots but never rolls the top lists back", () => {
    const live = state();
    const newer = {
      ...statsFixture(T0 + 5000),
      topEvents: [{ id: "new", name: "new", url: "u", yes: 9 }],
    };
    live.apply(newer, T0 + 5000);
    const final = {
      ...emptyStats(T0, { kind: "final" }),
      series: [{ t: T0 - 1000, yes: 42, no: 0 }],
      topEvents: [{ id: "old", name: "old", url: "u", yes: 1 }],
    };
    const update = live.apply(final, T0 + 6000)!;
    expect(update.series).toEqual([{ t: T0 - 1000, yes: 42, no: 0 }]);
    expect(update.latest.topEvents[0]?.id).toBe("new");
    expect(live.snapshot(T0).latest?.topEvents[0]?.id).toBe("new");
  });

  test("an older message that changes nothing yields no update", () => {
    const live = state();
    live.apply(statsFixture(T0 + 5000), T0);
    expect(live.apply(emptyStats(T0 + 1000), T0)).toBeUndefined();
  });

  test("ignores messages older than the history span, and prunes slots that fall out of it", () => {
    const live = state({ historyMs: 60_000 });
    live.apply(statsFixture(T0, { slots: 60 }), T0);
    expect(live.apply(statsFixture(T0 - 120_000, { slots: 5 }), T0)).toBeUndefined();
    live.apply(statsFixture(T0 + 30_000, { slots: 10 }), T0 + 30_000);
    const times = live.snapshot(T0).series.map((p) => p.t);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(T0 + 30_000 - 60_000);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test("bounds the series by point count whatever the slot width", () => {
    const live = state({ seriesPointsMax: 100 });
    const series = Array.from({ length: 500 }, (_, i) => ({
      t: T0 - 500 * 10 + i * 10,
      yes: 1,
      no: 0,
    }));
    live.apply({ ...emptyStats(T0, { slotMs: 10 }), series }, T0);
    const kept = live.snapshot(T0).series;
    expect(kept).toHaveLength(100);
    expect(kept.at(-1)?.t).toBe(T0 - 10);
  });

  test("sends each geo point once and keeps at most geoPointsMax", () => {
    const live = state({ geoPointsMax: 3 });
    expect(live.apply({ ...emptyStats(T0), geo: [geo(1), geo(2)] }, T0)?.geo).toHaveLength(2);
    const update = live.apply(
      { ...emptyStats(T0 + 1000), geo: [geo(1), geo(2), geo(3), geo(4)] },
      T0,
    )!;
    expect(update.geo.map((p) => p.t)).toEqual([3, 4]);
    expect(live.snapshot(T0).geo.map((p) => p.t)).toEqual([2, 3, 4]);
    // A point evicted from the ring is new again if it comes back.
    expect(live.apply({ ...emptyStats(T0 + 2000), geo: [geo(1)] }, T0)?.geo).toHaveLength(1);
  });
});

describe("LiveState.snapshot()", () => {
  test("is empty before any message and carries the settings and the clock", () => {
    const snapshot = state().snapshot(T0);
    expect(snapshot).toMatchObject({ now: T0, latest: null, series: [], geo: [], health: null });
    expect(snapshot.settings.historyMs).toBe(600_000);
  });
});
