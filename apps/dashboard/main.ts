#!/usr/bin/env bun
/**
 * apps/dashboard: the live dashboard "Meetup Trends". Consumes the stats topic, serves the page,
 * the SSE stream, the batch panels, the pipeline-health panel and the read-only query API.
 */
import { join } from "node:path";
import {
  commandLine,
  dashboardConfig,
  exitOnConfigError,
  kafkaConfig,
  pathsConfig,
} from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { startDashboard } from "./server.ts";

const HELP = `Usage: bun apps/dashboard/main.ts [options]        (make dashboard)

Serves "Meetup Trends" on http://DASHBOARD_HOST:DASHBOARD_PORT: live charts from the stats
topic over Server-Sent Events (/api/stream), batch panels from <LAKE_DIR>/3nf and <LAKE_DIR>/ml,
pipeline health from Kafka offsets, and read-only SQL over the 3NF Parquet (POST /api/query).
Also /healthz and /metrics.

Options (each overrides the environment variable named):
  --host H     DASHBOARD_HOST   (default 127.0.0.1: loopback only)
  --port N     DASHBOARD_PORT   (default 3000)
  -h, --help   this text

Other settings (see docs/dashboard.md): DASHBOARD_HISTORY_SECONDS, DASHBOARD_GEO_POINTS,
DASHBOARD_SSE_BUFFER_EVENTS, DASHBOARD_SSE_CLIENT_QUEUE_EVENTS, DASHBOARD_SSE_CLIENT_QUEUE_BYTES,
DASHBOARD_SSE_HEARTBEAT_MS, DASHBOARD_SSE_CLIENTS_MAX, DASHBOARD_STALE_SECONDS,
DASHBOARD_HEALTH_SECONDS, DASHBOARD_LAG_GROUPS, DASHBOARD_SCRAPE, DASHBOARD_BATCH_SECONDS,
DASHBOARD_QUERY_TIMEOUT_MS, DASHBOARD_QUERY_ROWS_MAX, DASHBOARD_QUERY_MEMORY_MB,
DASHBOARD_QUERY_CONCURRENCY, DASHBOARD_QUERY_SQL_BYTES; KAFKA_BROKERS, TOPIC_STATS, LAKE_DIR.`;

async function main(): Promise<void> {
  const cli = commandLine({
    help: HELP,
    flags: {
      host: { env: "DASHBOARD_HOST", type: "string" },
      port: { env: "DASHBOARD_PORT", type: "string" },
    },
  });
  if (cli === undefined) return;
  const { env } = cli;
  const config = exitOnConfigError(() => dashboardConfig(env));
  const kafka = exitOnConfigError(() => kafkaConfig(env));
  const paths = exitOnConfigError(() => pathsConfig(env));
  const log = createLogger("dashboard");
  const client = createKafka(kafka, { clientSuffix: "dashboard" });
  try {
    await ensureTopics(client, [kafka.raw, kafka.dlq, kafka.stats], kafka.replicationFactor);
  } catch (error) {
    log.error("cannot reach Kafka (KAFKA_BROKERS)", { brokers: kafka.brokers, error });
    process.exit(1);
  }
  let stopping = false;
  const dashboard = await startDashboard({
    config,
    kafka: client,
    topics: { raw: kafka.raw.name, dlq: kafka.dlq.name, stats: kafka.stats.name },
    lakeDir: paths.lakeDir,
    log,
    onFatal: (error) => {
      if (stopping) return;
      log.error("stats consumer gave up; exiting for the supervisor to restart", { error });
      process.exit(1);
    },
  });
  log.info("serving", {
    url: dashboard.url,
    lake: join(paths.lakeDir, "3nf"),
    topic: kafka.stats.name,
  });
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal, ...dashboard.metrics.snapshot() });
    await dashboard.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

await main();
