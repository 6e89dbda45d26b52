import type { Message } from "kafkajs";
import { parse, type RejectReason } from "../../modules/rsvp/mod.ts";
import { partitionOf } from "./partition.ts";

/** One received stream message, ready for Kafka. */
export interface IngestRecord {
  /** `raw` for an RSVP, `dlq` for a message `modules/rsvp` rejected. */
  kind: "raw" | "dlq";
  /** The Kafka message: key, the exact bytes received, headers, and (raw only) partition. */
  message: Message;
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

/** The bytes of a frame exactly as received, without copying binary frames. */
function frameBytes(data: string | Uint8Array): Buffer {
  if (typeof data !== "string") return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // A text frame is valid UTF-8 by the WebSocket protocol (RFC 6455 5.6; clients close the
  // connection otherwise), so decoding and encoding it again gives back the received bytes.
  return Buffer.from(data, "utf8");
}

/**
 * Classifies one stream message: an RSVP becomes a raw-topic record keyed by `group_id` in the
 * partition Kafka's default partitioner gives that key; anything else becomes a dead-letter
 * record with the parser's `reason`. The value is always the bytes received, never re-encoded.
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
  const value = frameBytes(data);
  const result = parse(data);
  const receivedAtText = String(receivedAt);
  if (result.ok) {
    const key = Buffer.from(String(result.rsvp.group.group_id));
    return {
      kind: "raw",
      message: {
        key,
        value,
        partition: partitionOf(key, rawPartitions),
        headers: { received_at: receivedAtText },
      },
      receivedAt,
      bytes: value.length + key.length + RECORD_OVERHEAD_BYTES,
    };
  }
  // A copy, so the oversized original is not kept alive by a view into it.
  const kept =
    value.length > DLQ_VALUE_BYTES_MAX
      ? Buffer.from(value.subarray(0, DLQ_VALUE_BYTES_MAX))
      : value;
  const headers: Record<string, string> = {
    reason: result.reason,
    error: result.message.slice(0, DLQ_ERROR_CHARS_MAX),
    received_at: receivedAtText,
  };
  if (kept !== value) headers.value_bytes = String(value.length);
  return {
    kind: "dlq",
    message: { key: null, value: kept, headers },
    receivedAt,
    bytes: kept.length + RECORD_OVERHEAD_BYTES,
    reason: result.reason,
  };
}
