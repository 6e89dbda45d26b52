import { parse, type RejectReason } from "../../modules/rsvp/mod.ts";
import { partitionOfText } from "./partition.ts";

/**
 * One received stream message, ready for Kafka, in no client's types: the producer thread
 * turns it into its client's messages (see `_batch_codec.ts`).
 */
export interface IngestRecord {
  /** `raw` for an RSVP, `dlq` for a message `modules/rsvp` rejected. */
  kind: "raw" | "dlq";
  /**
   * The message value: a text frame as received (packed as UTF-8, which gives back the bytes on
   * the wire), a binary frame's bytes; for the DLQ, at most `DLQ_VALUE_BYTES_MAX` bytes.
   */
  value: string | Uint8Array;
  /** The UTF-8 size of `value`. */
  valueBytes: number;
  /** raw: `group_id` as decimal text; dlq: none. */
  key: string | undefined;
  /** raw: the partition Kafka's default partitioner gives the key; dlq: -1 (any). */
  partition: number;
  /** dlq: `reason`, `error`, `received_at`, maybe `value_bytes`; raw: none (see `receivedAt`). */
  headers: Record<string, string> | undefined;
  /** Ingest time, ms since the epoch; also the `received_at` header. */
  receivedAt: number;
  /** What this record costs the in-memory buffer, for its byte bound. */
  bytes: number;
  /** Why it was rejected (dlq only). */
  reason?: RejectReason;
}

/**
 * The largest value put on the dead-letter topic. A rejected message can be larger than any
 * broker accepts (`too-large` ones are by definition), so its head is kept and the original
 * size goes in a `value_bytes` header instead of failing the whole produce request.
 */
export const DLQ_VALUE_BYTES_MAX = 512 * 1024;

/** The parser's message in the `error` header is cut to this many characters. */
export const DLQ_ERROR_CHARS_MAX = 500;

/** Per-record bookkeeping beyond key and value (objects, headers), counted against the bound. */
const RECORD_OVERHEAD_BYTES = 96;

/**
 * Classifies one stream message: an RSVP becomes a raw-topic record keyed by `group_id` in the
 * partition Kafka's default partitioner gives that key; anything else becomes a dead-letter
 * record with the parser's `reason`. The value is always the bytes received, never re-encoded.
 *
 * A text frame stays a string here: it is encoded once, straight into the producer's batch
 * (`packBatch`), rather than into a buffer of its own per message. That is exact because a text
 * frame is valid UTF-8 by the WebSocket protocol (RFC 6455 5.6; clients close the connection
 * otherwise), so decoding and encoding it again gives back the received bytes.
 *
 * @param data A text frame (string) or binary frame (bytes).
 * @param receivedAt Ingest time in ms.
 * @param rawPartitions How many partitions the raw topic has.
 */
export function toRecord(
  data: string | Uint8Array,
  receivedAt: number,
  rawPartitions: number,
): IngestRecord {
  const result = parse(data);
  if (!result.ok) return toDlqRecord(data, receivedAt, result.reason, result.message);
  const valueBytes = typeof data === "string" ? Buffer.byteLength(data, "utf8") : data.byteLength;
  const key = String(result.rsvp.group.group_id);
  return {
    kind: "raw",
    value: data,
    valueBytes,
    key,
    partition: partitionOfText(key, rawPartitions),
    headers: undefined,
    receivedAt,
    bytes: valueBytes + key.length + RECORD_OVERHEAD_BYTES,
  };
}

function toDlqRecord(
  data: string | Uint8Array,
  receivedAt: number,
  reason: RejectReason,
  message: string,
): IngestRecord {
  const value =
    typeof data === "string"
      ? Buffer.from(data, "utf8")
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // A copy, so the oversized original is not kept alive by a view into it.
  const kept =
    value.length > DLQ_VALUE_BYTES_MAX
      ? Buffer.from(value.subarray(0, DLQ_VALUE_BYTES_MAX))
      : value;
  const headers: Record<string, string> = {
    reason,
    error: message.slice(0, DLQ_ERROR_CHARS_MAX),
    received_at: String(receivedAt),
  };
  if (kept !== value) headers.value_bytes = String(value.length);
  return {
    kind: "dlq",
    value: kept,
    valueBytes: kept.length,
    key: undefined,
    partition: -1,
    headers,
    receivedAt,
    bytes: kept.length + RECORD_OVERHEAD_BYTES,
    reason,
  };
}
