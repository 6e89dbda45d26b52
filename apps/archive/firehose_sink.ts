import { type FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import type { Chunk } from "./partition_buffer.ts";
import { type RetryPolicy, retryUntilDone } from "./retry.ts";
import type { ArchivedRange, ArchiveSink, SinkSignals } from "./sink.ts";

/** Firehose's `PutRecordBatch` limits (fixed by AWS, not adjustable). */
export interface FirehoseLimits {
  /** Records per call. */
  recordsPerCallMax: number;
  /** Data bytes per call (before base64). */
  bytesPerCallMax: number;
  /** Data bytes per record (before base64). */
  bytesPerRecordMax: number;
}

/** At most 500 records and 4 MiB per call, 1,000 KiB per record. */
export const FIREHOSE_LIMITS: FirehoseLimits = {
  recordsPerCallMax: 500,
  bytesPerCallMax: 4 * 1024 * 1024,
  bytesPerRecordMax: 1000 * 1024,
};

/**
 * Splits records, in order, into the fewest consecutive `PutRecordBatch` calls within `limits`.
 *
 * @throws {RangeError} When a record alone exceeds `bytesPerRecordMax` (the caller filters those).
 */
export function planFirehoseCalls(
  records: readonly Uint8Array[],
  limits: FirehoseLimits = FIREHOSE_LIMITS,
): Uint8Array[][] {
  const calls: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let bytes = 0;
  for (const record of records) {
    if (record.byteLength > limits.bytesPerRecordMax) {
      throw new RangeError(
        `Cannot send a Firehose record of ${record.byteLength} bytes: the limit is ${limits.bytesPerRecordMax}`,
      );
    }
    const full =
      current.length === limits.recordsPerCallMax ||
      bytes + record.byteLength > limits.bytesPerCallMax;
    if (full) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += record.byteLength;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** Some records of a call were refused; only they are sent again. */
export class FirehosePartialFailure extends Error {
  override name = "FirehosePartialFailure";
  /** The error codes returned, e.g. `ServiceUnavailableException`. */
  readonly codes: string[];

  constructor(failed: number, total: number, codes: string[]) {
    super(`Firehose refused ${failed} of ${total} records: ${[...new Set(codes)].join(", ")}`);
    this.codes = codes;
  }
}

/** Options for {@linkcode FirehoseSink}. */
export interface FirehoseSinkOptions {
  client: FirehoseClient;
  /** The delivery stream (`FIREHOSE_STREAM`). */
  stream: string;
  /** The policy for an operation (`put-record-batch`). */
  retry: (operation: string) => RetryPolicy;
  /** One request is abandoned after this long. */
  requestTimeoutMs: number;
  /** Told how many records were refused, each time some are. */
  onRefused?: (records: number) => void;
  /** Told about a record too large for Firehose, which is skipped. */
  onOversize?: (chunk: Chunk, bytes: number) => void;
  /** @default {FIREHOSE_LIMITS} */
  limits?: FirehoseLimits;
}

/**
 * The Kinesis Firehose sink: each line becomes one record (its bytes and `\n`, so Firehose's
 * concatenated objects stay one message per line), sent with `PutRecordBatch` within Firehose's
 * limits. A partial failure (`FailedPutCount` > 0) retries only the refused records, with
 * back-off. Firehose names its own objects, so a crash between a call and the offset commit
 * sends the records again: at least once; the ETL drops duplicates by `rsvp_id`.
 */
export class FirehoseSink implements ArchiveSink {
  readonly kind = "firehose";
  readonly location: string;
  readonly #options: FirehoseSinkOptions;
  readonly #limits: FirehoseLimits;

  constructor(options: FirehoseSinkOptions) {
    this.#options = options;
    this.#limits = options.limits ?? FIREHOSE_LIMITS;
    this.location = `firehose:${options.stream}`;
  }

  async write(chunk: Chunk, signals: SinkSignals): Promise<void> {
    const records = chunk.lines.filter((line) => {
      if (line.byteLength <= this.#limits.bytesPerRecordMax) return true;
      this.#options.onOversize?.(chunk, line.byteLength);
      return false;
    });
    for (const call of planFirehoseCalls(records, this.#limits)) {
      await this.#putAll(call, signals);
    }
  }

  /** Sends one call's records until Firehose has accepted every one. */
  async #putAll(records: Uint8Array[], signals: SinkSignals): Promise<void> {
    let pending = records;
    await retryUntilDone(
      async () => {
        const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
        const response = await this.#options.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.#options.stream,
            Records: pending.map((data) => ({ Data: data })),
          }),
          { abortSignal: AbortSignal.any([signals.abort, timeout]) },
        );
        const failedCount = response.FailedPutCount ?? 0;
        if (failedCount === 0) return;
        const answers = response.RequestResponses ?? [];
        const failed = pending.filter((_, i) => answers[i]?.ErrorCode !== undefined);
        const codes = answers.flatMap((answer) => (answer.ErrorCode ? [answer.ErrorCode] : []));
        // Without per-record answers there is no telling which failed: send them all again.
        const again = failed.length > 0 ? failed : pending;
        this.#options.onRefused?.(again.length);
        const error = new FirehosePartialFailure(again.length, pending.length, codes);
        pending = again;
        throw error;
      },
      this.#options.retry("put-record-batch"),
      signals.stop,
    );
  }

  async archivedRanges(): Promise<ArchivedRange[]> {
    return [];
  }
}
