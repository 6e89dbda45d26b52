#!/usr/bin/env bun
/**
 * Benchmark: synthetic RSVPs from a pre-written file through apps/replay (max rate, original
 * bytes) -> apps/ingest -> Kafka, then Kafka's own producer-perf-test with the same record
 * size and count on the same broker, as the machine's ceiling. Prints one JSON line per run
 * and the medians; the figures go to docs/benchmarks.md by hand.
 *
 *   bun scripts/bench/ingest.ts [--records 1000000] [--runs 1]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startIngest } from "../../apps/ingest/ingest.ts";
import { ingestMetrics } from "../../apps/ingest/metrics.ts";
import {
  ingestConfig,
  type KafkaConfig,
  kafkaConfig,
  PROJECT_ROOT,
  servicesConfig,
} from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { CLOCK_TICKS_PER_SECOND, cpuSeconds, freePort, syntheticFile } from "./_support.ts";

/** A run that has not finished by then is reported as failed rather than waited on. */
const RUN_TIMEOUT_MS = 10 * 60_000;
const bun = process.execPath;
const log = createLogger("bench-ingest", { level: "warn" });

interface RunResult {
  records: number;
  seconds: number;
  rsvpsPerSecond: number;
  mbPerSecond: number;
  latencyMsP50: number;
  latencyMsP99: number;
  peakRssMb: number;
  cpuCores: number;
  cpuMicrosPerRsvp: number;
  replayCores: number;
  brokerCores: number;
  machineBusyCores: number;
  backpressurePauses: number;
  kafkaToolRecordsPerSecond: number;
  kafkaToolMbPerSecond: number;
  kafkaToolLatencyMsP50: number;
  kafkaToolLatencyMsP99: number;
  load1: number;
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat. */
function machineSeconds(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1) ?? [];
  const ticks = cpu.map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
}

function brokerPid(): number | undefined {
  const file = join(servicesConfig().runDir, "kafka.pid");
  return existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined;
}

async function startReplay(
  file: string,
): Promise<{ url: string; pid: number | undefined; stop: () => void }> {
  const port = freePort();
  const child = spawn(bun, ["apps/replay/main.ts"], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      REPLAY_PORT: String(port),
      REPLAY_SOURCE: file,
      REPLAY_RATE: "max",
      REPLAY_KEEP_TIME: "1",
      REPLAY_LOOP: "0",
      LOG_LEVEL: "warn",
    },
  });
  // Loading a large file takes a while; /healthz answers once it is served.
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) {
      return {
        url: `ws://127.0.0.1:${port}/2/rsvps`,
        pid: child.pid,
        stop: () => child.kill("SIGKILL"),
      };
    }
    await Bun.sleep(250);
  }
  child.kill("SIGKILL");
  throw new Error("replay did not start within 180 s");
}

async function ingestRun(file: string, records: number, settings: KafkaConfig) {
  const replay = await startReplay(file);
  const metrics = ingestMetrics(undefined, records);
  const kafka = createKafka(settings, { clientSuffix: "bench", logger: log });
  const config = { ...ingestConfig(), streamUrl: replay.url, logIntervalMs: 0 };
  const ingest = await startIngest({ config, kafkaConfig: settings, kafka, log, metrics });
  // Measured from the first connection (startIngest has just opened it) to the last ack.
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  const before = {
    replay: cpuSeconds(replay.pid),
    broker: cpuSeconds(brokerPid()),
    machine: machineSeconds(),
  };
  let peakRss = process.memoryUsage.rss();
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (ingest.durablePosition() < records) {
    if (Date.now() > deadline) throw new Error(`run timed out at ${ingest.durablePosition()}`);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    await Bun.sleep(100);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const machine = machineSeconds();
  const replayCores = (cpuSeconds(replay.pid) - before.replay) / seconds;
  const brokerCores = (cpuSeconds(brokerPid()) - before.broker) / seconds;
  const machineBusyCores = (machine.busy - before.machine.busy) / seconds;
  await ingest.stop(30_000);
  replay.stop();
  ingest.snapshot(); // copies the per-message counters into the registry
  const bytes = metrics.receivedBytes.get();
  return {
    records,
    seconds: round(seconds),
    rsvpsPerSecond: Math.round(records / seconds),
    mbPerSecond: round(bytes / 1e6 / seconds),
    latencyMsP50: round(metrics.produceLatency.quantile(0.5)),
    latencyMsP99: round(metrics.produceLatency.quantile(0.99)),
    peakRssMb: Math.round(peakRss / 1e6),
    cpuCores: round((cpu.user + cpu.system) / 1e6 / seconds),
    // CPU per RSVP depends less on what else the shared machine runs than throughput does.
    cpuMicrosPerRsvp: round((cpu.user + cpu.system) / records),
    replayCores: round(replayCores),
    brokerCores: round(brokerCores),
    machineBusyCores: round(machineBusyCores),
    backpressurePauses: metrics.backpressurePauses.get(),
  };
}

function kafkaToolRun(topic: string, records: number, recordBytes: number, brokers: string[]) {
  const libs = join(servicesConfig().kafka.libsDir, "*");
  const args = [
    "-cp",
    libs,
    "org.apache.kafka.tools.ProducerPerformance",
    ...["--topic", topic, "--num-records", String(records), "--record-size", String(recordBytes)],
    ...["--throughput", "-1", "--producer-props", `bootstrap.servers=${brokers.join(",")}`],
    "acks=all",
  ];
  const result = spawnSync("java", args, { encoding: "utf8", timeout: RUN_TIMEOUT_MS });
  // The last line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max
  // latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th."
  const summary = result.stdout.trim().split("\n").at(-1) ?? "";
  const match =
    /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?(\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(
      summary,
    );
  if (result.status !== 0 || match === null) {
    throw new Error(`kafka-producer-perf-test failed: ${result.stderr || summary}`);
  }
  return {
    kafkaToolRecordsPerSecond: Math.round(Number(match[1])),
    kafkaToolMbPerSecond: Number(match[2]),
    kafkaToolLatencyMsP50: Number(match[3]),
    kafkaToolLatencyMsP99: Number(match[4]),
  };
}

async function deleteTopics(settings: KafkaConfig, topics: string[]): Promise<void> {
  const admin = createKafka(settings, { clientSuffix: "bench", logger: log }).admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const mine = topics.filter((topic) => existing.has(topic));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
}

async function oneRun(file: string, records: number, recordBytes: number): Promise<RunResult> {
  const prefix = uniqueName("bench.ingest");
  const base = kafkaConfig();
  const settings: KafkaConfig = {
    ...base,
    raw: { ...base.raw, name: `${prefix}.raw` },
    dlq: { ...base.dlq, name: `${prefix}.dlq` },
    stats: { ...base.stats, name: `${prefix}.stats` },
  };
  const toolTopic = `${prefix}.perf`;
  const load1 = round(loadavg()[0] ?? 0);
  try {
    const ingest = await ingestRun(file, records, settings);
    await createTopic(settings, toolTopic, base.raw.partitions);
    const tool = kafkaToolRun(toolTopic, records, recordBytes, base.brokers);
    return { ...ingest, ...tool, load1 };
  } finally {
    await deleteTopics(settings, [
      settings.raw.name,
      settings.dlq.name,
      settings.stats.name,
      toolTopic,
    ]);
  }
}

async function createTopic(settings: KafkaConfig, name: string, partitions: number) {
  const admin = createKafka(settings, { clientSuffix: "bench", logger: log }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: name, numPartitions: partitions, replicationFactor: settings.replicationFactor },
    ],
  });
  await admin.disconnect();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { records: { type: "string" }, runs: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log("Usage: bun scripts/bench/ingest.ts [--records 1000000] [--runs 1]");
    return;
  }
  const records = Number(values.records ?? 1_000_000);
  const runs = Number(values.runs ?? 1);
  servicesUp("kafka");
  const file = syntheticFile(records);
  // The tool sends fixed-size records; use the file's mean record size (newlines excluded).
  const recordBytes = Math.round(statSync(file).size / records - 1);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await oneRun(file, records, recordBytes);
    results.push(result);
    console.log(JSON.stringify({ run, recordBytes, ...result }));
  }
  const keys = Object.keys(results[0] ?? {}) as (keyof RunResult)[];
  const medians = Object.fromEntries(keys.map((key) => [key, median(results.map((r) => r[key]))]));
  console.log(JSON.stringify({ runs, recordBytes, median: medians }));
  const ratio = round((medians.rsvpsPerSecond ?? 0) / (medians.kafkaToolRecordsPerSecond || 1));
  console.log(
    `ingest ${medians.rsvpsPerSecond} RSVPs/s (${medians.mbPerSecond} MB/s), p50 ${medians.latencyMsP50} ms, p99 ${medians.latencyMsP99} ms, peak RSS ${medians.peakRssMb} MB; kafka-producer-perf-test ${medians.kafkaToolRecordsPerSecond} records/s; ratio ${ratio}`,
  );
  process.exit(0);
}

await main();
