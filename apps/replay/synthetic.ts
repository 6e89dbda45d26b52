import { Prng, Zipf } from "./prng.ts";

/**
 * A seeded, deterministic generator of RSVP messages with the real stream's shape (measured in
 * ../shared/data/rsvps/README.md): Zipf-like popularity of groups, topics and members; ~20%
 * repeated rsvp_ids, some flipping yes/no; ~5% stale mtimes; venue absent ~19%; non-ASCII names;
 * 1-21 topics per group. Entities are derived from (seed, index), so the same group always has
 * the same name, topics and place whatever order it is drawn in.
 */

const GROUPS_MAX = 20_000;
const MEMBERS_MAX = 200_000;
const TOPICS_MAX = 2_000;
const EVENTS_PER_GROUP_MAX = 4;
const RECENT_RSVPS_MAX = 64;
const RSVP_ID_BASE = 1_800_000_000;
const MTIME_BASE = Date.UTC(2019, 4, 20, 12, 0, 0);
const MTIME_STEP_MS_MEAN = 700;

interface Place {
  city: string;
  country: string;
  state?: string;
  lat: number;
  lon: number;
}

const PLACES: readonly Place[] = [
  { city: "New York", country: "us", state: "NY", lat: 40.71, lon: -74.01 },
  { city: "San Francisco", country: "us", state: "CA", lat: 37.77, lon: -122.41 },
  { city: "Austin", country: "us", state: "TX", lat: 30.27, lon: -97.74 },
  { city: "Chicago", country: "us", state: "IL", lat: 41.88, lon: -87.63 },
  { city: "Seattle", country: "us", state: "WA", lat: 47.61, lon: -122.33 },
  { city: "Boston", country: "us", state: "MA", lat: 42.36, lon: -71.06 },
  { city: "London", country: "gb", lat: 51.51, lon: -0.13 },
  { city: "Manchester", country: "gb", lat: 53.48, lon: -2.24 },
  { city: "Sydney", country: "au", lat: -33.87, lon: 151.21 },
  { city: "Melbourne", country: "au", lat: -37.81, lon: 144.96 },
  { city: "Toronto", country: "ca", state: "ON", lat: 43.65, lon: -79.38 },
  { city: "Montréal", country: "ca", state: "QC", lat: 45.5, lon: -73.57 },
  { city: "Berlin", country: "de", lat: 52.52, lon: 13.4 },
  { city: "München", country: "de", lat: 48.14, lon: 11.58 },
  { city: "Madrid", country: "es", lat: 40.42, lon: -3.7 },
  { city: "Tokyo", country: "jp", lat: 35.68, lon: 139.69 },
  { city: "Paris", country: "fr", lat: 48.86, lon: 2.35 },
  { city: "Amsterdam", country: "nl", lat: 52.37, lon: 4.9 },
  { city: "Tel Aviv-Yafo", country: "il", lat: 32.08, lon: 34.78 },
  { city: "Singapore", country: "sg", lat: 1.29, lon: 103.85 },
  { city: "Bengaluru", country: "in", lat: 12.97, lon: 77.59 },
  { city: "São Paulo", country: "br", lat: -23.55, lon: -46.63 },
];

const WORDS = [
  "Hiking",
  "Tech",
  "Startup",
  "Yoga",
  "Photography",
  "Python",
  "Board Games",
  "Running",
  "Book Club",
  "Wine",
  "Salsa",
  "Language Exchange",
  "Data Science",
  "Meditation",
  "Cycling",
  "Jazz",
  "Film",
  "Kafka",
  "Women in Tech",
  "Entrepreneurs",
  "Singles",
  "Outdoors",
  "Painting",
  "Cooking",
  "Café Français",
  "Über Coders",
  "Ñandú Runners",
  "東京 Friends",
  "Zürich Expats",
  "Crème de la Code",
];
const SUFFIXES = ["Meetup", "Club", "Group", "Society", "Network", "Collective", "Circle"];
const FIRST = [
  "Anna",
  "Ben",
  "Chloé",
  "David",
  "Émile",
  "Fatima",
  "Günter",
  "Hana",
  "Ivan",
  "José",
  "Kiran",
  "Lena",
  "Mateo",
  "Noor",
  "Olivia",
  "Paul",
  "Quentin",
  "Rosa",
  "Søren",
  "Tomás",
  "佐藤",
  "Zoë",
];
const LAST = [
  "G",
  "Smith",
  "Müller",
  "García",
  "Nguyen",
  "O'Brien",
  "Kowalski",
  "Dubois",
  "Rossi",
  "Ivanova",
  "Björk",
  "Tanaka",
  "Patel",
  "Cohen",
  "Silva",
];
const SERVICES = ["facebook", "twitter", "linkedin", "flickr", "tumblr"] as const;

function hash(seed: number, kind: number, index: number): number {
  let h = (seed ^ Math.imul(kind + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function slug(text: string): string {
  return (
    text
      .normalize("NFKD")
      .replace(/[^\w\s-]/g, "")
      .trim()
      .replace(/\s+/g, "-")
      .toLowerCase() || "x"
  );
}

interface Topic {
  urlkey: string;
  topic_name: string;
}

interface Group {
  rank: number;
  group_id: number;
  group_name: string;
  group_urlname: string;
  place: Place;
  lat: number;
  lon: number;
  topics: Topic[];
}

/** Options for {@linkcode SyntheticRsvps}. */
export interface SyntheticOptions {
  /** The seed; the same seed gives the same stream. @default {42} */
  seed?: number;
  /** mtime of the first record, epoch ms. @default {2019-05-20T12:00:00Z} */
  startMs?: number;
}

/** One generated message: its exact bytes and its mtime. */
export interface SyntheticRecord {
  text: string;
  mtime: number;
}

/** An endless, deterministic stream of synthetic RSVP messages. */
export class SyntheticRsvps {
  readonly #seed: number;
  readonly #prng: Prng;
  readonly #groupRank = new Zipf(GROUPS_MAX, 1.05);
  readonly #memberRank = new Zipf(MEMBERS_MAX, 0.9);
  readonly #topicRank = new Zipf(TOPICS_MAX, 1.1);
  readonly #groups = new Map<number, Group>();
  readonly #topics = new Map<number, Topic>();
  // The last few RSVPs, to repeat: a ring, never more than RECENT_RSVPS_MAX entries.
  readonly #recent: Record<string, unknown>[] = [];
  #recentCursor = 0;
  #nextRsvpId = RSVP_ID_BASE;
  #clockMs: number;

  constructor(options: SyntheticOptions = {}) {
    this.#seed = options.seed ?? 42;
    this.#prng = new Prng(this.#seed);
    this.#clockMs = options.startMs ?? MTIME_BASE;
  }

  /** The next message. */
  next(): SyntheticRecord {
    const prng = this.#prng;
    this.#clockMs += Math.round(prng.next() * 2 * MTIME_STEP_MS_MEAN);
    const repeat = this.#recent.length > 0 && prng.chance(0.2);
    const rsvp = repeat ? this.#repeat() : this.#fresh();
    if (!repeat) this.#remember(rsvp);
    const mtime = rsvp.mtime as number;
    // JSON.stringify never escapes "/", the live stream always did; so do we.
    return { text: JSON.stringify(rsvp).replaceAll("/", "\\/"), mtime };
  }

  #remember(rsvp: Record<string, unknown>): void {
    if (this.#recent.length < RECENT_RSVPS_MAX) this.#recent.push(rsvp);
    else this.#recent[this.#recentCursor] = rsvp;
    this.#recentCursor = (this.#recentCursor + 1) % RECENT_RSVPS_MAX;
  }

  /** The same RSVP again: usually identical but for mtime rounded to the second; sometimes a flip. */
  #repeat(): Record<string, unknown> {
    const prng = this.#prng;
    const original = prng.pick(this.#recent);
    const copy = { ...original };
    const roll = prng.next();
    if (roll < 0.5) copy.mtime = Math.floor((original.mtime as number) / 1000) * 1000;
    else copy.mtime = this.#clockMs;
    if (roll > 0.85) copy.response = original.response === "yes" ? "no" : "yes";
    else if (roll > 0.75) copy.guests = prng.int(0, 3);
    return copy;
  }

  #fresh(): Record<string, unknown> {
    const prng = this.#prng;
    const group = this.#group(this.#groupRank.draw(prng));
    const eventIndex = prng.int(0, EVENTS_PER_GROUP_MAX - 1);
    const eventSeed = hash(this.#seed, 3, group.group_id * EVENTS_PER_GROUP_MAX + eventIndex);
    const eventPrng = new Prng(eventSeed);
    const stale = prng.chance(0.05);
    const mtime = stale
      ? this.#clockMs - prng.int(3_600_000, 90 * 86_400_000)
      : this.#clockMs - (prng.chance(0.15) ? prng.int(1, 5_000) : 0);
    const rsvp: Record<string, unknown> = {
      event: this.#event(group, eventIndex, eventPrng),
      group: {
        group_city: group.place.city,
        group_country: group.place.country,
        group_id: group.group_id,
        group_lat: group.lat,
        group_lon: group.lon,
        group_name: group.group_name,
        ...(group.place.state === undefined ? {} : { group_state: group.place.state }),
        group_topics: group.topics,
        group_urlname: group.group_urlname,
      },
      guests: prng.chance(0.93) ? 0 : prng.int(1, 5),
      member: this.#member(this.#memberRank.draw(prng)),
      mtime,
      response: prng.chance(0.76) ? "yes" : "no",
      rsvp_id: this.#nextRsvpId++,
    };
    // 81% of RSVPs have a venue; 4% of those are at lat=lon=0 (missing, as in the real stream).
    if (eventPrng.chance(0.81)) {
      const zero = eventPrng.chance(0.04);
      rsvp.venue = {
        lat: zero ? 0 : round(group.lat + (eventPrng.next() - 0.5) * 0.2, 6),
        lon: zero ? 0 : round(group.lon + (eventPrng.next() - 0.5) * 0.2, 6),
        venue_id: 20_000_000 + (eventSeed % 9_000_000),
        venue_name: `${eventPrng.pick(["The", "Café", "Hall", "Studio"])} ${eventPrng.pick(WORDS)}`,
      };
    }
    rsvp.visibility = "public";
    return rsvp;
  }

  #event(group: Group, index: number, prng: Prng): Record<string, unknown> {
    // Event ids are unique per (group, index): 72% numeric; repeating events have alphanumeric
    // ids, spelled from the same number so they never collide either.
    const serial = group.rank * EVENTS_PER_GROUP_MAX + index;
    const eventId = prng.chance(0.72)
      ? String(240_000_000 + serial)
      : `qx${serial.toString(26).replace(/[0-9a-p]/g, (c) => "abcdefghijklmnopqrstuvwxyz"[parseInt(c, 26)] as string)}`;
    const event: Record<string, unknown> = {
      event_id: eventId,
      event_name: `${prng.pick(WORDS)} ${prng.pick(["Night", "Walk", "Workshop", "Social", "Talk"])} #${index + 1}`,
      event_url: `https://www.meetup.com/${group.group_urlname}/events/${eventId}/`,
    };
    if (prng.chance(0.99)) event.time = this.#clockMs + prng.int(1, 60) * 86_400_000;
    return event;
  }

  #group(rank: number): Group {
    const cached = this.#groups.get(rank);
    if (cached !== undefined) return cached;
    const prng = new Prng(hash(this.#seed, 1, rank));
    const place = PLACES[
      Math.min(PLACES.length - 1, Math.floor(prng.next() ** 1.6 * PLACES.length))
    ] as Place;
    const name = `${place.city} ${prng.pick(WORDS)} ${prng.pick(SUFFIXES)}`;
    const topicCount = prng.int(1, 21);
    const seen = new Set<number>();
    while (seen.size < topicCount) seen.add(this.#topicRank.draw(prng));
    const group: Group = {
      rank,
      group_id: 1_000_000 + rank * 7 + prng.int(0, 6),
      group_name: name,
      group_urlname: `${slug(name)}-${rank}`,
      place,
      lat: round(place.lat + (prng.next() - 0.5) * 0.1, 2),
      lon: round(place.lon + (prng.next() - 0.5) * 0.1, 2),
      topics: [...seen].map((topic) => this.#topic(topic)),
    };
    this.#groups.set(rank, group);
    return group;
  }

  #topic(rank: number): Topic {
    const cached = this.#topics.get(rank);
    if (cached !== undefined) return cached;
    const prng = new Prng(hash(this.#seed, 2, rank));
    const name =
      rank < WORDS.length
        ? (WORDS[rank] as string)
        : `${prng.pick(WORDS)} ${prng.pick(WORDS)} ${rank}`;
    const topic = { urlkey: slug(name), topic_name: name };
    this.#topics.set(rank, topic);
    return topic;
  }

  #member(rank: number): Record<string, unknown> {
    const prng = new Prng(hash(this.#seed, 4, rank));
    const memberId = 10_000_000 + rank * 13 + prng.int(0, 12);
    const member: Record<string, unknown> = {
      member_id: memberId,
      member_name: `${prng.pick(FIRST)} ${prng.pick(LAST)}`,
    };
    if (prng.chance(0.09)) {
      const service = prng.pick(SERVICES);
      member.other_services = { [service]: { identifier: `user${memberId}` } };
    }
    if (prng.chance(0.95)) {
      member.photo = `https://secure.meetupstatic.com/photos/member/${rank % 10}/thumb_${memberId}.jpeg`;
    }
    return member;
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
