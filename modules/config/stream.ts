import { availableParallelism } from "node:os";
import { type Env, int, oneOf, raw, str } from "./_env.ts";
import { ConfigError } from "./config_error.ts";

/** Which time the stream windows run on. */
export const TIME_BASES = ["ingest", "event"] as const;
export type TimeBasis = (typeof TIME_BASES)[number];

/** Where a consumer group with no committed offsets starts reading the raw topic. */
export const STREAM_STARTS = ["earliest", "latest"] as const;
export type StreamStart = (typeof STREAM_STARTS)[number];

/** `apps/stream` settings. */
export interface StreamConfig {
  /** `STREAM_GROUP`, default `meetup-stream`: the consumer group on the raw topic (`-merge` is added for the merge stage). */
  group: string;
  /** `STREAM_TIME`: `ingest` (`received_at`, default) or `event` (`mtime`). */
  timeBasis: TimeBasis;
  /** `STREAM_SLOT_MS`, default 1000: slot width, the slide of the window. */
  slotMs: number;
  /** `STREAM_WINDOW_MS`, default 300000 (5 minutes): a multiple of the slot width. */
  windowMs: number;
  /** `STREAM_ALLOWED_LATENESS_MS`, default 2000 with ingest time, 60000 with event time. */
  allowedLatenessMs: number;
  /** `STREAM_IDLE_MS`, default 2000: a caught-up partition quiet this long lets its clock run on. */
  idleMs: number;
  /** `STREAM_EMIT_MS`, default 1000: live snapshots at most this often (finals come per slot). */
  emitMs: number;
  /** `STREAM_SLOT_KEYS_MAX`, default 4096: distinct keys per slot and dimension; more overflow. */
  slotKeysMax: number;
  /** `STREAM_KEYS_MAX`, default 65536: distinct keys per dimension in the whole window. */
  keysMax: number;
  /** `STREAM_GEO_POINTS`, default 200: recent RSVP locations in each stats message. */
  geoPoints: number;
  /** `STREAM_PENDING_SLOTS_MAX`, default 3600: slots the merge stage holds waiting for a lagging partition. */
  pendingSlotsMax: number;
  /** `STREAM_START`: `earliest` (default) or `latest`, for a group with no committed offsets. */
  start: StreamStart;
  /** `TOPIC_STREAM_PARTIALS`, default `meetup.rsvps.stream-partials`: the internal merge topic (1 partition). */
  partialsTopic: string;
  /** `STREAM_PARTIALS_RETENTION_MS`, default 86400000 (1 day): retention of the merge topic. */
  partialsRetentionMs: number;
  /** `STREAM_SESSION_TIMEOUT_MS`, default 30000: consumer group session timeout. */
  sessionTimeoutMs: number;
  /** `STREAM_LOG_INTERVAL_MS`, default 10000: the periodic JSON counters line; 0 turns it off. */
  logIntervalMs: number;
  /**
   * `STREAM_THREADS`, default the number of CPU cores (at most 6, the raw partitions): worker
   * threads running stage one, each a member of the consumer group; 0 runs it on the main thread.
   */
  threads: number;
}

/** Stage-one threads by default: one per core, no more than the raw topic's default partitions. */
const STREAM_THREADS_DEFAULT = Math.max(1, Math.min(availableParallelism(), 6));

/** Reads {@linkcode StreamConfig} from the environment. */
export function streamConfig(env: Env = process.env): StreamConfig {
  const timeBasis = oneOf(env, "STREAM_TIME", "ingest", TIME_BASES);
  const slotMs = int(env, "STREAM_SLOT_MS", 1000, 10, 3_600_000);
  const windowMs = int(env, "STREAM_WINDOW_MS", 300_000, slotMs, 86_400_000);
  if (windowMs % slotMs !== 0) {
    throw new ConfigError(
      "STREAM_WINDOW_MS",
      String(windowMs),
      `a multiple of STREAM_SLOT_MS (${slotMs})`,
    );
  }
  const lateness = timeBasis === "ingest" ? 2000 : 60_000;
  return {
    group: str(env, "STREAM_GROUP", "meetup-stream"),
    timeBasis,
    slotMs,
    windowMs,
    allowedLatenessMs: int(env, "STREAM_ALLOWED_LATENESS_MS", lateness, 0, 86_400_000),
    idleMs: int(env, "STREAM_IDLE_MS", 2000, 10, 3_600_000),
    emitMs: int(env, "STREAM_EMIT_MS", 1000, 10, 3_600_000),
    slotKeysMax: int(env, "STREAM_SLOT_KEYS_MAX", 4096, 16, 1_000_000),
    keysMax: int(env, "STREAM_KEYS_MAX", 65_536, 16, 16_000_000),
    geoPoints: int(env, "STREAM_GEO_POINTS", 200, 0, 10_000),
    pendingSlotsMax: int(env, "STREAM_PENDING_SLOTS_MAX", 3600, 1, 1_000_000),
    start: oneOf(env, "STREAM_START", "earliest", STREAM_STARTS),
    partialsTopic: raw(env, "TOPIC_STREAM_PARTIALS") ?? "meetup.rsvps.stream-partials",
    partialsRetentionMs: int(env, "STREAM_PARTIALS_RETENTION_MS", 86_400_000, 60_000, 2 ** 40),
    sessionTimeoutMs: int(env, "STREAM_SESSION_TIMEOUT_MS", 30_000, 6_000, 300_000),
    logIntervalMs: int(env, "STREAM_LOG_INTERVAL_MS", 10_000, 0, 3_600_000),
    threads: int(env, "STREAM_THREADS", STREAM_THREADS_DEFAULT, 0, 64),
  };
}
