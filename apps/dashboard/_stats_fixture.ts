/**
 * Valid stats messages for the dashboard's tests and benchmark, built on `emptyStats` with
 * every list filled: a per-second series, top events/topics/groups, and geo points.
 * Deterministic for a given `at` and `seed`.
 */
import { emptyStats, type Stats } from "../../modules/stats/mod.ts";

/** Options for {@linkcode statsFixture}. */
export interface StatsFixtureOptions {
  /** Series slots (1 s each) ending at `at`. @default {300} */
  slots?: number;
  /** Geo points. @default {20} */
  geoPoints?: number;
  /** Varies the numbers. @default {1} */
  seed?: number;
  /** @default {"snapshot"} */
  kind?: "snapshot" | "final";
  /** The producer clock. @default {at} */
  emittedAt?: number;
}

/** A full, schema-valid stats message for window end `at` (epoch ms, a whole second). */
export function statsFixture(at: number, options: StatsFixtureOptions = {}): Stats {
  const seed = options.seed ?? 1;
  const slots = options.slots ?? 300;
  const base = emptyStats(at, {
    kind: options.kind ?? "snapshot",
    emittedAt: options.emittedAt ?? at,
  });
  const series = Array.from({ length: slots }, (_, i) => {
    const t = at - (slots - i) * 1000;
    return { t, yes: ((t / 1000 + seed) % 4) + 1, no: (t / 1000 + seed) % 2 };
  });
  const yes = series.reduce((sum, p) => sum + p.yes, 0);
  const no = series.reduce((sum, p) => sum + p.no, 0);
  const cities: [string, string, number, number][] = [
    ["London", "gb", 51.5, -0.12],
    ["New York", "us", 40.71, -74.0],
    ["Berlin", "de", 52.52, 13.4],
    ["Tokyo", "jp", 35.68, 139.69],
    ["São Paulo", "br", -23.55, -46.63],
  ];
  return {
    ...base,
    counts: { rsvps: yes + no, yes, no },
    totals: { yes: 1000 + seed, no: 250 },
    series,
    topEvents: Array.from({ length: 5 }, (_, i) => ({
      id: `e${i}`,
      name: `Event ${i + 1}: “Café” meetup <${seed}>`,
      url: `https://www.meetup.com/g${i}/events/${i}/`,
      yes: 50 - i * 7,
    })),
    topTopics: Array.from({ length: 10 }, (_, i) => ({
      urlkey: `topic-${i}`,
      name: `Topic ${i}`,
      count: 90 - i * 8,
    })),
    topGroups: cities.map(([city, country], i) => ({
      id: i + 1,
      name: `${city} Tech`,
      urlname: `${city.toLowerCase().replace(/\W/g, "-")}-tech`,
      city,
      country,
      count: 40 - i * 5,
    })),
    topCountries: cities.map(([, country], i) => ({ country, count: 60 - i * 9 })),
    topCities: cities.map(([city, country], i) => ({ city, country, count: 40 - i * 5 })),
    geo: Array.from({ length: options.geoPoints ?? 20 }, (_, i) => {
      const [city, , lat, lon] = cities[i % cities.length]!;
      return {
        lat: lat + ((i * 7) % 10) / 10,
        lon: lon + ((i * 3) % 10) / 10,
        response: i % 4 === 0 ? ("no" as const) : ("yes" as const),
        eventName: `${city} event ${i}`,
        eventUrl: `https://www.meetup.com/x/events/${i}/`,
        t: at - (20 - (i % 20)) * 1000,
      };
    }),
  };
}
