import type { Kafka } from "kafkajs";
import type { KafkaConfig, TopicConfig } from "../config/mod.ts";

/** The three topics of the data contract, in the order they are created. */
export function projectTopics(config: KafkaConfig): TopicConfig[] {
  return [config.raw, config.dlq, config.stats];
}

/**
 * Creates the topics that do not exist yet with their explicit partition counts (never relying
 * on broker auto-create), and checks that existing ones have at least as many partitions.
 *
 * @returns The names of the topics this call created.
 * @throws {Error} When an existing topic has fewer partitions than configured.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly TopicConfig[],
  replicationFactor: number,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor,
        })),
      });
    }
    const present = topics.filter((topic) => existing.has(topic.name));
    if (present.length > 0) {
      const { topics: metadata } = await admin.fetchTopicMetadata({
        topics: present.map((topic) => topic.name),
      });
      for (const topic of present) {
        const found = metadata.find((entry) => entry.name === topic.name)?.partitions.length ?? 0;
        if (found < topic.partitions) {
          throw new Error(
            `Topic ${topic.name} has ${found} partitions but ${topic.partitions} are configured; raise it with kafka-topics --alter or delete the topic`,
          );
        }
      }
    }
    return missing.map((topic) => topic.name);
  } finally {
    await admin.disconnect();
  }
}
