#!/usr/bin/env bun
import { createReadStream } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { Kafka, Message } from "kafkajs";
import { type Env, kafkaConfig, PROJECT_ROOT, streamConfig } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { parseStats, type Stats } from "../../modules/stats/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { cpuWatch, syntheticFile } from "./_support.ts";

const PARTITIONS = 6;
/** A run that has not finished by then is reported as failed rather than waited on. */
const RUN_TIMEOUT_MS = 8 * 60_000;
/** Records per produce call while loading the topic. */
const PRODUCE_BATCH_RECORDS = 2000;
/** Produce calls in flight while loading the topic. */
const PRODUCE_CALLS_IN_FLIGHT = 4;
const bun = process.execPath;
const quiet = createLogger("bench-stream-kafka", { write: () => {} });

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    instances: { type: "string", default: "1,3" },
    // received_at spacing of the loaded records, in RSVPs per second of ingest time: 50,000
    // (what ingest at its target rate writes) and 1,000 (a backlog of real-time traffic, so a
    // million records close 1,000 one-second windows).
    "ingest-rates": { type: "string", default: "50000,1000" },
    "latency-seconds": { type: "string", default: "20" },
    emit: { type: "string", default: "1000,100" },
    "skip-throughput": { type: "boolean", default: false },
    "skip-latency": { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
  },
});

const GROUP_ID = /"group_id":(\d+)/;

/** A raw message as ingest writes it: key group_id, the bytes, `received_at`. */
function rawMessage(line: string, receivedAt: number): Message & { partition: number } {
  const groupId = Number(GROUP_ID.exec(line)?.[1] ?? 0);
  return {
    partition: groupId % PARTITIONS,
    key: String(groupId),
    value: Buffer.from(line),
    timestamp: String(receivedAt),
    headers: { received_at: String(receivedAt) },
  };
}

/**
 * Loads the first `records` lines of the file into the topic, `received_at` at `ingestRate`
 * RSVPs per second, ending now.
 */
async function load(
  kafka: Kafka,
  topic: string,
  file: string,
  records: number,
  ingestRate: number,
): Promise<number> {
  const producer = kafka.producer({
    idempotent: false,
    maxInFlightRequests: PRODUCE_CALLS_IN_FLIGHT,
  });
  await producer.connect();
  const started = performance.now();
  const base = Date.now() - Math.ceil((records * 1000) / ingestRate);
  let batch: Message[] = [];
  let count = 0;
  const inFlight = new Set<Promise<unknown>>();
  const send = async () => {
    const messages = batch;
    batch = [];
    const call = producer.send({ topic, acks: 1, messages });
    inFlight.add(call);
    call.finally(() => inFlight.delete(call));
    if (inFlight.size >= PRODUCE_CALLS_IN_FLIGHT) await Promise.race(inFlight);
  };
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (line === "") continue;
    batch.push(rawMessage(line, base + Math.floor((count * 1000) / ingestRate)));
    if (++count === records) break;
    if (batch.length === PRODUCE_BATCH_RECORDS) await send();
  }
  if (batch.length > 0) await send();
  await Promise.all(inFlight);
  await producer.disconnect();
  return count / ((performance.now() - started) / 1000);
}

/** The environment of one stream deployment on `rawTopic`. */
function deployment(rawTopic: string, emitMs: number): Env {
  return {
    ...process.env,
    TOPIC_RAW: rawTopic,
    TOPIC_STATS: uniqueName("bench.stream-stats"),
    TOPIC_STREAM_PARTIALS: uniqueName("bench.stream-partials"),
    STREAM_GROUP: uniqueName("bench-stream"),
    STREAM_EMIT_MS: String(emitMs),
    STREAM_LOG_INTERVAL_MS: "0",
    STREAM_SESSION_TIMEOUT_MS: "10000",
  };
}

function spawnStream(env: Env) {
  // BENCH_BUN_ARGS: extra flags for the stream processes, e.g. "--cpu-prof-md --cpu-prof-dir=/tmp/p".
  const extra = (process.env.BENCH_BUN_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  return Bun.spawn([bun, ...extra, join(PROJECT_ROOT, "apps/stream/main.ts")], {
    cwd: PROJECT_ROOT,
    env: env as Record<string, string>,
    stdout: "ignore",
    stderr: "ignore",
  });
}

/** Calls `onStats` with every message of the stats topic and the wall time it arrived. */
async function readStats(kafka: Kafka, topic: string, onStats: (stats: Stats, at: number) => void) {
  await ensureTopics(kafka, [{ name: topic, partitions: 1 }], 1);
  const consumer = kafka.consumer({
    groupId: uniqueName("bench-stream-reader"),
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const at = Date.now();
      const result = parseStats(message.value ?? new Uint8Array());
      if (result.ok) onStats(result.stats, at);
    },
  });
  return consumer;
}

/** Reader groups of the current run, deleted with it. */
const readers: string[] = [];

const covered = (stats: Stats) => stats.progress.partitions.reduce((sum, p) => sum + p.offset, 0);

/**
 * The floor under the stream on the same topic: `_stream_floor.ts` reads it with as many
 * kafkajs consumer threads as the stream has, first only reading, then also decoding and
 * checking every record as stage one does; RSVPs/s and CPU per record (the process's).
 */
async function floor(rawTopic: string, records: number) {
  const threads = Math.max(1, streamConfig().threads);
  for (const parse of [false, true]) {
    const started = performance.now();
    const child = Bun.spawn(
      [
        bun,
        join(PROJECT_ROOT, "scripts/bench/_stream_floor.ts"),
        rawTopic,
        String(records),
        String(threads),
        ...(parse ? ["--parse"] : []),
      ],
      { cwd: PROJECT_ROOT, stdout: "pipe", stderr: "inherit" },
    );
    const watch = cpuWatch([child.pid]);
    const output = await new Response(child.stdout).text();
    const seconds = (performance.now() - started) / 1000;
    const cpu = watch.stop();
    await child.exited;
    const { read, rsvps } = JSON.parse(output) as { read: number; rsvps: number };
    console.log(
      JSON.stringify({
        bench: "stream-floor",
        step: parse ? "read + decode + JSON.parse + isRsvp" : "read",
        records: read,
        rsvps,
        threads,
        seconds,
        rsvpsPerSecond: Math.round(read / seconds),
        cpuMicrosPerRsvp: Number(((cpu * 1e6) / read).toFixed(1)),
        load1: loadavg()[0],
      }),
    );
  }
}

async function throughput(kafka: Kafka, records: number, instances: number, ingestRate: number) {
  const file = syntheticFile(records);
  const rawTopic = uniqueName("bench.stream-raw");
  await ensureTopics(kafka, [{ name: rawTopic, partitions: PARTITIONS }], 1);
  const produceRate = await load(kafka, rawTopic, file, records, ingestRate);
  if (values.floor) await floor(rawTopic, records);
  const env = deployment(rawTopic, 1000);
  const started = Date.now();
  let at10 = 0;
  let at90 = 0;
  let done = 0;
  const consumer = await readStats(kafka, env.TOPIC_STATS as string, (stats, at) => {
    const n = covered(stats);
    if (at10 === 0 && n >= records * 0.1) at10 = at;
    if (at90 === 0 && n >= records * 0.9) at90 = at;
    if (done === 0 && n >= records) done = at;
  });
  const processes = Array.from({ length: instances }, () => spawnStream(env));
  // CPU of the stream processes (every thread) until the last record is covered.
  const watch = cpuWatch(processes.map((child) => child.pid));
  let cpu = 0;
  try {
    while (done === 0 && Date.now() - started < RUN_TIMEOUT_MS) await Bun.sleep(200);
  } finally {
    cpu = watch.stop();
    for (const child of processes) child.kill("SIGTERM");
    await Promise.all(processes.map((child) => child.exited));
  }
  await consumer.disconnect();
  await cleanUp(kafka, env, rawTopic);
  const seconds = (done - started) / 1000;
  console.log(
    JSON.stringify({
      bench: "stream-throughput",
      records,
      instances,
      ingestRate,
      finished: done !== 0,
      seconds,
      rsvpsPerSecond: Math.round(records / seconds),
      rsvpsPerSecond10to90: Math.round((records * 0.8) / ((at90 - at10) / 1000)),
      cpuMicrosPerRsvp: Number(((cpu * 1e6) / records).toFixed(1)),
      produceRsvpsPerSecond: Math.round(produceRate),
      target: 100_000,
      load1: loadavg()[0],
      cores: cpus().length,
    }),
  );
}

async function latency(kafka: Kafka, emitMs: number, seconds: number) {
  const rawTopic = uniqueName("bench.stream-raw");
  await ensureTopics(kafka, [{ name: rawTopic, partitions: PARTITIONS }], 1);
  const env = deployment(rawTopic, emitMs);
  const receivedAt: number[][] = Array.from({ length: PARTITIONS }, () => []);
  const reached = new Array(PARTITIONS).fill(0);
  const samples: number[] = [];
  let measuring = false;
  const consumer = await readStats(kafka, env.TOPIC_STATS as string, (stats, at) => {
    for (const { partition, offset } of stats.progress.partitions) {
      const times = receivedAt[partition] ?? [];
      for (let o = reached[partition]; o < Math.min(offset, times.length); o++) {
        if (measuring) samples.push(at - (times[o] as number));
      }
      reached[partition] = Math.max(reached[partition], Math.min(offset, times.length));
    }
  });
  const child = spawnStream(env);
  try {
    await steadyLoad(kafka, rawTopic, seconds, receivedAt, (on) => {
      measuring = on;
    });
    await Bun.sleep(Math.max(2000, emitMs * 3));
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
  await consumer.disconnect();
  await cleanUp(kafka, env, rawTopic);
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  console.log(
    JSON.stringify({
      bench: "stream-latency",
      emitMs,
      rsvpsPerSecond: 1000,
      seconds,
      samples: samples.length,
      latencyMsP50: q(0.5),
      latencyMsP99: q(0.99),
      latencyMsMax: samples.at(-1),
      targetP99Ms: emitMs + 50,
      met: (q(0.99) ?? Number.POSITIVE_INFINITY) <= emitMs + 50,
      load1: loadavg()[0],
    }),
  );
}

/**
 * Sends 10 records every 10 ms (a steady 1,000 RSVPs/s), each stamped `received_at` = when it
 * is sent, recording every record's send time by partition and offset; measurement starts
 * after 10 s (start-up and group join).
 */
async function steadyLoad(
  kafka: Kafka,
  topic: string,
  seconds: number,
  receivedAt: number[][],
  measure: (on: boolean) => void,
): Promise<void> {
  const lines = await firstLines(syntheticFile(200_000), 200_000);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < (seconds + 10) * 1000) {
      measure(Date.now() - started > 10_000);
      const now = Date.now();
      const messages = Array.from({ length: 10 }, () =>
        rawMessage(lines[sent++ % lines.length] as string, now),
      );
      const results = await producer.send({ topic, acks: -1, messages });
      for (const { partition, baseOffset } of results) {
        const count = messages.filter((m) => m.partition === partition).length;
        const times = receivedAt[partition] as number[];
        for (let i = 0; i < count; i++) times[Number(baseOffset) + i] = now;
      }
      await Bun.sleep(Math.max(0, started + sent - Date.now()));
    }
  } finally {
    await producer.disconnect();
  }
}

async function firstLines(file: string, count: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (line !== "") out.push(line);
    if (out.length === count) break;
  }
  return out;
}

/** Deletes a run's topics and consumer groups (the readers' groups included). */
async function cleanUp(kafka: Kafka, env: Env, rawTopic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = [rawTopic, env.TOPIC_STATS as string, env.TOPIC_STREAM_PARTIALS as string];
  await admin.deleteTopics({ topics }).catch(() => {});
  const group = env.STREAM_GROUP as string;
  await admin.deleteGroups([group, `${group}-merge`, ...readers.splice(0)]).catch(() => {});
  await admin.disconnect();
}

servicesUp("kafka");
const kafka = createKafka(kafkaConfig(), { clientSuffix: "bench-stream", logger: quiet });
if (!values["skip-throughput"]) {
  for (const ingestRate of (values["ingest-rates"] as string).split(",").map(Number)) {
    if (!(ingestRate > 0)) throw new Error(`--ingest-rates: not a positive rate: ${ingestRate}`);
    for (const instances of (values.instances as string).split(",").map(Number)) {
      await throughput(kafka, Number(values.records), instances, ingestRate);
    }
  }
}
if (!values["skip-latency"]) {
  for (const emitMs of (values.emit as string).split(",").map(Number)) {
    await latency(kafka, emitMs, Number(values["latency-seconds"]));
  }
}
