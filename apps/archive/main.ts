#!/usr/bin/env bun
/**
 * make archive: the raw topic -> the lake (a local directory, S3, or Kinesis Firehose).
 *
 *   bun apps/archive/main.ts [--sink local|s3|firehose] [--help]
 */
import {
  archiveConfig,
  awsConfig,
  commandLine,
  exitOnConfigError,
  kafkaConfig,
  pathsConfig,
} from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { Archiver } from "./archiver.ts";
import { createSink } from "./create_sink.ts";
import { archiveMetrics } from "./metrics.ts";

const HELP = `Usage: bun apps/archive/main.ts [--sink local|s3|firehose]        (make archive)

Consumes the raw topic (TOPIC_RAW) in its own consumer group and writes every message, one per
line, to the lake: raw/YYYY/MM/DD/HH/<topic>+p<partition>+<first>-<last>.jsonl by ingest hour
(UTC). Offsets are committed only once a chunk is durable. Local and S3: exactly once per
message. Firehose: at least once (the ETL drops duplicates by rsvp_id). See docs/archive.md.

Settings (environment; --sink overrides ARCHIVE_SINK):
  ARCHIVE_SINK                local (default), s3 or firehose
  LAKE_DIR                    local lake root (default data/lake)
  S3_BUCKET, S3_PREFIX        bucket and key prefix when ARCHIVE_SINK=s3
  FIREHOSE_STREAM             delivery stream when ARCHIVE_SINK=firehose
  AWS_REGION, AWS_ENDPOINT_URL  AWS SDK region and endpoint (moto in tests)
  ARCHIVE_GROUP               consumer group (default meetup-archive)
  ARCHIVE_FLUSH_BYTES         write a partition's chunk at this size (default 1048576)
  ARCHIVE_FLUSH_SECONDS       ...or when its oldest record is this old (default 30)
  ARCHIVE_BUFFER_BYTES        stop reading above this much unwritten data (default 67108864)
  ARCHIVE_RETRY_DELAY_MS      first back-off after a failed write (default 250)
  ARCHIVE_RETRY_DELAY_MAX_MS  back-off ceiling; retries never give up (default 30000)
  ARCHIVE_REQUEST_TIMEOUT_MS  one S3/Firehose request times out after (default 30000)
  ARCHIVE_SESSION_TIMEOUT_MS  Kafka group session timeout (default 30000)
  ARCHIVE_STATS_SECONDS       counters and lag as a JSON log line every (default 10)
  ARCHIVE_METRICS_PORT        serve Prometheus /metrics on 127.0.0.1:<port> (default off)
  ARCHIVE_SHUTDOWN_SECONDS    on SIGINT/SIGTERM, keep flushing for up to (default 30)
  KAFKA_BROKERS, TOPIC_RAW    Kafka brokers and the raw topic`;

async function main(): Promise<void> {
  const cli = commandLine({
    help: HELP,
    flags: { sink: { env: "ARCHIVE_SINK", type: "string" } },
  });
  if (cli === undefined) return;
  const { env } = cli;
  const { archive, kafka, paths, aws } = exitOnConfigError(() => ({
    archive: archiveConfig(env),
    kafka: kafkaConfig(env),
    paths: pathsConfig(env),
    aws: awsConfig(env),
  }));
  const log = createLogger("archive");
  const metrics = archiveMetrics();
  const client = createKafka(kafka, { clientSuffix: "archive" });
  await ensureTopics(client, [kafka.raw], kafka.replicationFactor);
  const sink = await createSink({ config: archive, lakeDir: paths.lakeDir, aws, metrics, log });
  const archiver = new Archiver({
    kafka: client,
    topic: kafka.raw.name,
    config: archive,
    sink,
    metrics,
    log,
  });
  const server =
    archive.metricsPort === undefined
      ? undefined
      : Bun.serve({
          hostname: "127.0.0.1",
          port: archive.metricsPort,
          fetch: (request) =>
            new URL(request.url).pathname === "/metrics"
              ? new Response(metrics.registry.render(), {
                  headers: { "content-type": "text/plain; version=0.0.4" },
                })
              : new Response("not found\n", { status: 404 }),
        });
  const shutdown = async (signal: string) => {
    log.info("shutting down", { signal });
    await archiver.stop();
    await server?.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  archiver.failed.catch(async (error) => {
    log.error("archive cannot go on; exiting so a supervisor restarts it", { error });
    await Promise.race([archiver.stop(), Bun.sleep(archive.shutdownSeconds * 1000)]).catch(
      () => {},
    );
    process.exit(1);
  });
  await archiver.start();
}

main().catch((error: unknown) => {
  createLogger("archive").error("archive failed", { error });
  process.exit(1);
});
