import type { IHeaders, Message } from "kafkajs";

/**
 * A batch of Kafka messages packed into transferable typed arrays, so it crosses to the
 * producer thread without a structured clone of hundreds of objects: one byte array holds
 * every key and value, and per-message numbers say where each one is.
 */
export interface PackedBatch {
  /** Keys and values, back to back. */
  bytes: Uint8Array;
  /** Per message: key start (-1 for no key), key end (= value start), value end. */
  offsets: Int32Array;
  /** Per message: the partition, or -1 to let the partitioner choose. */
  partitions: Int32Array;
  /** Per message: 0 for the raw topic, 1 for the dead-letter topic. */
  topics: Uint8Array;
  /** Per message: ingest time in ms (the `received_at` header). */
  receivedAt: Float64Array;
  /** The headers of dead-letter messages (few, and the only ones with more than one). */
  dlqHeaders: [index: number, headers: IHeaders][];
}

/** What the packer reads of a record. */
export interface Packable {
  kind: "raw" | "dlq";
  message: Message;
  receivedAt: number;
}

/** Packs records for the producer thread. */
export function packBatch(records: readonly Packable[]): PackedBatch {
  let total = 0;
  for (const { message } of records) total += byteLength(message.key) + byteLength(message.value);
  const bytes = new Uint8Array(total);
  const offsets = new Int32Array(records.length * 3);
  const partitions = new Int32Array(records.length);
  const topics = new Uint8Array(records.length);
  const receivedAt = new Float64Array(records.length);
  const dlqHeaders: [number, IHeaders][] = [];
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Packable;
    const message = record.message;
    offsets[i * 3] = message.key === null || message.key === undefined ? -1 : at;
    at = write(bytes, at, message.key);
    offsets[i * 3 + 1] = at;
    at = write(bytes, at, message.value);
    offsets[i * 3 + 2] = at;
    partitions[i] = message.partition ?? -1;
    topics[i] = record.kind === "dlq" ? 1 : 0;
    receivedAt[i] = record.receivedAt;
    if (record.kind === "dlq") dlqHeaders.push([i, message.headers ?? {}]);
  }
  return { bytes, offsets, partitions, topics, receivedAt, dlqHeaders };
}

/** The buffers of a packed batch, to transfer rather than copy. */
export function transferables(batch: PackedBatch): ArrayBuffer[] {
  return [batch.bytes, batch.offsets, batch.partitions, batch.topics, batch.receivedAt].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

/** Unpacks a batch into kafkajs messages whose keys and values are views (no copies). */
export function unpackBatch(batch: PackedBatch): { raw: Message[]; dlq: Message[] } {
  const raw: Message[] = [];
  const dlq: Message[] = [];
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const dlqHeaders = new Map(batch.dlqHeaders);
  for (let i = 0; i < batch.topics.length; i++) {
    const keyStart = batch.offsets[i * 3] as number;
    const valueStart = batch.offsets[i * 3 + 1] as number;
    const message: Message = {
      key: keyStart < 0 ? null : bytes.subarray(keyStart, valueStart),
      value: bytes.subarray(valueStart, batch.offsets[i * 3 + 2] as number),
      headers: dlqHeaders.get(i) ?? { received_at: String(batch.receivedAt[i]) },
    };
    const partition = batch.partitions[i] as number;
    if (partition >= 0) message.partition = partition;
    (batch.topics[i] === 1 ? dlq : raw).push(message);
  }
  return { raw, dlq };
}

function byteLength(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === "string" ? Buffer.byteLength(data) : data.length;
}

function write(into: Uint8Array, at: number, data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return at;
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  into.set(bytes, at);
  return at + bytes.length;
}
