import { describe, expect, test } from "bun:test";
import { recordedRecords } from "./_testing.ts";
import { PartitionWorker, readCheckpoint } from "./partition_worker.ts";
import { extractRsvp } from "./profile.ts";
import { COUNT, EVENTS, type SlotData } from "./slot_data.ts";

const [sample] = recordedRecords(1);
if (sample === undefined) throw new Error("no recorded records");
const base = JSON.parse(sample.text);

/** A recorded RSVP with some fields replaced, as raw bytes. */
function rsvp(fields: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...base, ...fields }));
}

function worker(timeBasis: "ingest" | "event" = "ingest") {
  return new PartitionWorker(
    {
      partition: 0,
      timeBasis,
      slotMs: 1000,
      windowSlots: 10,
      allowedLatenessMs: 1000,
      slotKeysMax: 100,
      geoPoints: 5,
    },
    { offset: 0 },
  );
}

let offset = 0;
function feed(w: PartitionWorker, value: Uint8Array, receivedAt: number): void {
  w.process({ offset: offset++, value, receivedAt, timestamp: receivedAt }, 0);
}

function closedCounts(w: PartitionWorker): Map<number, SlotData> {
  return new Map(w.takeClosed().map(({ slot, data }) => [slot, data]));
}

describe("PartitionWorker", () => {
  test("counts a late record in the first open slot and nowhere else", () => {
    const w = worker();
    feed(w, rsvp({ rsvp_id: 1 }), 10_000);
    feed(w, rsvp({ rsvp_id: 2 }), 13_500); // watermark 12500: slots before 12 closed
    feed(w, rsvp({ rsvp_id: 3 }), 11_999); // slot 11: late
    w.advanceTo(30_000);
    const slots = closedCounts(w);
    expect(slots.get(10)?.counts[COUNT.windowYes] ?? 0).toBe(base.response === "yes" ? 1 : 0);
    expect(slots.get(12)?.counts[COUNT.late]).toBe(1);
    expect(w.counters).toMatchObject({ records: 3, late: 1 });
    const total = [...slots.values()].reduce(
      (sum, data) => sum + (data.counts[COUNT.windowYes] ?? 0) + (data.counts[COUNT.windowNo] ?? 0),
      0,
    );
    expect(total).toBe(2);
  });

  test("counts records that are not RSVPs as rejected", () => {
    const w = worker();
    feed(w, new TextEncoder().encode('{"rsvp_id": 1, "mti'), 5_000);
    feed(w, rsvp({ response: "maybe" }), 5_100);
    feed(w, rsvp({ rsvp_id: 9 }), 5_200);
    w.advanceTo(20_000);
    const slots = closedCounts(w);
    expect(slots.get(5)?.counts[COUNT.rejected]).toBe(2);
    expect(w.counters.rejected).toBe(2);
  });

  test("a repeat within the window moves the RSVP; a flip moves the totals", () => {
    const w = worker();
    feed(w, rsvp({ rsvp_id: 7, response: "yes" }), 1_000);
    feed(w, rsvp({ rsvp_id: 7, response: "no" }), 4_000);
    feed(w, rsvp({ rsvp_id: 7, response: "no" }), 20_000); // 16 slots later: new again
    w.advanceTo(40_000);
    const slots = closedCounts(w);
    const flip = slots.get(4) as SlotData;
    expect(flip.counts[COUNT.windowNo]).toBe(1);
    expect(flip.counts[COUNT.flips]).toBe(1);
    expect([flip.counts[COUNT.totalYes], flip.counts[COUNT.totalNo]]).toEqual([-1, 1]);
    expect(flip.removes).toEqual([
      expect.objectContaining({ slot: 1, yes: 1, no: 0 }) as unknown as SlotData["removes"][0],
    ]);
    expect(flip.removes[0]?.keys[EVENTS]).toEqual([[base.event.event_id, -1]]);
    expect(slots.get(20)?.counts[COUNT.duplicates] ?? 0).toBe(0);
    expect(w.counters).toMatchObject({ duplicates: 1, flips: 1 });
  });

  test("event time windows on mtime, not received_at", () => {
    const w = worker("event");
    feed(w, rsvp({ rsvp_id: 1, mtime: 50_000 }), 1);
    w.advanceTo(100_000);
    expect([...closedCounts(w).keys()]).toEqual([50]);
  });

  test("checkpoint() points at the window start and carries position and clock", () => {
    const w = worker();
    offset = 100;
    for (let i = 0; i < 30; i++) feed(w, rsvp({ rsvp_id: i }), i * 1000);
    const { offset: from, metadata } = w.checkpoint();
    // Closed end is slot 28; placements before slot 19 can no longer match a repeat.
    expect(from).toBe(100 + 19);
    expect(readCheckpoint(metadata)).toEqual({ pos: 130, maxTime: 29_000 });
    expect(readCheckpoint("someone else's")).toBeUndefined();
    expect(readCheckpoint(null)).toBeUndefined();
  });
});

describe("extractRsvp()", () => {
  test("accepts every recorded RSVP, with the keys the windows count by", () => {
    for (const record of recordedRecords(1)) {
      expect(extractRsvp(new TextEncoder().encode(record.text))).toBeDefined();
    }
    const extracted = extractRsvp(rsvp({}));
    expect(extracted?.profile.groupKey).toBe(String(base.group.group_id));
    expect(extracted?.profile.cityKey).toBe(`${base.group.group_country}/${base.group.group_city}`);
  });

  test("rejects each field it reads when it is malformed", () => {
    const bad = [
      { rsvp_id: "1" },
      { mtime: 1.5 },
      { response: "maybe" },
      { event: { ...base.event, event_id: "" } },
      { event: null },
      { group: { ...base.group, group_country: "usa" } },
      { group: { ...base.group, group_topics: [{ urlkey: 1 }] } },
      { group: { ...base.group, group_lat: "0" } },
      { venue: { venue_id: 1, venue_name: "x", lat: null, lon: 0 } },
    ];
    for (const fields of bad) expect(extractRsvp(rsvp(fields))).toBeUndefined();
    expect(extractRsvp(new Uint8Array([0xff]))).toBeUndefined();
    expect(extractRsvp(new TextEncoder().encode("[]"))).toBeUndefined();
  });

  test("locates an RSVP at the venue, else the group, never at (0, 0)", () => {
    const venue = { venue_id: 1, venue_name: "v", lat: 1, lon: 2 };
    expect(extractRsvp(rsvp({ venue }))?.profile).toMatchObject({ lat: 1, lon: 2 });
    const zero = { ...venue, lat: 0, lon: 0 };
    const group = { ...base.group, group_lat: 3, group_lon: 4 };
    expect(extractRsvp(rsvp({ venue: zero, group }))?.profile).toMatchObject({ lat: 3, lon: 4 });
    const nowhere = { ...base.group, group_lat: 0, group_lon: 0 };
    expect(extractRsvp(rsvp({ venue: zero, group: nowhere }))?.profile.lat).toBeNaN();
  });
});
