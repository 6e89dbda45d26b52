import { FirehoseClient } from "@aws-sdk/client-firehose";
import type { ArchiveConfig, AwsConfig } from "../../modules/config/mod.ts";
import { LocalObjectStore, S3ObjectStore } from "../../modules/lake/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { FirehoseSink } from "./firehose_sink.ts";
import type { ArchiveMetrics } from "./metrics.ts";
import { ObjectSink } from "./object_sink.ts";
import type { RetryPolicy } from "./retry.ts";
import type { ArchiveSink } from "./sink.ts";

/** What {@linkcode createSink} needs. */
export interface CreateSinkOptions {
  config: ArchiveConfig;
  /** `LAKE_DIR`, for the local sink. */
  lakeDir: string;
  aws: AwsConfig;
  metrics: ArchiveMetrics;
  log: Logger;
}

/** The sinks' back-off policy per operation; each retry is counted and logged. */
export function sinkRetryPolicy(
  config: ArchiveConfig,
  metrics: ArchiveMetrics,
  log: Logger,
): (operation: string) => RetryPolicy {
  return (operation) => ({
    delayMs: config.retryDelayMs,
    delayMsMax: config.retryDelayMsMax,
    onRetry: (error, attempt, delayMs) => {
      metrics.retries.inc(1, { operation });
      log.warn(`${operation} failed; retrying`, { error, attempt, delayMs });
    },
  });
}

/**
 * Builds the sink `ARCHIVE_SINK` names. The local sink first removes temporary files that
 * writers killed mid-write left behind. SDK clients make one attempt per call: every retry is
 * the archive's own, counted and backed off.
 */
export async function createSink(options: CreateSinkOptions): Promise<ArchiveSink> {
  const { config, lakeDir, aws, metrics, log } = options;
  const retry = sinkRetryPolicy(config, metrics, log);
  switch (config.sink) {
    case "local": {
      const store = new LocalObjectStore(lakeDir);
      const removed = await store.sweepTemporary();
      if (removed > 0) log.info("removed temporary files of dead writers", { removed });
      return new ObjectSink(store, { kind: "local", retry });
    }
    case "s3": {
      const store = new S3ObjectStore({
        bucket: config.s3Bucket ?? "",
        prefix: config.s3Prefix,
        aws,
        maxAttempts: 1,
        requestTimeoutMs: config.requestTimeoutMs,
      });
      return new ObjectSink(store, { kind: "s3", retry });
    }
    case "firehose": {
      const client = new FirehoseClient({
        region: aws.region,
        ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
        maxAttempts: 1,
      });
      return new FirehoseSink({
        client,
        stream: config.firehoseStream ?? "",
        retry,
        requestTimeoutMs: config.requestTimeoutMs,
        onRefused: (records) => metrics.refusedRecords.inc(records),
        onOversize: (chunk, bytes) => {
          metrics.skipped.inc(1, { reason: "oversize" });
          log.error("message larger than a Firehose record can be; skipped", {
            partition: chunk.partition,
            firstOffset: chunk.firstOffset,
            lastOffset: chunk.lastOffset,
            bytes,
          });
        },
      });
    }
  }
}
