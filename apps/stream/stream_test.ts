/**
 * apps/stream on the real Kafka broker: the recorded RSVPs produced to a fresh raw topic with
 * synthetic `received_at` headers, through the stream processor, against the offline
 * reference; three instances against one; a `kill -9` and restart against the reference.
 * Windows are scaled down (100 ms slots, 6 s windows) so the idle clock closes the last
 * windows within seconds.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import { type Env, kafkaConfig, PROJECT_ROOT, streamConfig } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { parseStats, type Stats } from "../../modules/stats/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { type ReferenceRecord, referenceFinals } from "./_reference.ts";
import {
  expectReference,
  finalsByEnd,
  recordedRecords,
  TEST_PARTITIONS,
  withoutRunFields,
} from "./_testing.ts";
import { type StreamProcessor, startStream } from "./processor.ts";

const SLOT_MS = 100;
const WINDOW_SLOTS = 60;
const OPTIONS = {
  slotMs: SLOT_MS,
  windowSlots: WINDOW_SLOTS,
  allowedLatenessMs: 200,
  geoPoints: 50,
};
const records = recordedRecords(4);
const expected = referenceFinals(records, OPTIONS);
const lastEnd = Math.max(...expected.keys());
const PREFIX = `test.stream-${process.pid}`;
const rawTopic = uniqueName(`${PREFIX}-raw`);
const restartRawTopic = uniqueName(`${PREFIX}-raw-restart`);
const log = createLogger("stream-test", { level: "warn" });
/** kafkajs logs every rebalance step as an error; the tests assert on results instead. */
const quiet = createLogger("stream-test-kafka", { write: () => {} });
let kafka: Kafka;
/** Consumer groups this run used, deleted at the end with the topics. */
const groups: string[] = [];

/** The environment of one stream deployment (its own group, partials and stats topics). */
function deployment(name: string, extra: Env = {}): Env {
  return {
    ...process.env,
    TOPIC_RAW: rawTopic,
    TOPIC_RAW_PARTITIONS: String(TEST_PARTITIONS),
    TOPIC_STATS: uniqueName(`${PREFIX}-${name}-stats`),
    TOPIC_STREAM_PARTIALS: uniqueName(`${PREFIX}-${name}-partials`),
    STREAM_GROUP: track(uniqueName(`test-stream-${name}`)),
    STREAM_SLOT_MS: String(SLOT_MS),
    STREAM_WINDOW_MS: String(SLOT_MS * WINDOW_SLOTS),
    STREAM_ALLOWED_LATENESS_MS: String(OPTIONS.allowedLatenessMs),
    STREAM_GEO_POINTS: String(OPTIONS.geoPoints),
    STREAM_IDLE_MS: "300",
    STREAM_EMIT_MS: "200",
    STREAM_SESSION_TIMEOUT_MS: "6000",
    STREAM_LOG_INTERVAL_MS: "0",
    ...extra,
  };
}

async function produce(batch: ReferenceRecord[], topic = rawTopic): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < batch.length; i += 500) {
    await producer.send({
      topic,
      acks: -1,
      messages: batch.slice(i, i + 500).map((r) => {
        const json = JSON.parse(r.text);
        return {
          partition: r.partition,
          key: String(json.group.group_id),
          value: Buffer.from(r.text),
          timestamp: String(r.receivedAt),
          headers: { received_at: String(r.receivedAt) },
        };
      }),
    });
  }
  await producer.disconnect();
}

/** Reads a stats topic from the start until a final ends at `untilEnd` (in slots). */
async function readFinals(
  env: Env,
  untilEnd: number,
  timeoutMs: number,
  snapshotsExpected = true,
): Promise<Stats[]> {
  const topic = env.TOPIC_STATS as string;
  // The stream may not have created it yet (a process still starting).
  await ensureTopics(kafka, [{ name: topic, partitions: 1 }], 1);
  const consumer = kafka.consumer({ groupId: track(uniqueName("test-stream-reader")) });
  const finals: Stats[] = [];
  let snapshots = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const result = parseStats(message.value ?? new Uint8Array());
      if (!result.ok) throw new Error(`invalid stats message: ${result.message}`);
      if (result.stats.kind === "final") finals.push(result.stats);
      else snapshots++;
    },
  });
  const deadline = Date.now() + timeoutMs;
  const reached = () => finals.some((f) => f.window.end / SLOT_MS >= untilEnd);
  while (!reached() && Date.now() < deadline) await Bun.sleep(100);
  await consumer.disconnect();
  if (!reached()) {
    const last = finals.at(-1)?.window.end;
    throw new Error(`no final reached slot ${untilEnd} in ${timeoutMs} ms (last ${last} ms)`);
  }
  // Live snapshots come too, in time; only a run read to its end must have shown them.
  if (snapshotsExpected) expect(snapshots).toBeGreaterThan(0);
  return finals;
}

async function startInProcess(env: Env): Promise<StreamProcessor> {
  const kafkaSettings = kafkaConfig(env);
  return startStream({
    kafka: createKafka(kafkaSettings, { clientSuffix: "stream-test", logger: quiet }),
    kafkaConfig: kafkaSettings,
    stream: streamConfig(env),
    log,
  });
}

beforeAll(async () => {
  servicesUp("kafka");
  kafka = createKafka(kafkaConfig(), { clientSuffix: "stream-test", logger: quiet });
  await ensureTopics(
    kafka,
    [rawTopic, restartRawTopic].map((name) => ({ name, partitions: TEST_PARTITIONS })),
    1,
  );
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((name) => name.startsWith(PREFIX));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  const all = [...groups, ...groups.map((group) => `${group}-merge`)];
  await admin.deleteGroups(all).catch(() => {}); // reader groups may not exist: ignore
  await admin.disconnect();
});

function track(group: string): string {
  groups.push(group);
  return group;
}

describe("apps/stream on Kafka", () => {
  let single: Map<number, Stats>;

  test("the recorded RSVPs give the offline reference's finals (stage one on the main thread)", async () => {
    await produce(records);
    const env = deployment("one", { STREAM_THREADS: "0" });
    const processor = await startInProcess(env);
    try {
      const finals = await readFinals(env, lastEnd, 60_000);
      expectReference(finals, expected, SLOT_MS);
      single = finalsByEnd(finals, SLOT_MS);
    } finally {
      await processor.stop();
    }
  }, 90_000);

  test("three instances of two threads each in one group publish the same finals as one", async () => {
    const env = deployment("three", { STREAM_THREADS: "2" });
    const processors = await Promise.all([0, 1, 2].map(() => startInProcess(env)));
    try {
      // Six members joining one group rebalance a few times; on a loaded machine (another
      // suite or a benchmark beside this one) that has taken over 60 s once.
      const finals = finalsByEnd(await readFinals(env, lastEnd, 110_000), SLOT_MS);
      const owned = processors.flatMap((p) => p.partitions()).sort((a, b) => a - b);
      expect(owned).toEqual([0, 1, 2, 3, 4, 5]);
      // Six members (three instances, two threads each) share six partitions, and the
      // threads' counters reach their instance's.
      expect(processors.map((p) => p.partitions().length)).toEqual([2, 2, 2]);
      for (const p of processors) expect(p.counters().records).toBeGreaterThan(0);
      expect(processors.filter((p) => p.merging()).length).toBe(1);
      for (const end of expected.keys()) {
        expect(withoutRunFields(finals.get(end) as Stats)).toEqual(
          withoutRunFields(single.get(end) as Stats),
        );
      }
    } finally {
      await Promise.all(processors.map((p) => p.stop()));
    }
  }, 150_000);

  test("kill -9 and restart publish the same finals as an uninterrupted run", async () => {
    // A fresh raw topic: the first half is there before the first run, the second half
    // arrives while the process is dead.
    const env = deployment("restart", { TOPIC_RAW: restartRawTopic });
    const half = Math.floor(records.length / 2);
    await produce(records.slice(0, half), env.TOPIC_RAW);
    const dir = mkdtempSync(join(tmpdir(), "stream-test-"));
    // No idle clock in the first run, so nothing depends on how long it waits to be killed.
    const first = spawnStream({ ...env, STREAM_IDLE_MS: "600000" }, join(dir, "first.log"));
    const halfEnd = Math.floor((records[half - 1] as ReferenceRecord).receivedAt / SLOT_MS) - 5;
    try {
      await readFinals(env, halfEnd, 60_000, false);
    } finally {
      first.kill(9);
      await first.exited;
    }
    await produce(records.slice(half), env.TOPIC_RAW);
    const second = spawnStream(env, join(dir, "second.log"));
    try {
      expectReference(await readFinals(env, lastEnd, 90_000), expected, SLOT_MS);
      // The restart really resumed from checkpoints: workers re-read part of their window
      // and the merger restored its running totals.
      const lines = readFileSync(join(dir, "second.log"), "utf8")
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line));
      const opened = lines.filter((l) => l.msg === "partition opened");
      expect(opened.filter((l) => l.replayUntil > l.offset).length).toBeGreaterThan(0);
      const merge = lines.find((l) => l.msg === "merge stage opened");
      expect(merge?.closedEnd).toBeGreaterThan(0);
      expect(merge?.replayUntil).toBeGreaterThan(merge?.offset);
    } catch (error) {
      console.error(readFileSync(join(dir, "second.log"), "utf8").slice(-4000));
      throw error;
    } finally {
      second.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
  }, 150_000);
});

function spawnStream(env: Env, logPath: string) {
  return Bun.spawn([process.execPath, join(PROJECT_ROOT, "apps/stream/main.ts")], {
    cwd: PROJECT_ROOT,
    env: env as Record<string, string>,
    stdout: "ignore",
    stderr: openSync(logPath, "w"),
  });
}
