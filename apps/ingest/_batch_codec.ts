import type { IngestRecord } from "./record.ts";

/**
 * A batch of Kafka messages packed into transferable typed arrays, so it crosses to the
 * producer thread without a structured clone of thousands of objects: one byte array holds
 * every key and value, and per-message numbers say where each one is. Neither side depends on
 * a Kafka client: the producer thread turns the unpacked messages into its client's.
 */
export interface PackedBatch {
  /** Keys and values, back to back (possibly followed by unused bytes). */
  bytes: Uint8Array;
  /** Per message: key start (-1 for no key), key end (= value start), value end. */
  offsets: Int32Array;
  /** Per message: the partition, or -1 to let the client choose. */
  partitions: Int32Array;
  /** Per message: 0 for the raw topic, 1 for the dead-letter topic. */
  topics: Uint8Array;
  /** Per message: ingest time in ms (the `received_at` header of raw messages). */
  receivedAt: Float64Array;
  /** The headers of dead-letter messages (few, and the only ones with more than one). */
  dlqHeaders: [index: number, headers: Record<string, string>][];
}

/** What the packer reads of an `IngestRecord`. */
export type Packable = Pick<
  IngestRecord,
  "kind" | "value" | "valueBytes" | "key" | "partition" | "headers" | "receivedAt"
>;

/** One unpacked message: what every Kafka client needs, keys and values as views. */
export interface UnpackedMessage {
  topic: string;
  key: Buffer | undefined;
  value: Buffer;
  /** Absent: the client chooses. */
  partition: number | undefined;
  headers: Map<Buffer, Buffer>;
}

/** At most 3 UTF-8 bytes per UTF-16 unit: room for any key without measuring it first. */
const UTF8_BYTES_PER_UNIT_MAX = 3;

/** Packs records for the producer thread, encoding text values straight into the batch. */
export function packBatch(records: readonly Packable[]): PackedBatch {
  let total = 0;
  for (const record of records) {
    total += record.valueBytes + (record.key?.length ?? 0) * UTF8_BYTES_PER_UNIT_MAX;
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  const offsets = new Int32Array(records.length * 3);
  const partitions = new Int32Array(records.length);
  const topics = new Uint8Array(records.length);
  const receivedAt = new Float64Array(records.length);
  const dlqHeaders: [number, Record<string, string>][] = [];
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Packable;
    const key = record.key;
    offsets[i * 3] = key === undefined ? -1 : at;
    if (key !== undefined) at += bytes.write(key, at, "utf8");
    offsets[i * 3 + 1] = at;
    const value = record.value;
    if (typeof value === "string") {
      at += bytes.write(value, at, "utf8");
    } else {
      bytes.set(value, at);
      at += value.byteLength;
    }
    offsets[i * 3 + 2] = at;
    partitions[i] = record.partition;
    topics[i] = record.kind === "dlq" ? 1 : 0;
    receivedAt[i] = record.receivedAt;
    if (record.kind === "dlq") dlqHeaders.push([i, record.headers ?? {}]);
  }
  return { bytes, offsets, partitions, topics, receivedAt, dlqHeaders };
}

/** The buffers of a packed batch, to transfer rather than copy. */
export function transferables(batch: PackedBatch): ArrayBuffer[] {
  return [batch.bytes, batch.offsets, batch.partitions, batch.topics, batch.receivedAt].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

const RECEIVED_AT = Buffer.from("received_at");

/**
 * Unpacks a batch into messages whose keys and values are views of the batch (no copies), in
 * batch order, raw ones to `rawTopic` with a `received_at` header and dead-letter ones to
 * `dlqTopic` with theirs.
 */
export function unpackBatch(batch: PackedBatch, rawTopic: string, dlqTopic: string) {
  const messages: UnpackedMessage[] = [];
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const dlqHeaders = new Map(batch.dlqHeaders);
  // Records arrive tens per millisecond, so consecutive ones mostly share this header value.
  let lastAt = Number.NaN;
  let lastAtBytes = Buffer.alloc(0);
  for (let i = 0; i < batch.topics.length; i++) {
    const keyStart = batch.offsets[i * 3] as number;
    const valueStart = batch.offsets[i * 3 + 1] as number;
    const partition = batch.partitions[i] as number;
    const dlq = batch.topics[i] === 1;
    let headers: Map<Buffer, Buffer>;
    if (dlq) {
      headers = new Map();
      for (const [name, value] of Object.entries(dlqHeaders.get(i) ?? {})) {
        headers.set(Buffer.from(name), Buffer.from(value));
      }
    } else {
      const at = batch.receivedAt[i] as number;
      if (at !== lastAt) {
        lastAt = at;
        lastAtBytes = Buffer.from(String(at));
      }
      headers = new Map([[RECEIVED_AT, lastAtBytes]]);
    }
    messages.push({
      topic: dlq ? dlqTopic : rawTopic,
      key: keyStart < 0 ? undefined : bytes.subarray(keyStart, valueStart),
      value: bytes.subarray(valueStart, batch.offsets[i * 3 + 2] as number),
      partition: partition < 0 ? undefined : partition,
      headers,
    });
  }
  return messages;
}
