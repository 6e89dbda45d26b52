import {
  type Admin,
  CompressionTypes,
  type IHeaders,
  type Kafka,
  type Message,
  type Producer,
} from "kafkajs";
import type { Compression } from "../../modules/config/mod.ts";

/**
 * Bytes per produce call, at most. Kafka limits each record batch (`max.message.bytes`, 1 MiB
 * by default on the stats topic), and a produce call to one partition is one batch.
 */
export const SEND_BYTES_MAX = 900_000;

/** The kafkajs codec of a configured compression. */
export function compressionType(compression: Compression): CompressionTypes {
  return compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
}

/**
 * Sends messages to one partition in order, in calls of at most `bytesMax` bytes each (a
 * single larger message goes alone), each acknowledged by all in-sync replicas.
 */
export async function sendInChunks(
  producer: Producer,
  topic: string,
  messages: Message[],
  options: { compression: CompressionTypes; bytesMax?: number },
): Promise<void> {
  const bytesMax = options.bytesMax ?? SEND_BYTES_MAX;
  let chunk: Message[] = [];
  let bytes = 0;
  const send = async () => {
    if (chunk.length === 0) return;
    await producer.send({ topic, acks: -1, compression: options.compression, messages: chunk });
    chunk = [];
    bytes = 0;
  };
  for (const message of messages) {
    const size = (message.value as Buffer | null)?.length ?? 0;
    if (bytes + size > bytesMax) await send();
    chunk.push(message);
    bytes += size;
  }
  await send();
}

/** The `received_at` header as a number, or `undefined` when absent or not a number. */
export function receivedAtOf(headers: IHeaders | undefined): number | undefined {
  let value = headers?.received_at;
  if (Array.isArray(value)) value = value[0];
  if (value === undefined) return undefined;
  const time = Number(String(value));
  return Number.isSafeInteger(time) && time >= 0 ? time : undefined;
}

/** A committed offset and its metadata, per partition. */
export interface Committed {
  offset: number | undefined;
  metadata: string | null;
}

/** Reads a group's committed offsets (with metadata) for one topic. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, Committed>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out = new Map<number, Committed>();
  for (const partition of entry?.partitions ?? []) {
    const offset = Number(partition.offset);
    out.set(partition.partition, {
      offset: offset >= 0 ? offset : undefined,
      metadata: partition.metadata ?? null,
    });
  }
  return out;
}

/**
 * Creates the internal partials topic when missing: one partition (the merge stage must read
 * every worker's messages in one order), large messages allowed (a busy slot can exceed the
 * broker's 1 MiB default), and a retention long enough for a restart to re-read its window.
 *
 * @throws {Error} When the topic exists with more than one partition.
 */
export async function ensurePartialsTopic(
  kafka: Kafka,
  name: string,
  replicationFactor: number,
  retentionMs: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(name)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: name,
            numPartitions: 1,
            replicationFactor,
            configEntries: [
              { name: "max.message.bytes", value: String(16 * 1024 * 1024) },
              { name: "retention.ms", value: String(retentionMs) },
            ],
          },
        ],
      });
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
    const partitions = topics[0]?.partitions.length ?? 0;
    if (partitions !== 1) {
      throw new Error(
        `Cannot use ${name} as the stream's partials topic: it has ${partitions} partitions, and the merge stage needs exactly 1; delete it or set TOPIC_STREAM_PARTIALS`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

/** The number of partitions of a topic. */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}
