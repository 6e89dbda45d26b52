/**
 * Helpers shared by the ingest integration tests: the recorded files as bytes, a consumer that
 * reads a topic back, and the exactly-once check.
 */
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import {
  type IngestConfig,
  ingestConfig,
  type KafkaConfig,
  kafkaConfig,
  pathsConfig,
} from "../../modules/config/mod.ts";
import { uniqueName } from "../../modules/testing/mod.ts";
import { expandPatterns } from "../replay/source.ts";

/** The recorded files, in replay order. */
export const RECORDED_FILES: string[] = expandPatterns([
  join(pathsConfig().rsvpDataDir, "*.jsonl"),
]);

/** Every non-empty line of the recorded files as the bytes on disk, in replay order. */
export function recordedLines(): Buffer[] {
  const lines: Buffer[] = [];
  for (const file of RECORDED_FILES) {
    const bytes = readFileSync(file);
    let start = 0;
    for (let at = bytes.indexOf(10); start < bytes.length; at = bytes.indexOf(10, start)) {
      const end = at === -1 ? bytes.length : at;
      const line = bytes.subarray(start, end);
      if (line.toString("utf8").trim() !== "") lines.push(line);
      start = end + 1;
    }
  }
  return lines;
}

/** Kafka settings with topics of their own, so parallel runs never collide. */
export function testKafkaConfig(prefix: string, brokers?: string[]): KafkaConfig {
  const base = kafkaConfig();
  const name = uniqueName(`test.ingest-${prefix}`);
  return {
    ...base,
    brokers: brokers ?? base.brokers,
    raw: { name: `${name}.raw`, partitions: 6 },
    dlq: { name: `${name}.dlq`, partitions: 1 },
    stats: { name: `${name}.stats`, partitions: 1 },
  };
}

/** Ingest settings for a test: fast reconnects, no periodic log line. */
export function testIngestConfig(
  streamUrl: string,
  overrides: Partial<IngestConfig> = {},
): IngestConfig {
  return {
    ...ingestConfig({}),
    streamUrl,
    reconnectMsMin: 50,
    reconnectMsMax: 500,
    logIntervalMs: 0,
    ...overrides,
  };
}

/** One consumed message. */
export interface Consumed {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Reads `topic` from the beginning until `count` messages arrived (or `timeoutMs` passed). */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Consumed[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("test-ingest-group") });
  const messages: Consumed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {}))
          headers[name] = String(value);
        messages.push({
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: message.value ?? Buffer.alloc(0),
          headers,
        });
        if (messages.length >= count) resolveAll();
      },
    });
    // Waiting a little past `count` would catch duplicates beyond it; the caller compares counts.
    await Promise.race([all, Bun.sleep(timeoutMs)]);
    await Bun.sleep(500);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Deletes the test's topics. */
export async function deleteTopics(kafka: Kafka, config: KafkaConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [config.raw.name, config.dlq.name, config.stats.name].filter((t) =>
      existing.has(t),
    );
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Asserts that the raw topic holds every valid line exactly once, byte for byte, keyed by
 * group_id, in source order within each partition, and that the dead-letter topic holds exactly
 * the invalid lines with their reasons.
 */
export function expectExactlyOnce(
  lines: readonly Buffer[],
  raw: readonly Consumed[],
  dlq: readonly Consumed[],
  invalid: ReadonlyMap<number, string>,
): void {
  const valid = lines.filter((_, index) => !invalid.has(index));
  expect(raw.length).toBe(valid.length);
  const groupOf = (line: Buffer) => String(JSON.parse(line.toString("utf8")).group.group_id);
  const partitionOfKey = new Map<string, number>();
  const byPartition = new Map<number, Consumed[]>();
  for (const message of [...raw].sort((a, b) => Number(a.offset) - Number(b.offset))) {
    expect(message.key).not.toBeNull();
    const seen = partitionOfKey.get(message.key as string);
    if (seen !== undefined) expect(message.partition).toBe(seen);
    partitionOfKey.set(message.key as string, message.partition);
    expect(message.headers.received_at).toMatch(/^\d{13}$/);
    byPartition.set(message.partition, [...(byPartition.get(message.partition) ?? []), message]);
  }
  for (const [partition, messages] of byPartition) {
    const expected = valid.filter((line) => partitionOfKey.get(groupOf(line)) === partition);
    expect(messages.length).toBe(expected.length);
    messages.forEach((message, i) => {
      // Byte-identical, in source order: a lost, repeated or re-encoded message breaks this.
      expect(Buffer.compare(message.value, expected[i] as Buffer)).toBe(0);
      expect(message.key).toBe(groupOf(expected[i] as Buffer));
    });
  }
  expect(dlq.length).toBe(invalid.size);
  const invalidLines = [...invalid.keys()].map((index) => lines[index] as Buffer);
  dlq.forEach((message, i) => {
    expect(Buffer.compare(message.value, invalidLines[i] as Buffer)).toBe(0);
    expect(message.headers.reason).toBe([...invalid.values()][i] as string);
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/**
 * Polls `check` every 50 ms until it is true; throws naming `what` after `timeoutMs`, or at once
 * when `failed` (an ingest's `done`) settles first, so a fatal error is reported as itself.
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  failed?: Promise<unknown>,
): Promise<void> {
  let failure: unknown;
  failed?.then(
    () => {
      failure = new Error(`ingest stopped while waiting for ${what}`);
    },
    (error: unknown) => {
      failure = error;
    },
  );
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (failure !== undefined) throw failure;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}
