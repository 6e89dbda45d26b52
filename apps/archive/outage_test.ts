/**
 * The S3 endpoint down for a while: the archiver retries, its lag grows, nothing is lost, and
 * it catches up. The endpoint is a second moto server of this test's own (the shared one on
 * its usual port is never stopped), started and stopped through scripts/services.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import { kafkaConfig, PROJECT_ROOT } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { S3ObjectStore } from "../../modules/lake/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import {
  deleteTestGroups,
  eventually,
  expectExactlyOnce,
  produceRaw,
  readLake,
  readTopic,
  recordedMessages,
  startArchiver,
} from "./test_support.ts";

const START_MS = Date.UTC(2017, 2, 19, 12, 58);
const messages = recordedMessages();
const half = Math.floor(messages.length / 2);
const dataDir = mkdtempSync(join(tmpdir(), "archive-outage-"));
const bucket = uniqueName("archive-outage").toLowerCase();
let motoPort: number;
let kafka: Kafka;
let topic: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** `up` or `down` for this test's own moto only (its port and data dir). */
function moto(command: "up" | "down"): void {
  const result = spawnSync(process.execPath, ["scripts/services.ts", command, "moto"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, MOTO_PORT: String(motoPort), MEETUP_DATA_DIR: dataDir },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`moto ${command}: ${result.stderr || result.stdout}`);
}

function store(): S3ObjectStore {
  const endpoint = `http://127.0.0.1:${motoPort}`;
  return new S3ObjectStore({ bucket, prefix: "outage", aws: { region: "us-east-1", endpoint } });
}

beforeAll(async () => {
  servicesUp("kafka");
  process.env.AWS_ACCESS_KEY_ID ??= "test";
  process.env.AWS_SECRET_ACCESS_KEY ??= "test";
  motoPort = await freePort();
  moto("up");
  await store().client.send(new CreateBucketCommand({ Bucket: bucket }));
  kafka = createKafka(kafkaConfig(), { clientSuffix: "archive-outage-test" });
  topic = uniqueName("test.archive-outage");
  await ensureTopics(kafka, [{ name: topic, partitions: 3 }], 1);
}, 120_000);

afterAll(async () => {
  moto("down");
  rmSync(dataDir, { recursive: true, force: true });
  await deleteTestGroups(kafka);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});

test("s3 down for a while: retries, lag grows, nothing lost, catches up", async () => {
  const { archiver, metrics } = await startArchiver(kafka, topic, {
    ARCHIVE_SINK: "s3",
    S3_BUCKET: bucket,
    S3_PREFIX: "outage",
    ARCHIVE_GROUP: uniqueName("test-archive-outage"),
    ARCHIVE_FLUSH_BYTES: String(64 * 1024),
    ARCHIVE_FLUSH_SECONDS: "1",
    ARCHIVE_STATS_SECONDS: "1",
    ARCHIVE_RETRY_DELAY_MS: "100",
    ARCHIVE_RETRY_DELAY_MAX_MS: "1000",
    ARCHIVE_REQUEST_TIMEOUT_MS: "3000",
    AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
    AWS_REGION: "us-east-1",
  });
  try {
    await produceRaw(kafka, topic, messages.slice(0, half), { startMs: START_MS, stepMs: 100 });
    await eventually(
      "the first half durable, lag 0",
      () => metrics.records.get() === half && metrics.lag.get() === 0,
    );
    // moto keeps objects in memory only: keep what it holds before stopping it.
    const before = await readLake(store());
    moto("down");
    await produceRaw(kafka, topic, messages.slice(half), {
      startMs: START_MS,
      stepMs: 100,
      firstIndex: half,
    });
    // The lag grows from 0 to the whole second half, which cannot be written while S3 is down.
    await eventually(
      "retries while down, and the lag of the second half",
      () =>
        metrics.retries.get({ operation: "put" }) >= 3 &&
        metrics.lag.get() === messages.length - half,
    );
    expect(metrics.records.get()).toBe(half);
    moto("up");
    await store().client.send(new CreateBucketCommand({ Bucket: bucket }));
    await eventually(
      "caught up",
      () => metrics.records.get() === messages.length && metrics.lag.get() === 0,
    );
    const after = await readLake(store());
    const contents = await readTopic(kafka, topic, messages.length);
    expect(expectExactlyOnce([...before, ...after], topic, contents).messages).toBe(
      messages.length,
    );
  } finally {
    await archiver.stop();
  }
}, 150_000);
