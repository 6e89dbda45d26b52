import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Kafka } from "kafkajs";
import { kafkaConfig } from "../config/mod.ts";
import { servicesUp, uniqueName } from "../testing/mod.ts";
import { createKafka } from "./client.ts";
import { ensureTopics } from "./topics.ts";

let kafka: Kafka;

beforeAll(() => {
  servicesUp("kafka");
  kafka = createKafka(kafkaConfig(), { clientSuffix: "test" });
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((name) => name.startsWith("test.kafka-"));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin.disconnect();
});

test("ensureTopics() creates topics with explicit partitions, once", async () => {
  const name = uniqueName("test.kafka-topics");
  expect(await ensureTopics(kafka, [{ name, partitions: 6 }], 1)).toEqual([name]);
  expect(await ensureTopics(kafka, [{ name, partitions: 6 }], 1)).toEqual([]);
  const admin = kafka.admin();
  await admin.connect();
  const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
  await admin.disconnect();
  expect(topics[0]?.partitions.length).toBe(6);
  await expect(ensureTopics(kafka, [{ name, partitions: 12 }], 1)).rejects.toThrow(
    /has 6 partitions but 12/,
  );
});

test("a message produced on the real broker is consumed with its key, bytes and headers", async () => {
  const topic = uniqueName("test.kafka-roundtrip");
  await ensureTopics(kafka, [{ name: topic, partitions: 1 }], 1);
  const value = Buffer.from('{"rsvp_id":1,"name":"Zoë \\/ café"}');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: [{ key: "1809828", value, headers: { received_at: "1526781485288" } }],
  });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: uniqueName("test-group") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise<{ key: string; value: Buffer; header: string }>((resolve) => {
    consumer.run({
      eachMessage: async ({ message }) =>
        resolve({
          key: String(message.key),
          value: message.value ?? Buffer.alloc(0),
          header: String(message.headers?.received_at),
        }),
    });
  });
  await consumer.disconnect();
  expect(received.key).toBe("1809828");
  expect(Buffer.compare(received.value, value)).toBe(0);
  expect(received.header).toBe("1526781485288");
});
