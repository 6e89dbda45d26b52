import * as v from "valibot";

/**
 * The stats message contract, version 1: what `apps/stream` publishes on `meetup.rsvps.stats`
 * and what every consumer (the dashboard) validates. One topic, the message kind in the value.
 *
 * Two kinds share one body:
 * - `snapshot`: the live view, emitted on update every `STREAM_EMIT_MS`; it includes the open
 *   (not yet closed) slots and is provisional, so two snapshots for the same `at` may differ.
 * - `final`: the result of a window once it closed (the watermark passed `window.end`); exact,
 *   identical whatever the number of stream instances or restarts, and idempotent by
 *   `window.end` (a consumer may see the same final twice after a restart: same content).
 *
 * Times are epoch milliseconds on the stream's time basis (`received_at` for `ingest`, the
 * RSVP's `mtime` for `event`), except `emittedAt`, which is the producer's wall clock.
 */

/** The message version this module reads and writes. */
export const STATS_VERSION = 1;

/** The kinds of stats messages. */
export const STATS_KINDS = ["snapshot", "final"] as const;
export type StatsKind = (typeof STATS_KINDS)[number];

const int = v.pipe(v.number(), v.safeInteger());
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const time = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const coordinate = v.pipe(v.number(), v.finite());
const response = v.picklist(["yes", "no"]);

/** The window a message describes: slots of `slotMs`, covering `[start, end)`. */
export const statsWindowSchema = v.object({
  /** Inclusive start of the sliding window. */
  start: time,
  /** Exclusive end of the sliding window; also `at`. */
  end: time,
  /** Length of the sliding window (default 5 minutes). */
  lengthMs: v.pipe(int, v.minValue(1)),
  /** Width of one slot, the slide of the window (default 1 s). */
  slotMs: v.pipe(int, v.minValue(1)),
});

/** Distinct RSVPs (by `rsvp_id`, as last seen) in the window. */
export const windowCountsSchema = v.object({
  /** The RSVP count in the window: `yes + no`. */
  rsvps: count,
  yes: count,
  no: count,
});

/** Running totals since the stream began: a yes -> no flip moves one from `yes` to `no`. */
export const totalsSchema = v.object({ yes: count, no: count });

/** One slot of the RSVPs-per-slot series: new RSVPs and changed responses in `[t, t+slotMs)`. */
export const seriesPointSchema = v.object({ t: time, yes: count, no: count });

/** An event ranked by "yes" RSVPs in the window. */
export const topEventSchema = v.object({
  id: v.string(),
  name: v.string(),
  url: v.string(),
  yes: count,
});

/** A topic (group topic urlkey) ranked by RSVPs in the window. */
export const topTopicSchema = v.object({ urlkey: v.string(), name: v.string(), count });

/** A group ranked by RSVPs in the window. */
export const topGroupSchema = v.object({
  id: int,
  name: v.string(),
  urlname: v.string(),
  city: v.string(),
  country: v.string(),
  count,
});

/** A country (lower-case ISO-2, from the group) ranked by RSVPs in the window. */
export const topCountrySchema = v.object({ country: v.string(), count });

/** A city (the group's) ranked by RSVPs in the window. */
export const topCitySchema = v.object({ city: v.string(), country: v.string(), count });

/** Where one recent RSVP happened: the venue, else the group's location; never (0, 0). */
export const geoPointSchema = v.object({
  lat: coordinate,
  lon: coordinate,
  response,
  eventName: v.string(),
  eventUrl: v.string(),
  /** The RSVP's time on the stream's time basis. */
  t: time,
});

/** Counters of what was not counted normally, since the stream began. */
export const qualitySchema = v.object({
  /** RSVPs behind the watermark: reported here, never added to a window. */
  late: count,
  /** An `rsvp_id` seen again within the window: counted once. */
  duplicates: count,
  /** Duplicates whose response changed (a subset of `duplicates`); the counts moved. */
  flips: count,
  /** Raw messages that were not RSVPs (they should have gone to the dead-letter topic). */
  rejected: count,
  /** Keyed counts dropped because a slot reached its key bound (`STREAM_SLOT_KEYS_MAX`). */
  overflow: count,
});

/** How far the stream processor has read each raw partition. */
export const partitionProgressSchema = v.object({
  partition: v.pipe(int, v.minValue(0)),
  /** The next raw offset to read: every record before it is reflected in this message. */
  offset: v.pipe(int, v.minValue(0)),
  /** The partition's watermark (latest time seen minus the allowed lateness), or 0. */
  watermark: time,
});

export const progressSchema = v.object({
  /** The global watermark: the minimum over partitions; windows ending at or before it closed. */
  watermark: time,
  partitions: v.array(partitionProgressSchema),
});

/** The body shared by every kind. */
const body = {
  v: v.literal(STATS_VERSION),
  /**
   * The window end this message describes (exclusive), on the stream's time basis; always a
   * slot boundary. In a snapshot it is the end of the newest slot any partition reached.
   */
  at: time,
  /** The producer's wall clock when the message was made (for end-to-end latency). */
  emittedAt: time,
  /** Which time the windows run on: `ingest` (`received_at`, default) or `event` (`mtime`). */
  timeBasis: v.picklist(["ingest", "event"]),
  window: statsWindowSchema,
  counts: windowCountsSchema,
  totals: totalsSchema,
  /**
   * RSVPs per slot, oldest first, ending with the slot that holds `at - 1`; in a snapshot that
   * last slot is still open (partial).
   */
  series: v.array(seriesPointSchema),
  /** Top 5 events by "yes" RSVPs in the window. */
  topEvents: v.array(topEventSchema),
  /** Top 10 topics (urlkeys) by RSVPs in the window. */
  topTopics: v.array(topTopicSchema),
  /** Top 10 groups by RSVPs in the window. */
  topGroups: v.array(topGroupSchema),
  /** Top 10 countries by RSVPs in the window. */
  topCountries: v.array(topCountrySchema),
  /** Top 10 cities by RSVPs in the window. */
  topCities: v.array(topCitySchema),
  /** The most recent new RSVPs with a location, oldest first (at most `STREAM_GEO_POINTS`). */
  geo: v.array(geoPointSchema),
  quality: qualitySchema,
  progress: progressSchema,
};

/** A live, provisional view of the current window. */
export const snapshotSchema = v.object({ kind: v.literal("snapshot"), ...body });

/** The exact result of a closed window. */
export const finalSchema = v.object({ kind: v.literal("final"), ...body });

/** Any stats message of version 1. */
export const statsSchema = v.variant("kind", [snapshotSchema, finalSchema]);

export type Stats = v.InferOutput<typeof statsSchema>;
export type SnapshotStats = v.InferOutput<typeof snapshotSchema>;
export type FinalStats = v.InferOutput<typeof finalSchema>;
export type StatsWindow = v.InferOutput<typeof statsWindowSchema>;
export type WindowCounts = v.InferOutput<typeof windowCountsSchema>;
export type Totals = v.InferOutput<typeof totalsSchema>;
export type SeriesPoint = v.InferOutput<typeof seriesPointSchema>;
export type TopEvent = v.InferOutput<typeof topEventSchema>;
export type TopTopic = v.InferOutput<typeof topTopicSchema>;
export type TopGroup = v.InferOutput<typeof topGroupSchema>;
export type TopCountry = v.InferOutput<typeof topCountrySchema>;
export type TopCity = v.InferOutput<typeof topCitySchema>;
export type GeoPoint = v.InferOutput<typeof geoPointSchema>;
export type Quality = v.InferOutput<typeof qualitySchema>;
export type PartitionProgress = v.InferOutput<typeof partitionProgressSchema>;
export type Progress = v.InferOutput<typeof progressSchema>;
