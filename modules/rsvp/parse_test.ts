import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { pathsConfig } from "../config/mod.ts";
import { parse, type RejectReason } from "./parse.ts";

const dataDir = pathsConfig().rsvpDataDir;
const files = readdirSync(dataDir)
  .filter((name) => name.endsWith(".jsonl"))
  .sort();

/** Every line of the recorded files, as raw bytes, with where it came from. */
const lines = files.flatMap((file) => {
  const bytes = readFileSync(join(dataDir, file));
  const out: { file: string; index: number; bytes: Uint8Array }[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (i > start) out.push({ file, index: out.length, bytes: bytes.subarray(start, i) });
      start = i + 1;
    }
  }
  return out;
});

const REASONS: RejectReason[] = [
  "empty",
  "too-large",
  "not-utf8",
  "not-json",
  "not-object",
  "schema",
];

describe("parse() on the recorded stream", () => {
  test("accepts every complete record of every recorded file", () => {
    const rejected = lines
      .map((line) => ({ line, result: parse(line.bytes) }))
      .filter(({ result }) => !result.ok);
    // Exactly one line of all the captures is broken: the truncated last line of 2017-03-19.
    expect(rejected.length).toBe(1);
    const [only] = rejected;
    expect(only?.line.file).toBe("meetup-2017-03-19.jsonl");
    expect(only?.result).toMatchObject({ ok: false, reason: "not-json" });
    expect(lines.length - rejected.length).toBe(1541 + 1386 + 1);
  });

  test("returns the same values as JSON.parse for accepted records", () => {
    for (const line of lines.slice(0, 200)) {
      const result = parse(line.bytes);
      if (!result.ok) continue;
      const json = JSON.parse(new TextDecoder().decode(line.bytes));
      expect(result.rsvp.rsvp_id).toBe(json.rsvp_id);
      expect(result.rsvp.event.event_id).toBe(json.event.event_id);
      expect(result.rsvp.group.group_topics).toEqual(json.group.group_topics);
      expect(result.rsvp.venue).toEqual(json.venue);
    }
  });

  test("accepts text input as well as bytes", () => {
    const first = lines[0];
    if (first === undefined) throw new Error("no recorded lines");
    expect(parse(new TextDecoder().decode(first.bytes)).ok).toBe(true);
  });
});

describe("parse() rejections", () => {
  const valid = JSON.parse(new TextDecoder().decode(lines[0]?.bytes));

  test("names the reason for each kind of bad input", () => {
    expect(parse("")).toMatchObject({ ok: false, reason: "empty" });
    expect(parse("   \n")).toMatchObject({ ok: false, reason: "empty" });
    expect(parse('{"rsvp_id": 1, "mti')).toMatchObject({ ok: false, reason: "not-json" });
    expect(parse("[1,2]")).toMatchObject({ ok: false, reason: "not-object" });
    expect(parse("null")).toMatchObject({ ok: false, reason: "not-object" });
    expect(parse(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      reason: "not-utf8",
    });
    expect(parse("x".repeat(70_000))).toMatchObject({ ok: false, reason: "too-large" });
    expect(parse(JSON.stringify(valid), { bytesMax: 100 })).toMatchObject({ reason: "too-large" });
  });

  test("says which field breaks the schema", () => {
    const noEvent = { ...valid, event: { ...valid.event, event_id: 250753032 } };
    const result = parse(JSON.stringify(noEvent));
    expect(result).toMatchObject({ ok: false, reason: "schema" });
    if (!result.ok) expect(result.message).toContain("event.event_id");
    expect(parse(JSON.stringify({ ...valid, response: "maybe" }))).toMatchObject({
      reason: "schema",
    });
    expect(parse(JSON.stringify({ ...valid, venue: null }))).toMatchObject({ reason: "schema" });
    const upper = { ...valid, group: { ...valid.group, group_country: "US" } };
    expect(parse(JSON.stringify(upper))).toMatchObject({ reason: "schema" });
  });

  test("treats absent optional fields as absent, not null", () => {
    const { venue: _venue, ...noVenue } = valid;
    const result = parse(JSON.stringify(noVenue));
    expect(result.ok).toBe(true);
    if (result.ok) expect("venue" in result.rsvp).toBe(false);
  });
});

describe("parse() never throws", () => {
  const records = lines.filter((line) => parse(line.bytes).ok).map((line) => line.bytes);

  const check = (input: Uint8Array | string) => {
    const result = parse(input);
    if (!result.ok) {
      expect(REASONS).toContain(result.reason);
      expect(result.message.length).toBeGreaterThan(0);
    }
  };

  test("on real records with bytes flipped, cut or spliced", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: records.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (index, flips, cut) => {
          const bytes = Uint8Array.from(records[index] ?? []);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          check(bytes);
          check(bytes.subarray(0, cut % (bytes.length + 1)));
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  test("on real records with fields replaced by arbitrary JSON values", () => {
    const paths = [
      ["rsvp_id"],
      ["mtime"],
      ["response"],
      ["guests"],
      ["member"],
      ["member", "member_id"],
      ["event"],
      ["event", "event_id"],
      ["event", "time"],
      ["group", "group_topics"],
      ["group", "group_lat"],
      ["venue"],
      ["venue", "lat"],
      ["member", "other_services"],
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: records.length - 1 }),
        fc.constantFrom(...paths),
        fc.jsonValue(),
        (index, path, value) => {
          const record = JSON.parse(new TextDecoder().decode(records[index]));
          let target = record;
          for (const key of path.slice(0, -1)) target = target?.[key] ?? {};
          target[path[path.length - 1] as string] = value;
          check(JSON.stringify(record));
        },
      ),
      { numRuns: 2000, seed: 11 },
    );
  });

  test("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => check(text)),
      { numRuns: 1000, seed: 3 },
    );
  });
});
