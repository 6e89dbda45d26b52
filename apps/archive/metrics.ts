import { type Metric, Registry } from "../../modules/metrics/mod.ts";

/** The archive's counters and gauges. */
export interface ArchiveMetrics {
  registry: Registry;
  /** Raw messages made durable. */
  records: Metric;
  /** Bytes made durable: the lines, each with its `\n`. */
  bytes: Metric;
  /** Objects written (local, s3) or chunks accepted by Firehose. */
  objects: Metric;
  /** Failed sink calls that were retried, by `operation`. */
  retries: Metric;
  /** Firehose records refused in a partial failure (and sent again). */
  refusedRecords: Metric;
  /** Messages skipped at (re)start because an existing object already holds them. */
  recovered: Metric;
  /** Messages not archived, by `reason` (`empty`, `oversize`). */
  skipped: Metric;
  /** Offset commits that went through, and those that failed. */
  commits: Metric;
  commitFailures: Metric;
  /** Messages in the topic not yet durable: high watermark minus committed offset, summed. */
  lag: Metric;
  /** Bytes read but not yet durable (open and sealed chunks). */
  buffered: Metric;
}

/** Registers the archive's metrics in `registry`. */
export function archiveMetrics(registry: Registry = new Registry()): ArchiveMetrics {
  return {
    registry,
    records: registry.counter("archive_records_total", "Raw messages made durable in the sink"),
    bytes: registry.counter("archive_bytes_total", "Bytes made durable (lines with their LF)"),
    objects: registry.counter(
      "archive_objects_total",
      "Objects written (local, s3) or chunks accepted by Firehose",
    ),
    retries: registry.counter("archive_retries_total", "Failed sink calls retried, by operation"),
    refusedRecords: registry.counter(
      "archive_firehose_refused_records_total",
      "Firehose records refused in a partial failure and sent again",
    ),
    recovered: registry.counter(
      "archive_recovered_total",
      "Messages skipped because an existing object already held them",
    ),
    skipped: registry.counter("archive_skipped_total", "Messages not archived, by reason"),
    commits: registry.counter("archive_commits_total", "Offset commits after durable writes"),
    commitFailures: registry.counter(
      "archive_commit_failures_total",
      "Offset commits that failed (retried with the next one)",
    ),
    lag: registry.gauge(
      "archive_lag_records",
      "Messages in the raw topic not yet durable: high watermark minus committed offset",
    ),
    buffered: registry.gauge("archive_buffered_bytes", "Bytes read but not yet durable"),
  };
}
