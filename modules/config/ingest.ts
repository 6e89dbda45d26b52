import { type Env, int, raw, url } from "./_env.ts";
import { ConfigError } from "./config_error.ts";

/** `apps/ingest` settings: where the stream is, and a named bound on every queue and retry. */
export interface IngestConfig {
  /** `RSVP_STREAM_URL`, default `ws://127.0.0.1:8090/2/rsvps` (apps/replay). */
  streamUrl: string;
  /**
   * `INGEST_SINCE_COUNT`, default 0: stream records to skip at start (`?since_count=N`), so a
   * restarted ingest resumes where its last run said it stopped.
   */
  sinceCount: number;
  /** `INGEST_BATCH_RECORDS_MAX`, default 3000: records per produce request, at most. */
  batchRecordsMax: number;
  /**
   * `INGEST_BATCH_BYTES_MAX`, default 1000000: bytes per partition in one produce request, at
   * most. Keep it under the broker's `message.max.bytes` (1 MiB by default), which bounds each
   * partition's batch; a request carries up to this much for every partition.
   */
  batchBytesMax: number;
  /** `INGEST_BATCH_LINGER_MS`, default 20: the oldest buffered record waits this long, at most. */
  batchLingerMs: number;
  /** `INGEST_BUFFER_RECORDS_MAX`, default 50000: records held in memory before back-pressure. */
  bufferRecordsMax: number;
  /** `INGEST_BUFFER_BYTES_MAX`, default 64 MiB: bytes held in memory before back-pressure. */
  bufferBytesMax: number;
  /** `INGEST_RECONNECT_MS_MIN`, default 250: first reconnect delay (doubles, with jitter). */
  reconnectMsMin: number;
  /** `INGEST_RECONNECT_MS_MAX`, default 30000: longest reconnect delay. */
  reconnectMsMax: number;
  /** `INGEST_IDLE_TIMEOUT_MS`, default 30000: a stream silent this long is reconnected. */
  idleTimeoutMs: number;
  /** `INGEST_METRICS_HOST`, default `127.0.0.1`. */
  metricsHost: string;
  /** `INGEST_METRICS_PORT`, default 9464: `/metrics` and `/healthz`; 0 picks a free port. */
  metricsPort: number;
  /** `INGEST_LOG_INTERVAL_MS`, default 10000: the periodic JSON metrics line; 0 turns it off. */
  logIntervalMs: number;
  /** `INGEST_SHUTDOWN_TIMEOUT_MS`, default 30000: how long SIGINT/SIGTERM wait for the flush. */
  shutdownTimeoutMs: number;
}

/** Reads {@linkcode IngestConfig} from the environment. */
export function ingestConfig(env: Env = process.env): IngestConfig {
  const config: IngestConfig = {
    streamUrl: url(env, "RSVP_STREAM_URL", "ws://127.0.0.1:8090/2/rsvps", ["ws:", "wss:"]),
    sinceCount: int(env, "INGEST_SINCE_COUNT", 0, 0, Number.MAX_SAFE_INTEGER),
    batchRecordsMax: int(env, "INGEST_BATCH_RECORDS_MAX", 3000, 1, 100_000),
    batchBytesMax: int(env, "INGEST_BATCH_BYTES_MAX", 1_000_000, 1024, 64 * 1024 * 1024),
    batchLingerMs: int(env, "INGEST_BATCH_LINGER_MS", 20, 0, 60_000),
    bufferRecordsMax: int(env, "INGEST_BUFFER_RECORDS_MAX", 50_000, 1, 10_000_000),
    bufferBytesMax: int(env, "INGEST_BUFFER_BYTES_MAX", 64 * 1024 * 1024, 65_536, 2 ** 32),
    reconnectMsMin: int(env, "INGEST_RECONNECT_MS_MIN", 250, 1, 600_000),
    reconnectMsMax: int(env, "INGEST_RECONNECT_MS_MAX", 30_000, 1, 3_600_000),
    idleTimeoutMs: int(env, "INGEST_IDLE_TIMEOUT_MS", 30_000, 100, 3_600_000),
    metricsHost: raw(env, "INGEST_METRICS_HOST") ?? "127.0.0.1",
    metricsPort: int(env, "INGEST_METRICS_PORT", 9464, 0, 65535),
    logIntervalMs: int(env, "INGEST_LOG_INTERVAL_MS", 10_000, 0, 3_600_000),
    shutdownTimeoutMs: int(env, "INGEST_SHUTDOWN_TIMEOUT_MS", 30_000, 100, 600_000),
  };
  // Bounds that contradict each other would make a setting silently meaningless.
  if (config.reconnectMsMax < config.reconnectMsMin) {
    throw new ConfigError(
      "INGEST_RECONNECT_MS_MAX",
      String(config.reconnectMsMax),
      `at least INGEST_RECONNECT_MS_MIN (${config.reconnectMsMin})`,
    );
  }
  if (config.bufferRecordsMax < config.batchRecordsMax) {
    throw new ConfigError(
      "INGEST_BUFFER_RECORDS_MAX",
      String(config.bufferRecordsMax),
      `at least INGEST_BATCH_RECORDS_MAX (${config.batchRecordsMax})`,
    );
  }
  if (config.bufferBytesMax < config.batchBytesMax) {
    throw new ConfigError(
      "INGEST_BUFFER_BYTES_MAX",
      String(config.bufferBytesMax),
      `at least INGEST_BATCH_BYTES_MAX (${config.batchBytesMax})`,
    );
  }
  return config;
}
