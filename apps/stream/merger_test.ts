import { describe, expect, test } from "bun:test";
import type { Stats } from "../../modules/stats/mod.ts";
import { Merger, readMergerCheckpoint } from "./merger.ts";
import { COUNT, DIMENSIONS, type SlotData } from "./slot_data.ts";

function merger(partitions = 2, pendingSlotsMax = 100, overrides: { windowSlots?: number } = {}) {
  return new Merger({
    partitions,
    timeBasis: "ingest",
    slotMs: 1000,
    windowSlots: overrides.windowSlots ?? 3,
    liveSlotsMax: 4,
    slotKeysMax: 10,
    keysMax: 100,
    geoPoints: 3,
    pendingSlotsMax,
  });
}

/** Slot data with `yes` RSVPs for one event and topic. */
function data(yes: number, event = "e1"): SlotData {
  const counts = new Array(11).fill(0);
  counts[COUNT.windowYes] = yes;
  counts[COUNT.seriesYes] = yes;
  counts[COUNT.totalYes] = yes;
  const keys: [string, number][][] = DIMENSIONS.map(() => []);
  keys[0] = [[event, yes]];
  keys[1] = [["tech", yes]];
  return {
    counts,
    keys,
    removes: [],
    labels: { events: { [event]: ["Event", "https://e"] }, topics: { tech: "Tech" }, groups: {} },
    geo: [],
  };
}

function report(partition: number, closedEnd: number | null, caughtUp = false) {
  return { partition, nextOffset: 0, closedEnd, maxTime: (closedEnd ?? 0) * 1000, caughtUp };
}

function close(m: Merger): Stats[] {
  const out: Stats[] = [];
  m.close((stats) => out.push(stats));
  return out;
}

describe("Merger", () => {
  test("closes a slot only when every partition has closed it", () => {
    const m = merger();
    m.addSlot(0, 10, data(2), 0);
    m.addReport(report(0, 11));
    expect(close(m)).toEqual([]); // partition 1 has not reported
    m.addSlot(1, 10, data(1), 1);
    m.addReport(report(1, 12));
    const finals = close(m);
    expect(finals.map((f) => [f.window.end, f.counts.yes, f.totals.yes])).toEqual([[11_000, 3, 3]]);
    expect(finals[0]?.topEvents).toEqual([{ id: "e1", name: "Event", url: "https://e", yes: 3 }]);
    expect(finals[0]?.topTopics).toEqual([{ urlkey: "tech", name: "Tech", count: 3 }]);
  });

  test("drops a partition's slot sent twice, and slots that already closed", () => {
    const m = merger(1);
    expect(m.addSlot(0, 5, data(1), 0)).toBe("pending");
    expect(m.addSlot(0, 5, data(1), 1)).toBe("duplicate");
    m.addReport(report(0, 6));
    expect(close(m)[0]?.counts.yes).toBe(1);
    expect(m.addSlot(0, 5, data(1), 2)).toBe("stale");
    expect(m.counters).toMatchObject({ duplicateParts: 1, staleParts: 1 });
  });

  test("a partition read to its end without records does not hold the windows back", () => {
    const m = merger(2);
    m.addSlot(0, 3, data(1), 0);
    m.addReport(report(0, 5));
    m.addReport(report(1, null, false));
    expect(close(m)).toEqual([]);
    m.addReport(report(1, null, true));
    expect(close(m).map((f) => f.window.end)).toEqual([4000, 5000]);
  });

  test("windows slide: a slot leaves after windowSlots, then one empty window stands for the gap", () => {
    const m = merger(1);
    m.addSlot(0, 0, data(1), 0);
    m.addReport(report(0, 100));
    const finals = close(m);
    expect(finals.map((f) => [f.window.end / 1000, f.counts.yes])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 0],
      [100, 0],
    ]);
    expect(finals[3]?.totals.yes).toBe(1); // running totals do not slide
  });

  test("live data shows in snapshots and is replaced by the exact slot when it closes", () => {
    const m = merger(1);
    m.addSlot(0, 0, data(1), 0);
    m.addReport(report(0, 1));
    close(m);
    m.addLive(0, 1, data(5));
    expect(m.liveChanged).toBe(true);
    const snapshot = m.snapshot();
    expect(snapshot?.kind).toBe("snapshot");
    expect([snapshot?.counts.yes, snapshot?.totals.yes]).toEqual([6, 6]);
    m.addSlot(0, 1, data(4), 1);
    m.addReport(report(0, 2));
    expect(close(m).map((f) => [f.counts.yes, f.totals.yes])).toEqual([[5, 5]]);
  });

  test("holds at most pendingSlotsMax slots for a lagging partition", () => {
    const m = merger(2, 3);
    for (let slot = 0; slot < 5; slot++) m.addSlot(0, slot, data(1), slot);
    m.addReport(report(0, 5));
    m.addReport(report(1, 0));
    const finals = close(m);
    expect(m.pendingSlots).toBe(3);
    expect(finals.map((f) => f.window.end / 1000)).toEqual([1, 2]);
    expect(m.counters.forcedCloses).toBe(1);
  });

  test("a restarted merger re-reads far enough to see labels workers send only now and then", () => {
    // Window of 4 slots: workers resend an unchanged label every 2 slots, so the label of
    // "e1" travels with slot 0 only, and slot 1 counts it without one.
    const options = { windowSlots: 4 };
    const first = merger(1, 100, options);
    const withoutLabel = { ...data(1), labels: { events: {}, topics: {}, groups: {} } };
    const messages: [number, SlotData][] = [
      [0, data(1)],
      [1, withoutLabel],
    ];
    messages.forEach(([slot, d], offset) => {
      first.addSlot(0, slot, d, offset);
    });
    first.addReport(report(0, 5));
    close(first);
    const { offset, metadata } = first.checkpoint(2);
    const second = merger(1, 100, options);
    const saved = readMergerCheckpoint(metadata);
    second.restore(saved?.checkpoint as NonNullable<typeof saved>["checkpoint"] & object);
    messages.slice(offset).forEach(([slot, d], i) => {
      second.addSlot(0, slot, d, offset + i);
    });
    second.addReport(report(0, 6));
    const [final] = close(second);
    expect(final?.window.end).toBe(6000); // the window [2, 6) holds slot 1's RSVP no more...
    expect(final?.topEvents).toEqual([]);
    second.addSlot(0, 6, withoutLabel, 3);
    second.addReport(report(0, 7));
    // ...but a later slot without a label still finds the label re-read from slot 0.
    expect(close(second)[0]?.topEvents[0]?.name).toBe("Event");
  });

  test("checkpoint() keeps what a restart must re-read and the running totals", () => {
    const m = merger(1);
    m.addSlot(0, 0, data(2), 7);
    m.addSlot(0, 1, data(1), 9);
    m.addReport(report(0, 2));
    close(m);
    const { offset, metadata } = m.checkpoint(12);
    expect(offset).toBe(7);
    expect(readMergerCheckpoint(metadata)).toEqual({
      pos: 12,
      checkpoint: {
        closedEnd: 2,
        totals: { yes: 3, no: 0 },
        quality: { late: 0, duplicates: 0, flips: 0, rejected: 0, overflow: 0 },
      },
    });
    expect(readMergerCheckpoint("{")).toBeUndefined();
  });
});
