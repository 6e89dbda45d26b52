import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as v from "valibot";
import { pathsConfig } from "../config/mod.ts";
import { isRsvp } from "./_is_rsvp.ts";
import { parse } from "./parse.ts";
import { rsvpSchema } from "./schema.ts";

/** The verdict the fast check must reproduce: valibot's, on the same value. */
const valibot = (value: unknown) => v.safeParse(rsvpSchema, value).success;

const dataDir = pathsConfig().rsvpDataDir;
const recorded = readdirSync(dataDir)
  .filter((name) => name.endsWith(".jsonl"))
  .sort()
  .flatMap((file) => readFileSync(join(dataDir, file), "utf8").split("\n"))
  .filter((line) => line.trim() !== "");

const json = (line: string): unknown => {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
};

describe("isRsvp() on the recorded stream", () => {
  test("gives valibot's verdict on every line", () => {
    let accepted = 0;
    for (const line of recorded) {
      const value = json(line);
      expect(isRsvp(value)).toBe(valibot(value));
      if (isRsvp(value)) accepted++;
    }
    // Every complete record of the captures is an RSVP (the truncated line is not JSON).
    expect(accepted).toBe(recorded.length - 1);
  });
});

const safeInt = fc.maxSafeInteger();
const text = fc.string({ maxLength: 12 });
const topic = fc.record({ urlkey: text, topic_name: text });
const lowerLetter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz");
const country = fc.tuple(lowerLetter, lowerLetter).map(([a, b]) => a + b);
/** Keys outside the schema: valibot ignores them, so must the check. */
const extras = fc.dictionary(fc.constantFrom("extra", "x_new", "rsvp", "0"), fc.jsonValue(), {
  maxKeys: 2,
});
const withExtras = <T extends object>(arbitrary: fc.Arbitrary<T>) =>
  fc.tuple(arbitrary, extras).map(([value, more]) => ({ ...more, ...value }));

/** Valid RSVPs by the schema, optional fields present or absent, with unknown keys. */
const validRsvp = withExtras(
  fc.record(
    {
      rsvp_id: safeInt,
      mtime: safeInt,
      response: fc.constantFrom("yes", "no"),
      guests: fc.maxSafeNat(),
      visibility: text,
      member: withExtras(
        fc.record(
          {
            member_id: safeInt,
            member_name: text,
            photo: text,
            other_services: fc.dictionary(
              fc.constantFrom("twitter", "facebook", "linkedin", "constructor", "prototype"),
              withExtras(fc.record({ identifier: text })),
              { maxKeys: 3 },
            ),
          },
          { requiredKeys: ["member_id", "member_name"] },
        ),
      ),
      event: withExtras(
        fc.record(
          {
            event_id: fc.string({ minLength: 1, maxLength: 12 }),
            event_name: text,
            event_url: text,
            time: safeInt,
          },
          { requiredKeys: ["event_id", "event_name", "event_url"] },
        ),
      ),
      group: withExtras(
        fc.record(
          {
            group_id: safeInt,
            group_name: text,
            group_city: text,
            group_country: country,
            group_state: text,
            group_urlname: text,
            group_lat: fc.double({ noNaN: true, noDefaultInfinity: true }),
            group_lon: fc.double({ noNaN: true, noDefaultInfinity: true }),
            group_topics: fc.array(withExtras(topic), { maxLength: 4 }),
          },
          {
            requiredKeys: [
              "group_id",
              "group_name",
              "group_city",
              "group_country",
              "group_urlname",
              "group_lat",
              "group_lon",
              "group_topics",
            ],
          },
        ),
      ),
      venue: withExtras(
        fc.record({
          venue_id: safeInt,
          venue_name: text,
          lat: fc.double({ noNaN: true, noDefaultInfinity: true }),
          lon: fc.double({ noNaN: true, noDefaultInfinity: true }),
        }),
      ),
    },
    {
      requiredKeys: [
        "rsvp_id",
        "mtime",
        "response",
        "guests",
        "visibility",
        "member",
        "event",
        "group",
      ],
    },
  ),
);

/** Every place a mutation can hit, as a path from the root. */
const PATHS: string[][] = [
  ...["rsvp_id", "mtime", "response", "guests", "visibility", "member", "event", "group"],
  ...["venue"],
  ...["member_id", "member_name", "photo", "other_services"].map((key) => `member.${key}`),
  ...["event_id", "event_name", "event_url", "time"].map((key) => `event.${key}`),
  ...["group_id", "group_name", "group_city", "group_country", "group_state", "group_urlname"].map(
    (key) => `group.${key}`,
  ),
  ...["group_lat", "group_lon", "group_topics"].map((key) => `group.${key}`),
  ...["venue_id", "venue_name", "lat", "lon"].map((key) => `venue.${key}`),
  "group.group_topics.0",
  "group.group_topics.0.urlkey",
  "group.group_topics.0.topic_name",
  "member.other_services.twitter",
  "member.other_services.twitter.identifier",
].map((path) => path.split("."));

const DELETE = Symbol("delete");

/** Values that break (or just test) a field: wrong types, bounds, edge numbers, shapes. */
const replacement = fc.oneof(
  fc.constantFrom<unknown>(
    DELETE,
    null,
    true,
    0,
    -0,
    -1,
    1.5,
    2 ** 53,
    -(2 ** 53),
    2 ** 53 - 1,
    1e308,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    "",
    "US",
    "u",
    "usa",
    "u1",
    "Us",
    "`a",
    "a{",
    "yes",
    "no",
    "Yes",
    "maybe",
    "12",
    [],
    [{}],
    [{ urlkey: "a", topic_name: "b" }],
    {},
    { identifier: "x" },
    { identifier: 1 },
    { twitter: { identifier: "x" } },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A recorded RSVP (one the schema accepts) with one field replaced or deleted. */
function mutatedRecorded(): fc.Arbitrary<unknown> {
  const records = recorded.map(json).filter(isRsvp);
  return fc
    .tuple(fc.integer({ min: 0, max: records.length - 1 }), fc.constantFrom(...PATHS), replacement)
    .map(([index, path, to]) => mutate(records[index], path, to));
}

function mutate(value: unknown, path: string[], to: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== "object" || next === null) return copy;
    target = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (to === DELETE) delete target[last];
  else target[last] = to;
  return copy;
}

describe("isRsvp() against valibot (fast-check)", () => {
  test("accepts every generated valid RSVP, as valibot does", () => {
    fc.assert(
      fc.property(validRsvp, (rsvp) => {
        expect(valibot(rsvp)).toBe(true);
        expect(isRsvp(rsvp)).toBe(true);
        // Through JSON as well, the way ingest sees it.
        expect(isRsvp(JSON.parse(JSON.stringify(rsvp)))).toBe(true);
      }),
      { numRuns: 1500, seed: 21 },
    );
  });

  test("gives valibot's verdict on generated RSVPs with one or two fields mutated", () => {
    const mutation = fc.tuple(fc.constantFrom(...PATHS), replacement);
    fc.assert(
      fc.property(validRsvp, fc.array(mutation, { minLength: 1, maxLength: 2 }), (rsvp, edits) => {
        let value: unknown = rsvp;
        for (const [path, to] of edits) value = mutate(value, path, to);
        expect(isRsvp(value)).toBe(valibot(value));
      }),
      { numRuns: 6000, seed: 5 },
    );
  });

  test("gives valibot's verdict on recorded RSVPs with a field mutated", () => {
    fc.assert(
      fc.property(mutatedRecorded(), (value) => {
        expect(isRsvp(value)).toBe(valibot(value));
      }),
      { numRuns: 4000, seed: 9 },
    );
  });

  test("gives valibot's verdict on arbitrary JSON objects", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(isRsvp(value)).toBe(valibot(value));
      }),
      { numRuns: 1000, seed: 13 },
    );
  });

  test("edge cases JSON.parse produces: huge numbers, -0, __proto__ keys, arrays as records", () => {
    const base = recorded.map(json).find(isRsvp) as Record<string, unknown>;
    const cases = [
      '{"rsvp_id": 1e400}',
      '{"guests": -0}',
      '{"guests": 1e21}',
      '{"mtime": 9007199254740993}',
      '{"group": {"group_lat": -1e400}}',
      '{"member": {"other_services": {"__proto__": {"identifier": 5}}}}',
      '{"member": {"other_services": {"constructor": 5}}}',
      '{"member": {"other_services": []}}',
      '{"member": {"other_services": [{"identifier": "a"}]}}',
      '{"member": {"other_services": [{"id": "a"}]}}',
      '{"member": []}',
      '{"venue": null}',
      '{"venue": []}',
      '{"group": {"group_topics": {"0": {"urlkey": "a", "topic_name": "b"}, "length": 1}}}',
      '{"__proto__": {"rsvp_id": 1}}',
    ];
    for (const patch of cases) {
      const value = deepMerge(structuredClone(base), JSON.parse(patch));
      expect({ patch, verdict: isRsvp(value) }).toEqual({ patch, verdict: valibot(value) });
    }
  });
});

describe("parse() with the fast check", () => {
  test("accepts and rejects exactly as valibot alone, with valibot's message", () => {
    const message = (value: unknown) => {
      const result = v.safeParse(rsvpSchema, value);
      return result.success ? undefined : v.getDotPath(result.issues[0]);
    };
    fc.assert(
      fc.property(mutatedRecorded(), (value) => {
        const result = parse(JSON.stringify(value));
        if (result.ok || result.reason !== "schema") {
          expect(result.ok).toBe(valibot(JSON.parse(JSON.stringify(value))));
          return;
        }
        expect(result.message.startsWith(`${message(JSON.parse(JSON.stringify(value)))}:`)).toBe(
          true,
        );
      }),
      { numRuns: 1000, seed: 17 },
    );
  });
});

/** Copies `patch` into `target` key by key (own keys, `__proto__` included as a plain key). */
function deepMerge(target: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return target;
  for (const key of Object.keys(patch)) {
    const value = (patch as Record<string, unknown>)[key];
    const current = target[key];
    if (
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      typeof current === "object" &&
      current !== null &&
      !Array.isArray(current) &&
      Object.hasOwn(target, key)
    ) {
      deepMerge(current as Record<string, unknown>, value);
    } else {
      Object.defineProperty(target, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return target;
}
