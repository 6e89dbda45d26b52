import { type Env, int, oneOf, raw, str } from "./_env.ts";
import { ConfigError } from "./config_error.ts";

/** Where `apps/archive` writes the raw topic. */
export const ARCHIVE_SINKS = ["local", "s3", "firehose"] as const;
export type ArchiveSink = (typeof ARCHIVE_SINKS)[number];

/** `apps/archive` settings. Buffering follows Kinesis Firehose's hints: bytes or seconds. */
export interface ArchiveConfig {
  /** `ARCHIVE_SINK`: `local` (default, `LAKE_DIR`), `s3` or `firehose`. */
  sink: ArchiveSink;
  /** `S3_BUCKET`: required when the sink is `s3`. */
  s3Bucket: string | undefined;
  /** `S3_PREFIX`, default empty: keys are `<prefix>raw/YYYY/MM/DD/HH/<name>`; a `/` is added. */
  s3Prefix: string;
  /** `FIREHOSE_STREAM`: the delivery stream name, required when the sink is `firehose`. */
  firehoseStream: string | undefined;
  /** `ARCHIVE_GROUP`, default `meetup-archive`: the archive's own consumer group. */
  groupId: string;
  /** `ARCHIVE_FLUSH_BYTES`, default 1 MiB: an object is written once a partition buffers this much. */
  flushBytes: number;
  /** `ARCHIVE_FLUSH_SECONDS`, default 30: ...or once its oldest buffered record is this old. */
  flushSeconds: number;
  /** `ARCHIVE_BUFFER_BYTES`, default 64 MiB: above this, consumption waits for writes (backpressure). */
  bufferBytesMax: number;
  /** `ARCHIVE_RETRY_DELAY_MS`, default 250: the first back-off after a failed write. */
  retryDelayMs: number;
  /** `ARCHIVE_RETRY_DELAY_MAX_MS`, default 30000: the back-off doubles up to this. */
  retryDelayMsMax: number;
  /** `ARCHIVE_REQUEST_TIMEOUT_MS`, default 30000: one S3 or Firehose request gives up after this. */
  requestTimeoutMs: number;
  /** `ARCHIVE_SESSION_TIMEOUT_MS`, default 30000: Kafka group session (a dead member leaves after it). */
  sessionTimeoutMs: number;
  /** `ARCHIVE_STATS_SECONDS`, default 10: how often counters and lag are logged. */
  statsSeconds: number;
  /** `ARCHIVE_METRICS_PORT`: serve Prometheus `/metrics` on 127.0.0.1 at this port; unset = off. */
  metricsPort: number | undefined;
  /** `ARCHIVE_SHUTDOWN_SECONDS`, default 30: on SIGINT/SIGTERM, how long to keep trying to flush. */
  shutdownSeconds: number;
}

const MIB = 1024 * 1024;

/** Normalises an S3 key prefix: no leading `/`, one trailing `/` unless empty. */
export function normalizeS3Prefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/**
 * Reads {@linkcode ArchiveConfig} from the environment.
 *
 * @throws {ConfigError} When a value is invalid, or the chosen sink lacks its bucket or stream.
 */
export function archiveConfig(env: Env = process.env): ArchiveConfig {
  const sink = oneOf(env, "ARCHIVE_SINK", "local", ARCHIVE_SINKS);
  const s3Bucket = raw(env, "S3_BUCKET");
  const firehoseStream = raw(env, "FIREHOSE_STREAM");
  if (sink === "s3" && s3Bucket === undefined) {
    throw new ConfigError("S3_BUCKET", "", "a bucket name when ARCHIVE_SINK=s3");
  }
  if (s3Bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3Bucket)) {
    throw new ConfigError("S3_BUCKET", s3Bucket, "an S3 bucket name (3-63 of a-z 0-9 . -)");
  }
  if (sink === "firehose" && firehoseStream === undefined) {
    throw new ConfigError(
      "FIREHOSE_STREAM",
      "",
      "a delivery stream name when ARCHIVE_SINK=firehose",
    );
  }
  const metricsPort = int(env, "ARCHIVE_METRICS_PORT", 0, 0, 65535);
  const config: ArchiveConfig = {
    sink,
    s3Bucket,
    s3Prefix: normalizeS3Prefix(str(env, "S3_PREFIX", "")),
    firehoseStream,
    groupId: str(env, "ARCHIVE_GROUP", "meetup-archive"),
    flushBytes: int(env, "ARCHIVE_FLUSH_BYTES", MIB, 1, 128 * MIB),
    flushSeconds: int(env, "ARCHIVE_FLUSH_SECONDS", 30, 1, 900),
    bufferBytesMax: int(env, "ARCHIVE_BUFFER_BYTES", 64 * MIB, 1024, 4096 * MIB),
    retryDelayMs: int(env, "ARCHIVE_RETRY_DELAY_MS", 250, 1, 60_000),
    retryDelayMsMax: int(env, "ARCHIVE_RETRY_DELAY_MAX_MS", 30_000, 1, 3_600_000),
    requestTimeoutMs: int(env, "ARCHIVE_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    sessionTimeoutMs: int(env, "ARCHIVE_SESSION_TIMEOUT_MS", 30_000, 6_000, 300_000),
    statsSeconds: int(env, "ARCHIVE_STATS_SECONDS", 10, 1, 3600),
    metricsPort: metricsPort === 0 ? undefined : metricsPort,
    shutdownSeconds: int(env, "ARCHIVE_SHUTDOWN_SECONDS", 30, 1, 600),
  };
  if (config.retryDelayMsMax < config.retryDelayMs) {
    throw new ConfigError(
      "ARCHIVE_RETRY_DELAY_MAX_MS",
      String(config.retryDelayMsMax),
      `at least ARCHIVE_RETRY_DELAY_MS (${config.retryDelayMs})`,
    );
  }
  return config;
}
