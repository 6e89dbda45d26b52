import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { recordedLines } from "./_testing.ts";
import { type Extracted, ProfileCache } from "./profile.ts";
import { type Compiler, rsvpScanner, SCAN } from "./rsvp_scan.ts";

const recorded = recordedLines();
const encode = (text: string) => new TextEncoder().encode(text);
/** The recorded RSVPs that are RSVPs (all but the truncated line). */
const records = recorded.filter((line) =>
  new ProfileCache({ native: false }).extract(encode(line)),
);

/** Records of a second pass over `records` whose event's cached group or venue changed since. */
function replacedEntries(): number {
  const keyOf = (line: string) => {
    const { event, group, venue } = JSON.parse(line);
    return {
      event: JSON.stringify([event.event_id, event.event_name, event.event_url]),
      rest: JSON.stringify([group, venue]),
    };
  };
  const latest = new Map<string, string>();
  for (const line of records) {
    const { event, rest } = keyOf(line);
    latest.set(event, rest);
  }
  let replaced = 0;
  for (const line of records) {
    const { event, rest } = keyOf(line);
    if (latest.get(event) !== rest) replaced++;
    latest.set(event, rest);
  }
  return replaced;
}

/** What extraction gives, without the worker's interning slot. */
function view(extracted: Extracted | undefined) {
  if (extracted === undefined) return undefined;
  const { keys: _keys, ...profile } = extracted.profile;
  return { id: extracted.id, mtime: extracted.mtime, yes: extracted.yes, profile };
}

/** The exact path's answer for `bytes`, and the native cache's (which may hold other records). */
function expectSame(native: ProfileCache, bytes: Uint8Array, label = ""): void {
  const exact = view(new ProfileCache({ native: false }).extract(bytes));
  expect({ label, result: view(native.extract(bytes)) }).toEqual({ label, result: exact });
}

describe("the native fast path (rsvp_scan.c)", () => {
  for (const compiler of ["gcc", "tinycc"] as Compiler[]) {
    test(`${compiler}: every recorded line gives the exact path's answer, the repeat from the cache`, () => {
      const native = new ProfileCache({ compiler });
      for (const line of recorded) expectSame(native, encode(line));
      const first = { ...native.counters };
      // Every RSVP was scanned (none left to the exact path); the truncated line was not.
      expect(first.exact).toBe(recorded.length - records.length);
      expect(first.fast + first.newKeys).toBe(records.length);
      for (const line of recorded) expectSame(native, encode(line));
      // The second pass reads every RSVP from the cache, but for those whose event's entry was
      // replaced since (the cache keeps one group and venue per event, the latest).
      expect(native.counters.fast - first.fast).toBe(records.length - replacedEntries());
    });
  }

  test("byte edits of a cached record give the exact path's answer (fast-check)", () => {
    const native = new ProfileCache();
    // Characters that change JSON's meaning or break UTF-8, and a few harmless ones.
    const interesting = [
      ...'"\\{}[],:0-+.eE1 \tnulltruefalsexyz',
      "\u0000",
      "\u001f",
      "\u007f",
    ].map((c) => c.charCodeAt(0));
    const byte = fc.oneof(
      fc.constantFrom(...interesting, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xff),
      fc.integer({ min: 0, max: 255 }),
    );
    const edit = fc.tuple(fc.constantFrom("set", "insert", "delete"), fc.nat(), byte);
    fc.assert(
      fc.property(
        fc.nat({ max: records.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (index, edits) => {
          const original = encode(records[index] as string);
          native.extract(original); // cached, so the edited record may be read from the cache
          const bytes = [...original];
          for (const [kind, at, value] of edits) {
            const i = at % (bytes.length + 1);
            if (kind === "set" && i < bytes.length) bytes[i] = value;
            if (kind === "insert") bytes.splice(i, 0, value);
            if (kind === "delete") bytes.splice(i, 1);
          }
          expectSame(native, new Uint8Array(bytes), JSON.stringify(edits));
        },
      ),
      { numRuns: 6000, seed: 31 },
    );
  });

  test("field edits of a cached record give the exact path's answer (fast-check)", () => {
    const native = new ProfileCache();
    const paths = [
      "rsvp_id",
      "mtime",
      "response",
      "guests",
      "visibility",
      "member",
      "member.member_id",
      "member.member_name",
      "member.photo",
      "member.other_services",
      "event",
      "event.event_id",
      "event.event_name",
      "event.event_url",
      "event.time",
      "group",
      "group.group_id",
      "group.group_country",
      "group.group_topics",
      "venue",
      "venue.lat",
    ].map((path) => path.split("."));
    const value = fc.oneof(
      fc.constantFrom<unknown>(
        undefined,
        null,
        0,
        -0,
        -1,
        1.5,
        2 ** 53,
        2 ** 53 - 1,
        1e21,
        "",
        "yes",
        "no",
        "Yes",
        "é",
        "\u2028",
        "\ud800",
        {},
        [],
        { identifier: "x" },
        { twitter: { identifier: "x" } },
        { __proto__: null, constructor: { identifier: "x" } },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(
        fc.nat({ max: records.length - 1 }),
        fc.constantFrom(...paths),
        value,
        fc.constantFrom(0, 1, 2),
        (index, path, to, spacing) => {
          const original = records[index] as string;
          native.extract(encode(original));
          const json = JSON.parse(original) as Record<string, unknown>;
          let target = json;
          for (const key of path.slice(0, -1)) {
            const next = target[key];
            if (typeof next !== "object" || next === null) return;
            target = next as Record<string, unknown>;
          }
          target[path[path.length - 1] as string] = to;
          // Re-serialised (escapes differ from the capture's) and spaced in three ways.
          const text = JSON.stringify(json, null, spacing === 2 ? "\t" : spacing);
          expectSame(native, encode(text), `${path.join(".")} = ${JSON.stringify(to)}`);
        },
      ),
      { numRuns: 4000, seed: 37 },
    );
  });

  test("edge cases JSON.parse and TextDecoder decide: keys, numbers, order, encoding", () => {
    const native = new ProfileCache();
    const base = records[0] as string;
    native.extract(encode(base));
    const object = JSON.parse(base) as Record<string, unknown>;
    const { event, group, ...rest } = object;
    const body = base.slice(1, -1);
    const cases: [string, string][] = [
      ["as recorded", base],
      ["rsvp_id twice, last wins", `{"rsvp_id":1,${body}}`],
      ["response twice", `{${body},"response":"no"}`],
      ["an escaped key", `{${body.replace('"rsvp_id"', '"rsvp\\u005fid"')}}`],
      [
        "an escaped response",
        `{${body.replace(/"response":"(yes|no)"/, '"response":"y\\u0065s"')}}`,
      ],
      ["rsvp_id 1.0", `{${body.replace(/"rsvp_id":\d+/, '"rsvp_id":1.0')}}`],
      ["rsvp_id 1e3", `{${body.replace(/"rsvp_id":\d+/, '"rsvp_id":1e3')}}`],
      ["rsvp_id 16 digits", `{${body.replace(/"rsvp_id":\d+/, '"rsvp_id":9007199254740993')}}`],
      ["rsvp_id -0", `{${body.replace(/"rsvp_id":\d+/, '"rsvp_id":-0')}}`],
      ["rsvp_id negative", `{${body.replace(/"rsvp_id":\d+/, '"rsvp_id":-15')}}`],
      ["rsvp_id 01", `{${body.replace(/"rsvp_id":\d+/, '"rsvp_id":01')}}`],
      ["guests -0", `{${body.replace(/"guests":\d+/, '"guests":-0')}}`],
      ["a byte-order mark", `\ufeff${base}`],
      ["spaces around", ` \n${base}\r\n\t`],
      ["trailing comma", `{${body},}`],
      ["trailing text", `${base}x`],
      ["two objects", `${base}${base}`],
      ["group before event", JSON.stringify({ group, event, ...rest })],
      ["no venue", JSON.stringify({ ...object, venue: undefined })],
      ["venue null", JSON.stringify({ ...object, venue: null })],
      ["lone surrogate escape", base.replace('"event_name":"', '"event_name":"\\ud800')],
      ["a raw tab in a string", base.replace('"event_name":"', '"event_name":"\t')],
      ["a raw tab in the member", base.replace('"member_name":"', '"member_name":"\t')],
      ["a bad escape in the member", base.replace('"member_name":"', '"member_name":"\\x')],
      ["a short \\u in the member", base.replace('"member_name":"', '"member_name":"\\u12')],
      ["__proto__ key", `{"__proto__":{"rsvp_id":1},${body}}`],
      ["deep nesting", `{"deep":${"[".repeat(40)}${"]".repeat(40)},${body}}`],
      ["deep but allowed", `{"deep":${"[".repeat(20)}${"]".repeat(20)},${body}}`],
    ];
    for (const [label, text] of cases) expectSame(native, encode(text), label);
    // Byte-level encodings TextDecoder rejects (overlong, surrogate, beyond U+10FFFF, cut short),
    // in the event (a new key, so the exact path reads it) and in the member (read from cache).
    const bytes = encode(base);
    const text = new TextDecoder().decode(bytes);
    for (const field of ['"event_name":"', '"member_name":"']) {
      const at = encode(text.slice(0, text.indexOf(field) + field.length)).length;
      for (const bad of [
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xe2, 0x82],
        [0xe0, 0x9f, 0x80],
        [0xf0, 0x8f, 0x80, 0x80],
      ]) {
        const edited = new Uint8Array([...bytes.slice(0, at), ...bad, ...bytes.slice(at)]);
        expectSame(native, edited, `${field} ${bad.join(",")}`);
      }
    }
    expectSame(native, new Uint8Array(0), "empty");
  });

  test("a full cache starts over and keeps answering", () => {
    const native = new ProfileCache({ keysMax: 8 });
    for (const line of recorded) expectSame(native, encode(line));
    for (const line of recorded) expectSame(native, encode(line));
    expect(native.counters.fast).toBeGreaterThan(0);
  });

  test("put stores only the record the last scan found new; close frees and falls back", () => {
    const scanner = rsvpScanner(16);
    const first = encode(records[0] as string);
    expect(scanner.scan(first)).toBe(SCAN.newKey);
    // Bytes of another length than those scanned are refused; then the right ones, once.
    expect(scanner.put(first.subarray(0, first.length - 1), 0)).toBe(false);
    expect(scanner.put(first, 7)).toBe(true);
    expect(scanner.put(first, 7)).toBe(false);
    expect(scanner.scan(first)).toBe(SCAN.cached);
    expect(scanner.out[3]).toBe(7);
    // After a scan that was not "new", put is refused.
    expect(scanner.put(first, 8)).toBe(false);
    expect(scanner.scan(encode("not json"))).toBe(SCAN.unknown);
    expect(scanner.put(first, 8)).toBe(false);
    scanner.close();
    expect(scanner.scan(first)).toBe(SCAN.unknown);
    expect(scanner.put(first, 9)).toBe(false);
    expect(() => scanner.clear()).toThrow("closed");

    const cache = new ProfileCache();
    for (const line of records.slice(0, 50)) expectSame(cache, encode(line));
    cache.close();
    for (const line of records.slice(0, 50)) expectSame(cache, encode(line));
    expect(cache.counters.exact).toBe(50);
  });
});
