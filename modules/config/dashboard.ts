import { type Env, int, list, port, raw, str } from "./_env.ts";
import { ConfigError } from "./config_error.ts";

/** One stage whose Prometheus `/metrics` the pipeline-health panel scrapes. */
export interface ScrapeTarget {
  /** The stage name shown in the panel, e.g. `ingest`. */
  stage: string;
  /** The `/metrics` URL (http). */
  url: string;
}

/** `apps/dashboard` settings. */
export interface DashboardConfig {
  /** `DASHBOARD_HOST`, default `127.0.0.1` (loopback only unless told otherwise). */
  host: string;
  /** `DASHBOARD_PORT`, default 3000. */
  port: number;
  /** `DASHBOARD_HISTORY_SECONDS`, default 600: the live chart's span, and how far back the
   * stats topic is read at start so the chart is full at once. */
  historySeconds: number;
  /** `DASHBOARD_GEO_POINTS`, default 500: recent RSVPs kept for the map. */
  geoPointsMax: number;
  /** `DASHBOARD_SSE_BUFFER_EVENTS`, default 600: events kept for `Last-Event-ID` resumes;
   * a client further behind gets a fresh snapshot instead. */
  sseBufferEventsMax: number;
  /** `DASHBOARD_SSE_CLIENT_QUEUE_EVENTS`, default 256: events queued for one client before
   * it is dropped as too slow. */
  sseClientQueueEventsMax: number;
  /** `DASHBOARD_SSE_CLIENT_QUEUE_BYTES`, default 4 MiB: bytes queued for one client before
   * it is dropped as too slow. */
  sseClientQueueBytesMax: number;
  /** `DASHBOARD_SSE_HEARTBEAT_MS`, default 5000: a heartbeat event this often on every
   * stream (Bun closes connections idle for `idleTimeoutSeconds`). */
  sseHeartbeatMs: number;
  /** `DASHBOARD_SSE_CLIENTS_MAX`, default 5000: further `/api/stream` requests get 503. */
  sseClientsMax: number;
  /** `DASHBOARD_STALE_SECONDS`, default 15: with no stats message for this long the page says
   * "stale" instead of "live". */
  staleSeconds: number;
  /** `DASHBOARD_HEALTH_SECONDS`, default 5: how often the pipeline-health panel is refreshed. */
  healthSeconds: number;
  /** `DASHBOARD_LAG_GROUPS`, default `meetup-stream,meetup-stream-merge,meetup-archive`: consumer groups whose lag
   * is shown. */
  lagGroups: string[];
  /** `DASHBOARD_SCRAPE`: `stage=url` pairs, comma-separated, of stages' `/metrics`; empty
   * (default) derives the rates from topic offsets only. */
  scrapeTargets: ScrapeTarget[];
  /** `DASHBOARD_BATCH_SECONDS`, default 60: how often the batch panels are recomputed. */
  batchSeconds: number;
  /** `DASHBOARD_QUERY_TIMEOUT_MS`, default 10000: a query is interrupted after this. */
  queryTimeoutMs: number;
  /** `DASHBOARD_QUERY_ROWS_MAX`, default 1000: rows returned at most; the rest is cut. */
  queryRowsMax: number;
  /** `DASHBOARD_QUERY_MEMORY_MB`, default 256: DuckDB's memory limit for user queries. */
  queryMemoryMbMax: number;
  /** `DASHBOARD_QUERY_CONCURRENCY`, default 2: queries running at once; more get 429. */
  queryConcurrencyMax: number;
  /** `DASHBOARD_QUERY_SQL_BYTES`, default 65536: the largest accepted request body. */
  querySqlBytesMax: number;
  /** Bun's idle timeout for every connection, derived: above the heartbeat and the query
   * timeout so neither a quiet stream nor a long query is cut. */
  idleTimeoutSeconds: number;
}

const MIB = 1024 * 1024;

/** Parses `DASHBOARD_SCRAPE` (`stage=url,...`). */
function scrapeTargets(env: Env): ScrapeTarget[] {
  const value = raw(env, "DASHBOARD_SCRAPE");
  if (value === undefined) return [];
  return list(env, "DASHBOARD_SCRAPE", []).map((item) => {
    const match = /^([A-Za-z0-9_-]+)=(https?:\/\/\S+)$/.exec(item);
    if (match === null) {
      throw new ConfigError("DASHBOARD_SCRAPE", value, "stage=http://host:port/metrics[,...]");
    }
    return { stage: match[1] ?? "", url: match[2] ?? "" };
  });
}

/**
 * Reads {@linkcode DashboardConfig} from the environment.
 *
 * @throws {ConfigError} When a value is invalid, or the heartbeat is not shorter than the
 * stale threshold.
 */
export function dashboardConfig(env: Env = process.env): DashboardConfig {
  const sseHeartbeatMs = int(env, "DASHBOARD_SSE_HEARTBEAT_MS", 5_000, 100, 60_000);
  const queryTimeoutMs = int(env, "DASHBOARD_QUERY_TIMEOUT_MS", 10_000, 100, 240_000);
  const staleSeconds = int(env, "DASHBOARD_STALE_SECONDS", 15, 1, 3600);
  if (sseHeartbeatMs >= staleSeconds * 1000) {
    throw new ConfigError(
      "DASHBOARD_SSE_HEARTBEAT_MS",
      String(sseHeartbeatMs),
      `less than DASHBOARD_STALE_SECONDS (${staleSeconds} s)`,
    );
  }
  return {
    host: str(env, "DASHBOARD_HOST", "127.0.0.1"),
    port: port(env, "DASHBOARD_PORT", 3000),
    historySeconds: int(env, "DASHBOARD_HISTORY_SECONDS", 600, 10, 86_400),
    geoPointsMax: int(env, "DASHBOARD_GEO_POINTS", 500, 1, 100_000),
    sseBufferEventsMax: int(env, "DASHBOARD_SSE_BUFFER_EVENTS", 600, 1, 100_000),
    sseClientQueueEventsMax: int(env, "DASHBOARD_SSE_CLIENT_QUEUE_EVENTS", 256, 1, 100_000),
    sseClientQueueBytesMax: int(env, "DASHBOARD_SSE_CLIENT_QUEUE_BYTES", 4 * MIB, 1024, 1024 * MIB),
    sseHeartbeatMs,
    sseClientsMax: int(env, "DASHBOARD_SSE_CLIENTS_MAX", 5_000, 1, 1_000_000),
    staleSeconds,
    healthSeconds: int(env, "DASHBOARD_HEALTH_SECONDS", 5, 1, 3600),
    lagGroups: list(env, "DASHBOARD_LAG_GROUPS", [
      "meetup-stream",
      "meetup-stream-merge",
      "meetup-archive",
    ]),
    scrapeTargets: scrapeTargets(env),
    batchSeconds: int(env, "DASHBOARD_BATCH_SECONDS", 60, 1, 86_400),
    queryTimeoutMs,
    queryRowsMax: int(env, "DASHBOARD_QUERY_ROWS_MAX", 1_000, 1, 1_000_000),
    queryMemoryMbMax: int(env, "DASHBOARD_QUERY_MEMORY_MB", 256, 16, 1_048_576),
    queryConcurrencyMax: int(env, "DASHBOARD_QUERY_CONCURRENCY", 2, 1, 64),
    querySqlBytesMax: int(env, "DASHBOARD_QUERY_SQL_BYTES", 65_536, 16, 16 * MIB),
    idleTimeoutSeconds: Math.min(
      255,
      Math.max(30, Math.ceil(sseHeartbeatMs / 1000) * 3, Math.ceil(queryTimeoutMs / 1000) + 10),
    ),
  };
}
