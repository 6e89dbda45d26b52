import { describe, expect, test } from "bun:test";
import { parse, type Rsvp } from "../../modules/rsvp/mod.ts";
import { SyntheticRsvps } from "./synthetic.ts";

const COUNT = 20_000;

function generate(seed: number, count: number): string[] {
  const generator = new SyntheticRsvps({ seed });
  return Array.from({ length: count }, () => generator.next().text);
}

const texts = generate(42, COUNT);
const rsvps: Rsvp[] = texts.map((text) => {
  const result = parse(text);
  if (!result.ok) throw new Error(`synthetic record rejected: ${result.message}`);
  return result.rsvp;
});

const fraction = (predicate: (rsvp: Rsvp) => boolean) => rsvps.filter(predicate).length / COUNT;

describe("SyntheticRsvps", () => {
  test("is deterministic: the same seed gives the same bytes, another seed others", () => {
    expect(generate(42, 500)).toEqual(texts.slice(0, 500));
    expect(generate(43, 50)).not.toEqual(texts.slice(0, 50));
  });

  test("escapes / as the live stream did and includes non-ASCII text", () => {
    expect(texts.every((text) => !text.includes('"https://'))).toBe(true);
    expect(texts.some((text) => /[^\p{ASCII}]/u.test(text))).toBe(true);
  });

  test("repeats about 20% of rsvp_ids, some flipping the response", () => {
    const byId = new Map<number, Set<string>>();
    for (const rsvp of rsvps)
      byId.set(rsvp.rsvp_id, (byId.get(rsvp.rsvp_id) ?? new Set()).add(rsvp.response));
    const repeated = 1 - byId.size / COUNT;
    expect(repeated).toBeGreaterThan(0.15);
    expect(repeated).toBeLessThan(0.25);
    expect([...byId.values()].filter((responses) => responses.size === 2).length).toBeGreaterThan(
      0,
    );
  });

  test("has the real stream's shares of absent venues, stale mtimes and numeric event ids", () => {
    const noVenue = fraction((rsvp) => rsvp.venue === undefined);
    expect(noVenue).toBeGreaterThan(0.12);
    expect(noVenue).toBeLessThan(0.26);
    let latest = 0;
    let stale = 0;
    for (const rsvp of rsvps) {
      if (rsvp.mtime < latest - 3_600_000) stale++;
      latest = Math.max(latest, rsvp.mtime);
    }
    expect(stale / COUNT).toBeGreaterThan(0.02);
    expect(stale / COUNT).toBeLessThan(0.08);
    const numeric = fraction((rsvp) => /^\d+$/.test(rsvp.event.event_id));
    expect(numeric).toBeGreaterThan(0.6);
    expect(numeric).toBeLessThan(0.85);
    expect(
      fraction(
        (rsvp) =>
          rsvp.group.group_state !== undefined && !["us", "ca"].includes(rsvp.group.group_country),
      ),
    ).toBe(0);
  });

  test("gives groups 1-21 unique topics and Zipf-like popularity", () => {
    const counts = new Map<number, number>();
    for (const rsvp of rsvps) {
      const topics = rsvp.group.group_topics;
      expect(topics.length).toBeGreaterThanOrEqual(1);
      expect(topics.length).toBeLessThanOrEqual(21);
      expect(new Set(topics.map((topic) => topic.urlkey)).size).toBe(topics.length);
      counts.set(rsvp.group.group_id, (counts.get(rsvp.group.group_id) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    // The most popular group has far more RSVPs than the median one.
    expect(sorted[0] ?? 0).toBeGreaterThan(20 * (sorted[Math.floor(sorted.length / 2)] ?? 1));
  });

  test("keeps each entity's attributes consistent and event ids unique to their group", () => {
    const groups = new Map<number, string>();
    const events = new Map<string, number>();
    for (const rsvp of rsvps) {
      const { group, event } = rsvp;
      const signature = JSON.stringify([group.group_name, group.group_topics, group.group_lat]);
      expect(groups.get(group.group_id) ?? signature).toBe(signature);
      groups.set(group.group_id, signature);
      expect(events.get(event.event_id) ?? group.group_id).toBe(group.group_id);
      events.set(event.event_id, group.group_id);
    }
  });
});
