import { describe, expect, test } from "bun:test";
import { encodeStats, parseStats } from "./codec.ts";
import { emptyStats } from "./empty.ts";
import type { Stats } from "./schema.ts";

const AT = 1_526_781_485_000;

function full(): Stats {
  return {
    ...emptyStats(AT, { kind: "final", emittedAt: AT + 12 }),
    counts: { rsvps: 3, yes: 2, no: 1 },
    totals: { yes: 10, no: 4 },
    series: [{ t: AT - 1000, yes: 1, no: 0 }],
    topEvents: [
      {
        id: "qxbnbmywkbvb",
        name: "Café \u2615",
        url: "https://www.meetup.com/x/events/1/",
        yes: 2,
      },
    ],
    topTopics: [{ urlkey: "softwaredev", name: "Software Development", count: 3 }],
    topGroups: [{ id: 1809828, name: "G", urlname: "g", city: "Berlin", country: "de", count: 3 }],
    topCountries: [{ country: "de", count: 3 }],
    topCities: [{ city: "Berlin", country: "de", count: 3 }],
    geo: [{ lat: 52.5, lon: 13.4, response: "yes", eventName: "E", eventUrl: "u", t: AT - 10 }],
    quality: { late: 1, duplicates: 2, flips: 1, rejected: 0, overflow: 0 },
    progress: { watermark: AT, partitions: [{ partition: 0, offset: 42, watermark: AT }] },
  };
}

describe("encodeStats() and parseStats()", () => {
  test("round-trip every field of a final message", () => {
    const stats = full();
    const result = parseStats(encodeStats(stats));
    expect(result).toEqual({ ok: true, stats });
  });

  test("round-trip an empty snapshot, from text as well as bytes", () => {
    const stats = emptyStats(AT);
    expect(stats.window).toEqual({ start: AT - 300_000, end: AT, lengthMs: 300_000, slotMs: 1000 });
    const text = new TextDecoder().decode(encodeStats(stats));
    expect(parseStats(text)).toEqual({ ok: true, stats });
  });

  test("encodeStats() refuses a message that breaks the schema", () => {
    const bad = { ...full(), counts: { rsvps: -1, yes: 0, no: 0 } };
    expect(() => encodeStats(bad)).toThrow(/counts\.rsvps/);
    const fractional = { ...full(), at: 1.5 };
    expect(() => encodeStats(fractional)).toThrow(TypeError);
  });
});

describe("parseStats() rejections", () => {
  const json = (value: unknown) => JSON.stringify(value);

  test("names broken JSON, non-objects and schema errors", () => {
    expect(parseStats('{"v":1,')).toMatchObject({ ok: false, reason: "not-json" });
    expect(parseStats(new Uint8Array([0xff, 0xfe]))).toMatchObject({ reason: "not-json" });
    expect(parseStats("[1]")).toMatchObject({ reason: "not-json" });
    const result = parseStats(json({ ...full(), topEvents: [{ id: 1 }] }));
    expect(result).toMatchObject({ ok: false, reason: "schema" });
    if (!result.ok) expect(result.message).toContain("topEvents.0");
  });

  test("marks another version or an unknown kind as unsupported, for consumers to skip", () => {
    expect(parseStats(json({ ...full(), v: 2 }))).toMatchObject({ reason: "unsupported" });
    expect(parseStats(json({ ...full(), kind: "histogram" }))).toMatchObject({
      reason: "unsupported",
    });
  });

  test("rejects a geo point at a response other than yes or no", () => {
    const stats = full();
    const geo = [{ ...stats.geo[0], response: "maybe" }];
    expect(parseStats(json({ ...stats, geo }))).toMatchObject({ reason: "schema" });
  });
});
