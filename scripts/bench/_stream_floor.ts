#!/usr/bin/env bun
/**
 * The floor under the stream benchmark: what reading the raw topic costs before any windowing.
 * `threads` worker threads, each a kafkajs consumer in one group with the stream's fetch sizes
 * (as the stream's stage-one threads are), read `records` records; with `--parse` each record
 * is also decoded and checked as the stream does (`decodeUtf8`, `JSON.parse`, `isRsvp`).
 * Prints one JSON line when all are read; run by `scripts/bench/stream.ts --floor`.
 *
 *     bun scripts/bench/_stream_floor.ts <topic> <records> <threads> [--parse]
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { FETCH_BYTES_MAX, FETCH_BYTES_PER_PARTITION_MAX } from "../../apps/stream/splitter.ts";
import { kafkaConfig } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { decodeUtf8, isRsvp } from "../../modules/rsvp/mod.ts";
import { uniqueName } from "../../modules/testing/mod.ts";

interface Job {
  topic: string;
  group: string;
  parse: boolean;
}

async function consume({ topic, group, parse }: Job): Promise<void> {
  const quiet = createLogger("bench-stream-floor", { write: () => {} });
  const kafka = createKafka(kafkaConfig(), { clientSuffix: "bench-floor", logger: quiet });
  const consumer = kafka.consumer({
    groupId: group,
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: FETCH_BYTES_PER_PARTITION_MAX,
    maxBytes: FETCH_BYTES_MAX,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  parentPort?.on("message", () => void consumer.disconnect().then(() => process.exit(0)));
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      let rsvps = 0;
      for (const message of batch.messages) {
        if (!parse) continue;
        const text = decodeUtf8(message.value ?? new Uint8Array());
        if (text !== undefined && isRsvp(JSON.parse(text))) rsvps++;
      }
      parentPort?.postMessage({ read: batch.messages.length, rsvps });
    },
  });
}

if (isMainThread) {
  const [topic, records, threads] = [
    process.argv[2],
    Number(process.argv[3]),
    Number(process.argv[4]),
  ];
  if (topic === undefined || !(records > 0) || !(threads > 0)) {
    console.error("usage: _stream_floor.ts <topic> <records> <threads> [--parse]");
    process.exit(2);
  }
  const job: Job = {
    topic,
    group: uniqueName("bench-floor"),
    parse: process.argv.includes("--parse"),
  };
  const workers = Array.from(
    { length: threads },
    () => new Worker(import.meta.filename, { workerData: job }),
  );
  let read = 0;
  let rsvps = 0;
  await new Promise<void>((resolve) => {
    for (const worker of workers) {
      worker.on("message", (m: { read: number; rsvps: number }) => {
        read += m.read;
        rsvps += m.rsvps;
        if (read >= records) resolve();
      });
    }
  });
  console.log(JSON.stringify({ read, rsvps }));
  for (const worker of workers) worker.postMessage("stop");
  await Bun.sleep(500);
  process.exit(0);
} else {
  await consume(workerData as Job);
}
