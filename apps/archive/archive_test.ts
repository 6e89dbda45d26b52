/**
 * The archive against real services: Kafka, and moto as S3 and Firehose over HTTP. Each test
 * archives the recorded RSVPs from its own topic, in its own group, into its own lake
 * directory, bucket prefix or delivery stream, and compares the result with the topic.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  FirehoseClient,
} from "@aws-sdk/client-firehose";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import { kafkaConfig, servicesConfig } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import {
  encodeRawLine,
  LocalObjectStore,
  rawKeyHour,
  rawObjectKey,
  S3ObjectStore,
} from "../../modules/lake/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import type { ArchiveMetrics } from "./metrics.ts";
import {
  deleteTestGroups,
  eventually,
  expectExactlyOnce,
  linesOf,
  produceRaw,
  readLake,
  readTopic,
  recordedMessages,
  startArchiver,
  type TopicContents,
} from "./test_support.ts";

const PARTITIONS = 3;
const TEST_TIMEOUT_MS = 90_000;
/** 12:58 UTC with 100 ms between messages: the run crosses into the 13:00 hour directory. */
const START_MS = Date.UTC(2017, 2, 19, 12, 58);
const messages = recordedMessages();
const tempRoot = mkdtempSync(join(tmpdir(), "archive-test-"));
const topics: string[] = [];
let kafka: Kafka;
let topic: string;
let contents: TopicContents;
let endpoint: string;
let bucket: string;

beforeAll(async () => {
  servicesUp("kafka", "moto");
  process.env.AWS_ACCESS_KEY_ID ??= "test";
  process.env.AWS_SECRET_ACCESS_KEY ??= "test";
  endpoint = `http://127.0.0.1:${servicesConfig().moto.port}`;
  kafka = createKafka(kafkaConfig(), { clientSuffix: "archive-test" });
  topic = await newTopic();
  await produceRaw(kafka, topic, messages, { startMs: START_MS, stepMs: 100 });
  contents = await readTopic(kafka, topic, messages.length);
  bucket = uniqueName("archive-test").toLowerCase();
  await s3Store("").client.send(new CreateBucketCommand({ Bucket: bucket }));
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  const store = s3Store("");
  for await (const { key } of store.list("")) await store.delete(key);
  await store.client.send(new DeleteBucketCommand({ Bucket: bucket }));
  await deleteTestGroups(kafka);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics });
  await admin.disconnect();
  rmSync(tempRoot, { recursive: true, force: true });
}, TEST_TIMEOUT_MS);

async function newTopic(): Promise<string> {
  const name = uniqueName("test.archive");
  await ensureTopics(kafka, [{ name, partitions: PARTITIONS }], 1);
  topics.push(name);
  return name;
}

function s3Store(prefix: string): S3ObjectStore {
  return new S3ObjectStore({ bucket, prefix, aws: { region: "us-east-1", endpoint } });
}

const fast = (name: string) => ({
  ARCHIVE_GROUP: uniqueName(`test-archive-${name}`),
  ARCHIVE_FLUSH_BYTES: String(64 * 1024),
  ARCHIVE_FLUSH_SECONDS: "1",
  ARCHIVE_STATS_SECONDS: "1",
  ARCHIVE_RETRY_DELAY_MS: "50",
  ARCHIVE_RETRY_DELAY_MAX_MS: "500",
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: "us-east-1",
});

/** Runs an archiver until `done` holds, then stops it (whatever happens). */
async function archiveUntil(
  env: Record<string, string>,
  what: string,
  done: (metrics: ArchiveMetrics) => boolean,
): Promise<ArchiveMetrics> {
  const { archiver, metrics } = await startArchiver(kafka, topic, env);
  try {
    await eventually(what, () => done(metrics));
  } finally {
    await archiver.stop();
  }
  return metrics;
}

const allDurable = (metrics: ArchiveMetrics) =>
  metrics.records.get() + metrics.recovered.get() === messages.length;

test(
  "local: every raw message is in the lake exactly once, byte for byte, by ingest hour",
  async () => {
    const lakeDir = join(tempRoot, "local");
    const env = { ...fast("local"), ARCHIVE_SINK: "local", LAKE_DIR: lakeDir };
    const metrics = await archiveUntil(
      env,
      "every message durable, lag 0",
      (m) => allDurable(m) && m.lag.get() === 0,
    );
    const objects = await readLake(new LocalObjectStore(lakeDir));
    expect(expectExactlyOnce(objects, topic, contents).messages).toBe(messages.length);
    expect(metrics.objects.get()).toBe(objects.length);
    const hours = new Set(objects.map(({ key }) => rawKeyHour(key)));
    expect([...hours].sort()).toEqual([START_MS - 58 * 60_000, START_MS + 2 * 60_000]);
    // The pretty-printed CRLF message is one line, its line breaks now spaces.
    const pretty = messages.at(-1)?.value ?? Buffer.alloc(0);
    expect(pretty.includes("\r\n")).toBe(true);
    const all = Buffer.concat(objects.map(({ body }) => body));
    expect(all.includes(encodeRawLine(pretty))).toBe(true);
  },
  TEST_TIMEOUT_MS,
);

test(
  "s3: every raw message is in the bucket exactly once, byte for byte, under S3_PREFIX",
  async () => {
    const env = { ...fast("s3"), ARCHIVE_SINK: "s3", S3_BUCKET: bucket, S3_PREFIX: "s3-test" };
    const metrics = await archiveUntil(env, "every message durable", allDurable);
    const objects = await readLake(s3Store("s3-test"));
    expect(expectExactlyOnce(objects, topic, contents).messages).toBe(messages.length);
    expect(metrics.objects.get()).toBe(objects.length);
  },
  TEST_TIMEOUT_MS,
);

test(
  "stop() writes what is buffered and commits it, however young",
  async () => {
    const lakeDir = join(tempRoot, "stop");
    const group = uniqueName("test-archive-stop");
    // Only a change of ingest hour seals a chunk early; the rest waits in memory for stop().
    const total = messages.reduce((sum, { value }) => sum + encodeRawLine(value).byteLength, 0);
    let bufferedMax = 0;
    await archiveUntil(
      {
        ...fast("stop"),
        ARCHIVE_GROUP: group,
        ARCHIVE_FLUSH_BYTES: String(64 * 1024 * 1024),
        ARCHIVE_FLUSH_SECONDS: "900",
        ARCHIVE_SINK: "local",
        LAKE_DIR: lakeDir,
      },
      "everything read",
      (m) => {
        bufferedMax = m.buffered.get();
        return m.buffered.get() + m.bytes.get() === total;
      },
    );
    expect(bufferedMax).toBeGreaterThan(total / 2);
    const objects = await readLake(new LocalObjectStore(lakeDir));
    expect(expectExactlyOnce(objects, topic, contents).messages).toBe(messages.length);
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const offsets = (pairs: [number, number][]) => pairs.sort((a, b) => a[0] - b[0]);
    expect(
      offsets((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)])),
    ).toEqual(offsets(ends.map((p) => [p.partition, Number(p.high)])));
  },
  TEST_TIMEOUT_MS,
);

test(
  "a restart skips offsets that objects already hold (written, but killed before the commit)",
  async () => {
    const lakeDir = join(tempRoot, "recover");
    const store = new LocalObjectStore(lakeDir);
    // What a killed run leaves: objects for partition 0's offsets 0-9 and 10-24, no commit.
    const partition0 = contents.get(0) ?? new Map();
    for (const [first, last] of [
      [0, 9],
      [10, 24],
    ] as const) {
      const lines = [];
      for (let offset = first; offset <= last; offset++) {
        lines.push(encodeRawLine(partition0.get(offset)?.value ?? Buffer.alloc(0)));
      }
      const hourMs = partition0.get(first)?.receivedAt ?? 0;
      const range = { topic, partition: 0, firstOffset: first, lastOffset: last };
      await store.put(rawObjectKey(range, hourMs), Buffer.concat(lines));
    }
    const env = { ...fast("recover"), ARCHIVE_SINK: "local", LAKE_DIR: lakeDir };
    const metrics = await archiveUntil(env, "every message durable", allDurable);
    expect(metrics.recovered.get()).toBe(25);
    expect(metrics.records.get()).toBe(messages.length - 25);
    const objects = await readLake(store);
    expect(expectExactlyOnce(objects, topic, contents).messages).toBe(messages.length);
  },
  TEST_TIMEOUT_MS,
);

test(
  "firehose: every raw message reaches the delivery stream's bucket at least once, one per line",
  async () => {
    const stream = uniqueName("test-archive-fh");
    const firehose = new FirehoseClient({ region: "us-east-1", endpoint });
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: stream,
        DeliveryStreamType: "DirectPut",
        ExtendedS3DestinationConfiguration: {
          RoleARN: "arn:aws:iam::123456789012:role/firehose-delivery",
          BucketARN: `arn:aws:s3:::${bucket}`,
          Prefix: "fh-test/raw/",
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        },
      }),
    );
    try {
      const env = { ...fast("firehose"), ARCHIVE_SINK: "firehose", FIREHOSE_STREAM: stream };
      await archiveUntil(env, "every message accepted", allDurable);
    } finally {
      await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: stream }));
    }
    const objects = await readLake(s3Store("fh-test"));
    expect(objects.length).toBeGreaterThan(0);
    for (const { key } of objects) expect(rawKeyHour(key)).toBeNumber();
    const count = (lines: Iterable<Buffer | Uint8Array>) => {
      const counts = new Map<string, number>();
      for (const line of lines) {
        const text = Buffer.from(line).toString("latin1");
        counts.set(text, (counts.get(text) ?? 0) + 1);
      }
      return counts;
    };
    const expected = count(
      [...contents.values()].flatMap((offsets) =>
        [...offsets.values()].map(({ value }) => encodeRawLine(value)),
      ),
    );
    const found = count(objects.flatMap(({ body }) => linesOf(body)));
    for (const line of found.keys()) expect(expected.has(line) ? "known" : line).toBe("known");
    for (const [line, n] of expected) expect(found.get(line) ?? 0).toBeGreaterThanOrEqual(n);
  },
  TEST_TIMEOUT_MS,
);
