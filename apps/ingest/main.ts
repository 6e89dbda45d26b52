#!/usr/bin/env bun
/**
 * apps/ingest: the Meetup-compatible RSVP stream (WebSocket) into Kafka. RSVPs go to the raw
 * topic with their exact bytes, keyed by group_id; rejected messages go to the dead-letter
 * topic with a reason header. Bounded buffer, back-pressure by pausing the socket, reconnects
 * with backoff and since_count, counters on /metrics.
 */
import {
  commandLine,
  exitOnConfigError,
  type IngestConfig,
  ingestConfig,
  kafkaConfig,
} from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger, type Logger } from "../../modules/log/mod.ts";
import { backoffMs } from "./backoff.ts";
import { type Ingest, type StartIngestOptions, startIngest } from "./ingest.ts";

const HELP = `Usage: bun apps/ingest/main.ts [--url URL] [--since-count N]        (make ingest)

Reads the RSVP stream at RSVP_STREAM_URL and produces every message to Kafka: RSVPs to
TOPIC_RAW (meetup.rsvps.raw; value = the bytes received, key = group_id, header received_at),
rejected messages to TOPIC_DLQ (meetup.rsvps.dlq; headers reason, error, received_at).
Topics are created at start with TOPIC_*_PARTITIONS and KAFKA_REPLICATION_FACTOR.

Settings (environment; defaults in brackets; --url and --since-count override the first two):
  RSVP_STREAM_URL              stream to read [ws://127.0.0.1:8090/2/rsvps]
  INGEST_SINCE_COUNT           records to skip at start, to resume a previous run [0]
  INGEST_BATCH_RECORDS_MAX     records per produce request [3000]
  INGEST_BATCH_BYTES_MAX       bytes per partition in a produce request; keep under the
                               broker's message.max.bytes [1000000]
  INGEST_BATCH_LINGER_MS       longest wait for a fuller batch [20]
  INGEST_BUFFER_RECORDS_MAX    records held before back-pressure [50000]
  INGEST_BUFFER_BYTES_MAX      bytes held before back-pressure [67108864]
  INGEST_RECONNECT_MS_MIN/MAX  reconnect backoff bounds, doubling with jitter [250/30000]
  INGEST_IDLE_TIMEOUT_MS       reconnect a stream silent this long [30000]
  INGEST_METRICS_HOST/PORT     /metrics and /healthz [127.0.0.1/9464; port 0 = any free]
  INGEST_LOG_INTERVAL_MS       periodic JSON metrics line, 0 = off [10000]
  INGEST_SHUTDOWN_TIMEOUT_MS   flush deadline on SIGINT/SIGTERM [30000]
  KAFKA_BROKERS, KAFKA_COMPRESSION (none|gzip), TOPIC_RAW, TOPIC_DLQ, LOG_LEVEL

Near the buffer bound ingest stops reading the socket (TCP back-pressure) and reads again once
the buffer has drained to half; every (re)connect asks for ?since_count=N, so nothing is
dropped or repeated and memory stays bounded. On exit it logs the stream position;
INGEST_SINCE_COUNT=<that> resumes a later run without repeats.
Exit status: 0 after a clean flush, 1 on a Kafka failure or unflushed records, 2 on bad config.`;

/** Attempts to reach Kafka at start before giving up (a supervisor restarts the process). */
const STARTUP_ATTEMPTS_MAX = 8;

async function startWithRetry(options: StartIngestOptions, log: Logger): Promise<Ingest> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startIngest(options);
    } catch (error) {
      if (attempt + 1 >= STARTUP_ATTEMPTS_MAX) throw error;
      const delayMs = backoffMs(attempt, { msMin: 500, msMax: 10_000 });
      log.warn("cannot start: Kafka unreachable; retrying", { error, attempt, delayMs });
      await Bun.sleep(delayMs);
    }
  }
}

function serveMetrics(config: IngestConfig, ingest: Ingest, log: Logger) {
  const server = Bun.serve({
    hostname: config.metricsHost,
    port: config.metricsPort,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/healthz") return new Response("ok\n");
      if (path !== "/metrics") return new Response("not found; see /metrics\n", { status: 404 });
      return new Response(ingest.render(), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    },
  });
  log.info("metrics", { url: `http://${config.metricsHost}:${server.port}/metrics` });
  return server;
}

async function main(): Promise<void> {
  const cli = commandLine({
    help: HELP,
    flags: {
      url: { env: "RSVP_STREAM_URL", type: "string" },
      "since-count": { env: "INGEST_SINCE_COUNT", type: "string" },
    },
  });
  if (cli === undefined) return;
  const log = createLogger("ingest");
  const config = exitOnConfigError(() => ingestConfig(cli.env));
  const kafkaSettings = exitOnConfigError(() => kafkaConfig(cli.env));
  const kafka = createKafka(kafkaSettings, { clientSuffix: "ingest", logger: log });
  const options = { config, kafkaConfig: kafkaSettings, kafka, log };
  const ingest = await startWithRetry(options, log).catch((error: unknown) => {
    log.error("cannot start: giving up", { error, attempts: STARTUP_ATTEMPTS_MAX });
    process.exit(1);
  });
  const server = serveMetrics(config, ingest, log);
  const timer =
    config.logIntervalMs > 0
      ? setInterval(() => log.info("metrics", ingest.snapshot()), config.logIntervalMs)
      : undefined;
  let stopping = false;
  const stop = async (why: string, status: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log.info("stopping: flushing the buffer", {
      why,
      buffered: ingest.metrics.bufferRecords.get(),
    });
    const flushed = await ingest.stop(config.shutdownTimeoutMs);
    server.stop(true);
    const fields = { sinceCount: ingest.durablePosition(), ...ingest.snapshot() };
    if (flushed) log.info("stopped; resume with INGEST_SINCE_COUNT=<sinceCount>", fields);
    else
      log.error(
        "stopped with records not produced; resume with INGEST_SINCE_COUNT=<sinceCount>",
        fields,
      );
    process.exit(flushed ? status : 1);
  };
  process.on("SIGINT", () => void stop("SIGINT", 0));
  process.on("SIGTERM", () => void stop("SIGTERM", 0));
  ingest.done.catch((error: unknown) => {
    log.error("producing failed for good", { error });
    void stop("kafka failure", 1);
  });
}

await main();
