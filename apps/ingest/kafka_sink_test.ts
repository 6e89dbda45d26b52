import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Kafka } from "kafkajs";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { servicesUp } from "../../modules/testing/mod.ts";
import { deleteTopics, recordedLines, testKafkaConfig } from "./_testing.ts";
import { connectKafkaSink } from "./kafka_sink.ts";
import { toRecord } from "./record.ts";

const log = createLogger("ingest-sink-test", { level: "error" });
const settings = testKafkaConfig("sink");
settings.raw.partitions = 1;
let kafka: Kafka;

beforeAll(() => {
  servicesUp("kafka");
  kafka = createKafka(settings, { clientSuffix: "ingest-test", logger: log });
});

afterAll(() => deleteTopics(kafka, settings));

async function rawOffset(): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(settings.raw.name);
    return offsets.reduce((sum, { high }) => sum + Number(high), 0);
  } finally {
    await admin.disconnect();
  }
}

test("a batch chained to one that failed is not produced; unchained batches are", async () => {
  const sink = await connectKafkaSink(kafka, settings, log);
  try {
    const records = recordedLines()
      .filter((_, index) => index !== 1541)
      .map((line) => toRecord(line.toString("utf8"), Date.now(), 1));
    // The whole recording in one partition batch (4 MB): MESSAGE_TOO_LARGE, not retriable.
    const tooLarge = sink.send(records, false);
    const chained = sink.send(records.slice(0, 3), true);
    const [first, second] = await Promise.allSettled([tooLarge, chained]);
    expect(first.status === "rejected" && String(first.reason)).toContain("MESSAGE_TOO_LARGE");
    expect(second.status === "rejected" && (second.reason as Error).message).toContain(
      "the batch before it failed",
    );
    expect(
      second.status === "rejected" && (second.reason as { retriable: boolean }).retriable,
    ).toBe(true);
    expect(await rawOffset()).toBe(0);
    // Sent again unchained (as the pump does after a failure), a batch goes through.
    await sink.send(records.slice(0, 3), false);
    await sink.send(records.slice(3, 5), true);
    expect(await rawOffset()).toBe(5);
  } finally {
    await sink.disconnect();
  }
}, 60_000);
