#!/usr/bin/env bun
/**
 * apps/stream: raw RSVPs -> windowed analytics -> versioned stats messages. Run one or more
 * instances with the same STREAM_GROUP; see docs/stream.md.
 */
import {
  commandLine,
  exitOnConfigError,
  kafkaConfig,
  streamConfig,
} from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { startStream } from "./processor.ts";

const HELP = `Usage: bun apps/stream/main.ts [options]        (make stream)

Reads TOPIC_RAW (meetup.rsvps.raw) in consumer group STREAM_GROUP, computes sliding windows
(5 minutes sliding by 1 s by default) and publishes versioned JSON stats to TOPIC_STATS
(meetup.rsvps.stats): a "snapshot" every STREAM_EMIT_MS and a "final" for every window that
closes. Start more instances with the same group to spread the raw partitions; one of them
merges (through TOPIC_STREAM_PARTIALS), and the numbers are the same for any count.

Options (each overrides the environment variable named):
  --group NAME        STREAM_GROUP               (default meetup-stream)
  --time T            STREAM_TIME                ingest (received_at, default) | event (mtime)
  --emit-ms N         STREAM_EMIT_MS             live snapshot interval (default 1000)
  --window-ms N       STREAM_WINDOW_MS           window length (default 300000)
  --from S            STREAM_START               earliest (default) | latest, for a new group
  --threads N         STREAM_THREADS             stage-one worker threads (default: CPU cores,
                                                 at most 6; 0 = main thread)
  -h, --help          this text

Also: STREAM_SLOT_MS (1000), STREAM_ALLOWED_LATENESS_MS (2000 ingest / 60000 event),
STREAM_IDLE_MS (2000), STREAM_SLOT_KEYS_MAX (4096), STREAM_KEYS_MAX (65536),
STREAM_GEO_POINTS (200), STREAM_PENDING_SLOTS_MAX (3600), TOPIC_STREAM_PARTIALS
(meetup.rsvps.stream-partials), STREAM_PARTIALS_RETENTION_MS (86400000),
STREAM_SESSION_TIMEOUT_MS (30000), STREAM_LOG_INTERVAL_MS (10000), and the KAFKA_* / TOPIC_*
settings. Counters are logged as one JSON line every STREAM_LOG_INTERVAL_MS.`;

async function main(): Promise<void> {
  const cli = commandLine({
    help: HELP,
    flags: {
      group: { env: "STREAM_GROUP", type: "string" },
      time: { env: "STREAM_TIME", type: "string" },
      "emit-ms": { env: "STREAM_EMIT_MS", type: "string" },
      "window-ms": { env: "STREAM_WINDOW_MS", type: "string" },
      from: { env: "STREAM_START", type: "string" },
      threads: { env: "STREAM_THREADS", type: "string" },
    },
  });
  if (cli === undefined) return;
  const { env } = cli;
  const config = exitOnConfigError(() => ({ kafka: kafkaConfig(env), stream: streamConfig(env) }));
  const log = createLogger("stream");
  const kafka = createKafka(config.kafka, { clientSuffix: "stream", logger: log });
  const processor = await startStream({
    kafka,
    kafkaConfig: config.kafka,
    stream: config.stream,
    log,
    onFatal: (error) => {
      // kafkajs gave up: exit non-zero so whatever supervises the process restarts it.
      log.error("stream consumer stopped for good", { error });
      process.exit(1);
    },
  });
  const every = config.stream.logIntervalMs;
  const timer =
    every > 0
      ? setInterval(() => {
          log.info("counters", {
            partitions: processor.partitions(),
            merging: processor.merging(),
            ...processor.metrics.snapshot(),
            ...processor.counters(),
          });
        }, every)
      : undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    if (timer !== undefined) clearInterval(timer);
    await processor.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  createLogger("stream").error("stream failed", { error });
  process.exit(1);
});
