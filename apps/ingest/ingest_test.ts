import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Kafka } from "kafkajs";
import type { KafkaConfig, ReplayConfig } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { servicesUp } from "../../modules/testing/mod.ts";
import { startReplayServer } from "../replay/server.ts";
import { sourceFromConfig } from "../replay/source.ts";
import {
  consumeAll,
  deleteTopics,
  expectExactlyOnce,
  RECORDED_FILES,
  recordedLines,
  testIngestConfig,
  testKafkaConfig,
  waitUntil,
} from "./_testing.ts";
import { startIngest } from "./ingest.ts";

const log = createLogger("ingest-test", { level: "error" });
const lines = recordedLines();
/** The one broken record of the recordings: the last line of the 2017 capture, cut short. */
const TRUNCATED_INDEX = 1541;

let kafka: Kafka;
const created: KafkaConfig[] = [];
const servers: { stop(force: boolean): void }[] = [];

function startReplay(): string {
  const config: ReplayConfig = {
    host: "127.0.0.1",
    port: 0,
    source: { kind: "files", patterns: RECORDED_FILES },
    rate: { kind: "max" },
    keepTime: true,
    loop: false,
    clientBufferBytesMax: 4 * 1024 * 1024,
  };
  const { server } = startReplayServer(config, sourceFromConfig(config), log);
  servers.push(server);
  return `ws://127.0.0.1:${server.port}/2/rsvps`;
}

beforeAll(() => {
  servicesUp("kafka");
  kafka = createKafka(testKafkaConfig("admin"), { clientSuffix: "ingest-test", logger: log });
});

afterAll(async () => {
  for (const server of servers) server.stop(true);
  for (const config of created) await deleteTopics(kafka, config);
});

describe("apps/ingest against the real broker and the replay server", () => {
  test.each(["none", "gzip"] as const)(
    "every recorded record lands once, byte-identical, in partition order; the truncated line goes to the DLQ (compression %s)",
    async (compression) => {
      expect(lines.length).toBe(2929);
      const kafkaSettings = { ...testKafkaConfig("once"), compression };
      created.push(kafkaSettings);
      // A small buffer, so back-pressure (stop reading, then read again) happens several times
      // during the run and is part of what is checked.
      const config = testIngestConfig(startReplay(), {
        bufferRecordsMax: 400,
        batchRecordsMax: 100,
      });
      const ingest = await startIngest({ config, kafkaConfig: kafkaSettings, kafka, log });
      await waitUntil(
        "all records durable",
        () => ingest.durablePosition() === lines.length,
        60_000,
        ingest.done,
      );
      expect(await ingest.stop(10_000)).toBe(true);

      const metrics = ingest.snapshot();
      expect(metrics.ingest_received_total).toBe(lines.length);
      expect(metrics[`ingest_produced_total{topic=${kafkaSettings.raw.name}}`]).toBe(
        lines.length - 1,
      );
      expect(metrics[`ingest_produced_total{topic=${kafkaSettings.dlq.name}}`]).toBe(1);
      expect(metrics["ingest_rejected_total{reason=not-json}"]).toBe(1);
      expect(metrics.ingest_backpressure_pauses_total).toBeGreaterThan(0);
      expect(metrics.ingest_buffer_records).toBe(0);
      expect(metrics.ingest_stream_position).toBe(lines.length);
      expect(metrics["ingest_send_latency_ms{quantile=0.5}"]).toBeGreaterThan(0);
      expect(metrics["ingest_produce_latency_ms{quantile=0.99}"]).toBeGreaterThanOrEqual(
        metrics["ingest_produce_latency_ms{quantile=0.5}"] ?? 0,
      );
      expect(metrics["ingest_produce_latency_ms{quantile=0.5}"]).toBeGreaterThan(0);

      const raw = await consumeAll(kafka, kafkaSettings.raw.name, lines.length - 1);
      const dlq = await consumeAll(kafka, kafkaSettings.dlq.name, 1);
      expectExactlyOnce(lines, raw, dlq, new Map([[TRUNCATED_INDEX, "not-json"]]));
      expect(dlq[0]?.headers.error).toContain("not JSON");
      expect(dlq[0]?.key).toBeNull();
    },
    120_000,
  );

  test("the topics are created with the configured partitions, never by auto-create", async () => {
    const kafkaSettings = testKafkaConfig("topics");
    kafkaSettings.raw.partitions = 3;
    kafkaSettings.dlq.partitions = 2;
    created.push(kafkaSettings);
    const config = testIngestConfig(startReplay());
    const ingest = await startIngest({ config, kafkaConfig: kafkaSettings, kafka, log });
    await ingest.stop(10_000);
    const admin = kafka.admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({
      topics: [kafkaSettings.raw.name, kafkaSettings.dlq.name, kafkaSettings.stats.name],
    });
    await admin.disconnect();
    const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({
      [kafkaSettings.raw.name]: 3,
      [kafkaSettings.dlq.name]: 2,
      [kafkaSettings.stats.name]: 1,
    });
  }, 60_000);

  test("a non-retriable Kafka error stops ingest with that error and nothing counted as durable", async () => {
    const kafkaSettings = testKafkaConfig("fatal");
    // One partition and 8 MB batches: the whole recording (4.2 MB) goes as one partition batch,
    // which the broker refuses (message.max.bytes is 1 MiB): MESSAGE_TOO_LARGE, not retriable.
    kafkaSettings.raw.partitions = 1;
    created.push(kafkaSettings);
    const config = testIngestConfig(startReplay(), {
      batchRecordsMax: 5000,
      batchBytesMax: 8_000_000,
      batchLingerMs: 1500,
      bufferRecordsMax: 5000,
    });
    const ingest = await startIngest({ config, kafkaConfig: kafkaSettings, kafka, log });
    const failure = await ingest.done.then(
      () => new Error("ingest ended without an error"),
      (error: unknown) => error as Error,
    );
    expect(failure.message).toContain("MESSAGE_TOO_LARGE");
    expect(ingest.durablePosition()).toBe(0);
    expect(ingest.position()).toBe(lines.length);
    expect(await ingest.stop(1000)).toBe(false);
  }, 60_000);
});
