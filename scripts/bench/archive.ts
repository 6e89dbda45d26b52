#!/usr/bin/env bun
/**
 * Benchmark: the archive draining a raw topic into the local lake (fsync on, as in production)
 * and into S3 (the moto server on loopback), with the default 1 MiB chunks. The topic holds the
 * recorded RSVPs repeated to `--records`; each run uses a new consumer group and an empty lake.
 * A run is timed from start (joining the group included) to the moment every record is durable;
 * the last partial chunks are flushed by stop() as soon as everything is read, so no flush timer
 * is waited on. Prints one JSON line per run and the medians; figures go to docs/benchmarks.md.
 *
 *   bun scripts/bench/archive.ts [--records 50000] [--runs 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import {
  deleteTestGroups,
  produceRaw,
  recordedMessages,
  startArchiver,
} from "../../apps/archive/test_support.ts";
import { kafkaConfig, servicesConfig } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { encodeRawLine, type ObjectStore, S3ObjectStore } from "../../modules/lake/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";

/** A run that has not finished by then fails rather than hangs. */
const RUN_TIMEOUT_MS = 5 * 60_000;
const PARTITIONS = 6;

interface RunResult {
  sink: string;
  records: number;
  megabytes: number;
  seconds: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  objects: number;
  cpuSeconds: number;
  load1: number;
}

async function runOnce(
  kafka: Kafka,
  topic: string,
  sink: "local" | "s3",
  env: Record<string, string>,
  totals: { records: number; bytes: number },
): Promise<RunResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { archiver, metrics } = await startArchiver(kafka, topic, {
    ...env,
    ARCHIVE_SINK: sink,
    ARCHIVE_GROUP: uniqueName(`bench-archive-${sink}`),
    ARCHIVE_FLUSH_SECONDS: "900",
    ARCHIVE_STATS_SECONDS: "3600",
  });
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (metrics.buffered.get() + metrics.bytes.get() < totals.bytes) {
    if (Date.now() > deadline) throw new Error(`${sink}: run did not finish reading`);
    await Bun.sleep(10);
  }
  const stopped = archiver.stop();
  while (metrics.records.get() < totals.records) {
    if (Date.now() > deadline) throw new Error(`${sink}: run did not finish writing`);
    await Bun.sleep(5);
  }
  const seconds = (performance.now() - started) / 1000;
  await stopped;
  const cpu = process.cpuUsage(cpuBefore);
  const megabytes = totals.bytes / 1e6;
  return {
    sink,
    records: totals.records,
    megabytes: Number(megabytes.toFixed(1)),
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(totals.records / seconds),
    mbPerSecond: Number((megabytes / seconds).toFixed(1)),
    objects: metrics.objects.get(),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    load1: Number(loadavg()[0]?.toFixed(2)),
  };
}

async function empty(store: ObjectStore): Promise<void> {
  for await (const { key } of store.list("")) await store.delete(key);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: "string", default: "50000" },
      runs: { type: "string", default: "3" },
    },
  });
  const records = Number(values.records);
  const runs = Number(values.runs);
  servicesUp("kafka", "moto");
  process.env.AWS_ACCESS_KEY_ID ??= "test";
  process.env.AWS_SECRET_ACCESS_KEY ??= "test";
  const endpoint = `http://127.0.0.1:${servicesConfig().moto.port}`;
  const kafka = createKafka(kafkaConfig(), { clientSuffix: "bench-archive" });
  const topic = uniqueName("bench.archive");
  const bucket = uniqueName("bench-archive").toLowerCase();
  const lakeRoot = mkdtempSync(join(tmpdir(), "bench-archive-"));
  const s3 = new S3ObjectStore({ bucket, aws: { region: "us-east-1", endpoint } });
  const recorded = recordedMessages(false);
  const messages = Array.from({ length: records }, (_, i) => recorded[i % recorded.length]!);
  const totals = {
    records,
    bytes: messages.reduce((sum, { value }) => sum + encodeRawLine(value).byteLength, 0),
  };
  await ensureTopics(kafka, [{ name: topic, partitions: PARTITIONS }], 1);
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    await produceRaw(kafka, topic, messages, { startMs: Date.now(), stepMs: 1 });
    const results: RunResult[] = [];
    for (let run = 0; run < runs; run++) {
      const lakeDir = join(lakeRoot, `run${run}`);
      results.push(await runOnce(kafka, topic, "local", { LAKE_DIR: lakeDir }, totals));
      console.log(JSON.stringify(results.at(-1)));
      rmSync(lakeDir, { recursive: true, force: true });
      const s3Env = { S3_BUCKET: bucket, AWS_ENDPOINT_URL: endpoint, AWS_REGION: "us-east-1" };
      results.push(await runOnce(kafka, topic, "s3", s3Env, totals));
      console.log(JSON.stringify(results.at(-1)));
      await empty(s3);
    }
    for (const sink of ["local", "s3"]) {
      const mine = results.filter((result) => result.sink === sink);
      console.log(
        JSON.stringify({
          sink,
          runs: mine.length,
          records,
          medianRecordsPerSecond: median(mine.map((r) => r.recordsPerSecond)),
          medianMbPerSecond: median(mine.map((r) => r.mbPerSecond)),
          medianSeconds: median(mine.map((r) => r.seconds)),
          cores: cpus().length,
        }),
      );
    }
  } finally {
    await deleteTestGroups(kafka);
    await s3.client.send(new DeleteBucketCommand({ Bucket: bucket }));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    rmSync(lakeRoot, { recursive: true, force: true });
  }
}

await main();
