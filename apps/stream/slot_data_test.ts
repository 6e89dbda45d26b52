import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { recordedRecords } from "./_testing.ts";
import { InternedKeys } from "./interned_keys.ts";
import { extractRsvp, type Profile, ProfileCache } from "./profile.ts";
import { COUNT, EVENTS, SlotBuilder, type SlotData, TOPICS } from "./slot_data.ts";

const cache = new ProfileCache();
const profiles: Profile[] = [];
for (const record of recordedRecords(1)) {
  const profile = extractRsvp(new TextEncoder().encode(record.text), cache)?.profile;
  if (profile !== undefined && !profiles.includes(profile)) profiles.push(profile);
  if (profiles.length === 40) break;
}
const bounds = { slotKeysMax: 4096, geoPoints: 10 };

/** What one slot receives: RSVPs added (with their profile and response) and taken back. */
const slotInput = fc.array(
  fc.record({
    profile: fc.nat(profiles.length - 1),
    yes: fc.boolean(),
    kind: fc.constantFrom("add", "add", "add", "remove", "takeBack"),
  }),
  { maxLength: 30 },
);

function build(
  interned: InternedKeys,
  slots: (typeof slotInput extends fc.Arbitrary<infer T> ? T : never)[],
) {
  return slots.map((inputs, slot) => {
    const b = new SlotBuilder(bounds, interned);
    for (const { profile, yes, kind } of inputs) {
      const p = profiles[profile] as Profile;
      if (kind === "add") b.contribute(p, yes, 1);
      else if (kind === "takeBack") b.contribute(p, yes, -1);
      else b.remove(slot - 1, p, yes);
    }
    return b.toData({ slot, resendSlots: 3 });
  });
}

/** The keyed deltas a slot's inputs add up to, counted the slow way. */
function expectedKeys(inputs: { profile: number; yes: boolean; kind: string }[]) {
  const sums = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  for (const { profile, yes, kind } of inputs) {
    if (kind === "remove") continue;
    const p = profiles[profile] as Profile;
    const sign = kind === "add" ? 1 : -1;
    const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + sign);
    if (yes) add(sums[0] as Map<string, number>, p.eventId);
    for (const topic of p.topicKeys) add(sums[1] as Map<string, number>, topic);
    add(sums[2] as Map<string, number>, p.groupKey);
  }
  return sums.map((map) => [...map].filter(([, n]) => n !== 0).sort());
}

describe("SlotBuilder", () => {
  test("sums each key over the slot's RSVPs, leaving out keys that net to zero", () => {
    fc.assert(
      fc.property(fc.array(slotInput, { minLength: 1, maxLength: 6 }), (slots) => {
        const data = build(new InternedKeys(), slots);
        slots.forEach((inputs, slot) => {
          const keys = (data[slot] as SlotData).keys;
          expect([0, 1, 2].map((dim) => [...(keys[dim] ?? [])].sort())).toEqual(
            expectedKeys(inputs),
          );
        });
      }),
      { numRuns: 200 },
    );
  });

  test("a table that starts new generations gives the same keys, and every label it must", () => {
    fc.assert(
      fc.property(fc.array(slotInput, { minLength: 1, maxLength: 8 }), (slots) => {
        const roomy = build(new InternedKeys(), slots);
        const cramped = build(new InternedKeys(5), slots);
        roomy.forEach((data, slot) => {
          const other = cramped[slot] as SlotData;
          expect(other.keys).toEqual(data.keys);
          expect(other.removes).toEqual(data.removes);
          expect(other.counts).toEqual(data.counts);
          // Starting over may send a label again, never drop one.
          expect(other.labels.events).toMatchObject(data.labels.events);
          expect(other.labels.topics).toMatchObject(data.labels.topics);
          expect(other.labels.groups).toMatchObject(data.labels.groups);
        });
      }),
      { numRuns: 200 },
    );
  });

  test("sends a label once per resend interval, and again at once when its text changes", () => {
    const interned = new InternedKeys();
    const p = profiles[0] as Profile;
    const renamed: Profile = { ...p, eventName: `${p.eventName} (moved)`, keys: undefined };
    const labelsAt = (slot: number, profile: Profile) => {
      const b = new SlotBuilder(bounds, interned);
      b.contribute(profile, true, 1);
      return b.toData({ slot, resendSlots: 3 }).labels;
    };
    expect(labelsAt(10, p).events[p.eventId]).toEqual([p.eventName, p.eventUrl]);
    expect(labelsAt(11, p).events).toEqual({});
    expect(labelsAt(12, p).topics).toEqual({});
    expect(labelsAt(13, p).events[p.eventId]).toEqual([p.eventName, p.eventUrl]);
    expect(labelsAt(14, renamed).events[p.eventId]).toEqual([renamed.eventName, p.eventUrl]);
    expect(labelsAt(15, p).events[p.eventId]).toEqual([p.eventName, p.eventUrl]);
  });

  test("an event's label is that of the RSVP that added it last; takes-backs send none", () => {
    const p = profiles[0] as Profile;
    const renamed: Profile = { ...p, eventName: "Renamed", keys: undefined };
    const b = new SlotBuilder(bounds, new InternedKeys());
    b.contribute(p, true, 1);
    b.contribute(renamed, true, 1);
    b.contribute(p, false, -1);
    b.remove(3, profiles[1] as Profile, true);
    const data = b.toData();
    expect(data.labels.events).toEqual({ [p.eventId]: ["Renamed", p.eventUrl] });
    expect(data.counts[COUNT.windowYes]).toBe(2);
    expect(data.counts[COUNT.windowNo]).toBe(-1);
    expect(data.keys[EVENTS]).toEqual([[p.eventId, 2]]);
    expect(data.removes[0]?.keys[TOPICS]?.every(([, n]) => n === -1)).toBe(true);
  });

  test("keys beyond the bound go to the overflow count", () => {
    const b = new SlotBuilder({ slotKeysMax: 2, geoPoints: 0 }, new InternedKeys());
    const distinct = profiles.filter(
      (p, i) => profiles.findIndex((q) => q.eventId === p.eventId) === i,
    );
    for (const p of distinct.slice(0, 4)) b.contribute(p, true, 1);
    const data = b.toData();
    expect(data.keys[EVENTS]).toHaveLength(2);
    expect(data.counts[COUNT.overflow]).toBeGreaterThanOrEqual(2);
  });

  test("keeps the newest geo points, oldest first", () => {
    const b = new SlotBuilder({ slotKeysMax: 10, geoPoints: 3 }, new InternedKeys());
    for (let i = 0; i < 7; i++) b.geo([i, i, 1, "e", i, i]);
    expect(b.toData().geo.map(([lat]) => lat)).toEqual([4, 5, 6]);
  });
});
