import type { Chunk } from "./partition_buffer.ts";

/** The two signals a sink call honours. */
export interface SinkSignals {
  /** Stop retrying: no new attempt and no further back-off (a rebalance, a shutdown). */
  stop: AbortSignal;
  /** Abandon requests in flight too (the shutdown deadline has passed). */
  abort: AbortSignal;
}

/** One archived offset range of a partition, as recovery needs it. */
export interface ArchivedRange {
  firstOffset: number;
  lastOffset: number;
}

/**
 * Where chunks go. `write` resolves only once the chunk is durable (the Kafka offset after it
 * may then be committed), retrying by itself until then; it rejects only when `stop` or `abort`
 * fires.
 */
export interface ArchiveSink {
  /** `local`, `s3` or `firehose`. */
  readonly kind: string;
  /** Where it writes, for logs. */
  readonly location: string;
  /** Makes a chunk durable. */
  write(chunk: Chunk, signals: SinkSignals): Promise<void>;
  /**
   * The ranges of `topic`/`partition` already archived under the hour starting at `hourMs`,
   * so that a restart skips them instead of writing them again. Sinks whose object names do not
   * record offsets (Firehose) return none: they are at least once.
   */
  archivedRanges(
    topic: string,
    partition: number,
    hourMs: number,
    signals: SinkSignals,
  ): Promise<ArchivedRange[]>;
}
