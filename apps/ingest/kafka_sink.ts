import { CompressionTypes, type Kafka, type Message, type Producer } from "kafkajs";
import type { KafkaConfig } from "../../modules/config/mod.ts";
import { ensureTopics, projectTopics } from "../../modules/kafka/mod.ts";
import type { IngestRecord } from "./record.ts";

/** Where ingest's batches go. */
export interface KafkaSink {
  /** Partitions of the raw topic, for the key partitioner. */
  readonly rawPartitions: number;
  /** Produces one batch (raw and dead-letter records together), resolving once acknowledged. */
  send(batch: readonly IngestRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The producer's own retry schedule. Idempotent kafkajs producers retry retriable errors
 * without limit (with the same sequence numbers, so the broker drops a retried duplicate);
 * a short cap on the delay makes a restarted broker usable within about a second.
 */
const PRODUCER_RETRY = {
  retries: Number.MAX_SAFE_INTEGER,
  initialRetryTime: 100,
  maxRetryTime: 1_000,
};

/** The broker waits this long for in-sync replicas before answering a produce request. */
const PRODUCE_TIMEOUT_MS = 30_000;

/**
 * Creates the project's topics (explicit partitions and replication, never broker
 * auto-create), reads the raw topic's partition count and connects an idempotent,
 * `acks=all` producer.
 *
 * @throws When Kafka cannot be reached or a topic has fewer partitions than configured.
 */
export async function connectKafkaSink(kafka: Kafka, config: KafkaConfig): Promise<KafkaSink> {
  await ensureTopics(kafka, projectTopics(config), config.replicationFactor);
  const rawPartitions = await partitionCount(kafka, config.raw.name);
  // One request in flight per broker: with idempotence this keeps every partition in order
  // across retries (kafkajs also serialises idempotent requests per broker).
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: PRODUCER_RETRY,
  });
  await producer.connect();
  const compression = config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
  return {
    rawPartitions,
    async send(batch) {
      const raw: Message[] = [];
      const dlq: Message[] = [];
      for (const record of batch) (record.kind === "raw" ? raw : dlq).push(record.message);
      const topicMessages = [];
      if (raw.length > 0) topicMessages.push({ topic: config.raw.name, messages: raw });
      if (dlq.length > 0) topicMessages.push({ topic: config.dlq.name, messages: dlq });
      await producer.sendBatch({
        acks: -1,
        timeout: PRODUCE_TIMEOUT_MS,
        compression,
        topicMessages,
      });
    },
    disconnect: () => producer.disconnect(),
  };
}

async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics.find((entry) => entry.name === topic)?.partitions.length ?? 0;
    if (count < 1) throw new Error(`Cannot read the partitions of topic ${topic}: none found`);
    return count;
  } finally {
    await admin.disconnect();
  }
}
