/**
 * Shared by the archive's integration tests and its benchmark (scripts/bench/archive.ts): test
 * data from the recorded RSVP files, producing it to a raw topic the way ingest does, running an
 * archiver in-process, and reading back both the topic and the lake to compare them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import { archiveConfig, awsConfig, pathsConfig } from "../../modules/config/mod.ts";
import {
  encodeRawLine,
  HOUR_MS,
  type ObjectStore,
  parseRawObjectName,
  rawKeyHour,
} from "../../modules/lake/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { parse } from "../../modules/rsvp/mod.ts";
import { uniqueName } from "../../modules/testing/mod.ts";
import { Archiver } from "./archiver.ts";
import { createSink } from "./create_sink.ts";
import { type ArchiveMetrics, archiveMetrics } from "./metrics.ts";

/** A raw-topic message as ingest produces it. */
export interface RawMessage {
  key: string;
  value: Buffer;
}

/**
 * Every complete line of the recorded files that `parse` accepts, as bytes, plus (when
 * `withPrettyPrinted`) one message pretty-printed over CRLF lines, which the archive must turn
 * into one line.
 */
export function recordedMessages(withPrettyPrinted = true): RawMessage[] {
  const dir = pathsConfig().rsvpDataDir;
  const messages: RawMessage[] = [];
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()) {
    const text = readFileSync(join(dir, file));
    let start = 0;
    for (let end = text.indexOf(0x0a); end !== -1; end = text.indexOf(0x0a, start)) {
      const value = text.subarray(start, end);
      start = end + 1;
      const result = parse(value);
      if (result.ok)
        messages.push({ key: String(result.rsvp.group.group_id), value: Buffer.from(value) });
    }
  }
  const first = messages[0];
  if (withPrettyPrinted && first !== undefined) {
    const pretty = JSON.stringify(JSON.parse(first.value.toString()), null, 2).replaceAll(
      "\n",
      "\r\n",
    );
    messages.push({ key: first.key, value: Buffer.from(pretty) });
  }
  return messages;
}

/**
 * Produces messages with `received_at` headers `startMs + i * stepMs` (so a run can cross an
 * hour boundary), in batches, acks from all replicas.
 */
export async function produceRaw(
  kafka: Kafka,
  topic: string,
  messages: readonly RawMessage[],
  timing: { startMs: number; stepMs: number; firstIndex?: number },
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const batchSize = 500;
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.slice(i, i + batchSize).map((message, j) => ({
          key: message.key,
          value: message.value,
          headers: {
            received_at: String(
              timing.startMs + ((timing.firstIndex ?? 0) + i + j) * timing.stepMs,
            ),
          },
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A message as read back from the topic. */
export interface TopicMessage {
  value: Buffer;
  /** The `received_at` header. */
  receivedAt: number;
}

/** Messages by partition, then offset. */
export type TopicContents = Map<number, Map<number, TopicMessage>>;

/** Consumer groups the helpers created, for {@linkcode deleteTestGroups}. */
const createdGroups = new Set<string>();

/** Deletes the consumer groups this process's archivers and readers used (all stopped). */
export async function deleteTestGroups(kafka: Kafka): Promise<void> {
  if (createdGroups.size === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([...createdGroups]);
    createdGroups.clear();
  } finally {
    await admin.disconnect();
  }
}

/** Every message of a topic, by partition then offset, read with a throwaway group. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
): Promise<TopicContents> {
  const groupId = uniqueName("test-archive-reader");
  createdGroups.add(groupId);
  const consumer = kafka.consumer({ groupId });
  const byPartition: TopicContents = new Map();
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${seen} of ${count} messages of ${topic}`)),
        60_000,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const offsets = byPartition.get(partition) ?? new Map<number, TopicMessage>();
          byPartition.set(partition, offsets);
          offsets.set(Number(message.offset), {
            value: message.value ?? Buffer.alloc(0),
            receivedAt: Number(message.headers?.received_at?.toString()),
          });
          if (++seen === count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return byPartition;
}

/** Every object under `raw/` in a store, with its bytes. */
export async function readLake(store: ObjectStore): Promise<{ key: string; body: Buffer }[]> {
  const objects: { key: string; body: Buffer }[] = [];
  for await (const { key } of store.list("raw/")) {
    const body = await store.get(key);
    if (body !== undefined) objects.push({ key, body: Buffer.from(body) });
  }
  return objects;
}

/** An object's lines, each with its `\n`; throws on a last line without one. */
export function linesOf(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = body.indexOf(0x0a); end !== -1; end = body.indexOf(0x0a, start)) {
    lines.push(body.subarray(start, end + 1));
    start = end + 1;
  }
  if (start !== body.length)
    throw new Error(`object ends without a newline: ${body.subarray(start, start + 40)}`);
  return lines;
}

/**
 * Checks that the lake holds every topic message exactly once, byte for byte as
 * `encodeRawLine` makes it: each named object holds exactly the messages of its offset range,
 * in offset order, and no offset is in two objects.
 *
 * @returns How many objects and messages were checked.
 */
export function expectExactlyOnce(
  objects: { key: string; body: Buffer }[],
  topic: string,
  byPartition: TopicContents,
): { objects: number; messages: number } {
  const seen = new Set<string>();
  let messages = 0;
  for (const { key, body } of objects) {
    const range = parseRawObjectName(key);
    if (range === undefined || range.topic !== topic) throw new Error(`unexpected object ${key}`);
    const offsets = byPartition.get(range.partition) ?? new Map<number, TopicMessage>();
    const expected: Buffer[] = [];
    for (let offset = range.firstOffset; offset <= range.lastOffset; offset++) {
      const message = offsets.get(offset);
      if (message === undefined)
        throw new Error(`${key} covers offset ${offset}, which the topic lacks`);
      if (rawKeyHour(key) !== Math.floor(message.receivedAt / HOUR_MS) * HOUR_MS) {
        throw new Error(
          `${key} holds offset ${offset}, received at ${message.receivedAt}: another hour`,
        );
      }
      const id = `${range.partition}:${offset}`;
      if (seen.has(id)) throw new Error(`offset ${id} is in two objects (second: ${key})`);
      seen.add(id);
      expected.push(Buffer.from(encodeRawLine(message.value)));
    }
    const lines = linesOf(body);
    if (
      Buffer.compare(Buffer.concat(lines), Buffer.concat(expected)) !== 0 ||
      lines.length !== expected.length
    ) {
      throw new Error(`${key} does not hold its range's messages byte for byte, in order`);
    }
    messages += lines.length;
  }
  const total = [...byPartition.values()].reduce((sum, offsets) => sum + offsets.size, 0);
  if (seen.size !== total) throw new Error(`the lake holds ${seen.size} of ${total} messages`);
  return { objects: objects.length, messages };
}

/** Polls `check` every 100 ms until it returns true; throws after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/**
 * Starts an archiver in this process with `env` over the process environment (as main.ts
 * would read it), logging warnings and errors only.
 */
export async function startArchiver(
  kafka: Kafka,
  topic: string,
  env: Record<string, string>,
): Promise<{ archiver: Archiver; metrics: ArchiveMetrics }> {
  const merged = { ...process.env, ...env };
  const config = archiveConfig(merged);
  createdGroups.add(config.groupId);
  const metrics = archiveMetrics();
  const log = createLogger("archive-test", { level: "warn" });
  const lakeDir = pathsConfig(merged).lakeDir;
  const sink = await createSink({ config, lakeDir, aws: awsConfig(merged), metrics, log });
  const archiver = new Archiver({ kafka, topic, config, sink, metrics, log });
  await archiver.start();
  return { archiver, metrics };
}
