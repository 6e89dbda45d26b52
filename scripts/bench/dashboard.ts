#!/usr/bin/env bun
/**
 * Benchmark: the dashboard (apps/dashboard/main.ts, its own process) consuming a stats topic fed
 * at 10 messages/s on the real Kafka broker, fanned out over SSE to 1,000 concurrent clients on
 * loopback. Measures the dashboard's added latency (its receipt of a stats message -> each
 * client's receipt of the update) p50/p99, the server's RSS idle and with 1,000 clients, and,
 * in headless Chromium, the time from navigation to the first live point in the uPlot chart.
 * Prints one JSON line; the figures go to docs/benchmarks.md by hand.
 *
 *   bun scripts/bench/dashboard.ts [--clients 1000] [--rate 10] [--seconds 30] [--page-loads 5]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { SseParser } from "../../apps/dashboard/_sse_client.ts";
import { statsFixture } from "../../apps/dashboard/_stats_fixture.ts";
import { kafkaConfig, PROJECT_ROOT } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { SampleRing } from "../../modules/metrics/mod.ts";
import { encodeStats } from "../../modules/stats/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";

// Bun's fetch allows 256 connections at once by default; the bench needs one per client.
process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ??= "4096";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "1000" },
    rate: { type: "string", default: "10" },
    seconds: { type: "string", default: "30" },
    "page-loads": { type: "string", default: "5" },
  },
});
const CLIENTS = Number(values.clients);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const PAGE_LOADS = Number(values["page-loads"]);
const log = createLogger("bench-dashboard", { level: "warn" });
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
];

function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

/** One SSE client that records, per update, now - the dashboard's receipt time. */
async function sseClient(url: string, latencies: SampleRing, signal: AbortSignal): Promise<number> {
  const response = await fetch(url, { signal, headers: { accept: "text/event-stream" } });
  const reader = response.body!.getReader();
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let updates = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return updates;
      const now = Date.now();
      for (const message of parser.push(decoder.decode(value, { stream: true }))) {
        if (message.event !== "update") continue;
        // Only the one number is needed: no JSON.parse of every update in the client process.
        const receivedAt = Number(/"receivedAt":(\d+)/.exec(message.data)?.[1]);
        latencies.add(now - receivedAt);
        updates++;
      }
    }
  } catch {
    return updates;
  }
}

async function pageLoads(url: string): Promise<number[]> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < PAGE_LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      await page.goto(url);
      // performance.now() counts from the navigation start.
      const ms = await page.waitForFunction(
        () => {
          const trends = (globalThis as { meetupTrends?: { chart?: { pointCount: number } } })
            .meetupTrends;
          return (trends?.chart?.pointCount ?? 0) > 0 ? performance.now() : false;
        },
        null,
        { timeout: 30_000, polling: 10 },
      );
      times.push(Math.round((await ms.jsonValue()) as number));
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return times;
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  servicesUp("kafka");
  const prefix = uniqueName("bench.dashboard");
  const topics = { raw: `${prefix}.raw`, dlq: `${prefix}.dlq`, stats: `${prefix}.stats` };
  const kafka = createKafka(kafkaConfig(), { clientSuffix: "bench-dashboard", logger: log });
  await ensureTopics(
    kafka,
    [
      { name: topics.raw, partitions: 6 },
      { name: topics.dlq, partitions: 1 },
      { name: topics.stats, partitions: 1 },
    ],
    1,
  );
  const producer = kafka.producer();
  await producer.connect();
  const lake = mkdtempSync(join(tmpdir(), "bench-dashboard-"));
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [join(PROJECT_ROOT, "apps/dashboard/main.ts")], {
    env: {
      ...process.env,
      DASHBOARD_PORT: String(port),
      TOPIC_RAW: topics.raw,
      TOPIC_DLQ: topics.dlq,
      TOPIC_STATS: topics.stats,
      LAKE_DIR: lake,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const controller = new AbortController();
  let seq = 0;
  const produce = async () => {
    const at = Math.floor(Date.now() / 1000) * 1000;
    const value = Buffer.from(
      encodeStats(statsFixture(at, { seed: ++seq, emittedAt: Date.now() })),
    );
    await producer.send({ topic: topics.stats, acks: 1, messages: [{ value }] });
  };
  try {
    await waitFor("the dashboard", async () => (await fetch(`${url}/healthz`)).ok, 60_000);
    await produce();
    await Bun.sleep(1_000);
    const rssIdleMb = rssMb(server.pid!);
    const latencies = new SampleRing(2_000_000);
    const clients = Array.from({ length: CLIENTS }, () =>
      sseClient(`${url}/api/stream`, latencies, controller.signal),
    );
    await waitFor(
      `${CLIENTS} clients`,
      async () =>
        /dashboard_sse_clients (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ===
        String(CLIENTS),
      60_000,
    );
    const rssConnectedMb = rssMb(server.pid!);
    let rssPeakMb = rssConnectedMb;
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const tick = Date.now();
      await produce();
      sent++;
      rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid!));
      await Bun.sleep(Math.max(0, 1000 / RATE - (Date.now() - tick)));
    }
    await Bun.sleep(1_000);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    controller.abort();
    const updates = (await Promise.all(clients)).reduce((a, b) => a + b, 0);
    const loads = await pageLoads(url);
    const result = {
      clients: CLIENTS,
      ratePerSecond: RATE,
      seconds: SECONDS,
      statsSent: sent,
      updatesReceived: updates,
      updatesExpected: sent * CLIENTS,
      addedLatencyMsP50: latencies.quantile(0.5),
      addedLatencyMsP99: latencies.quantile(0.99),
      addedLatencyMsMax: latencies.quantile(1),
      clientsDropped: Number(
        /dashboard_sse_closed_total\{reason="slow"\} (\d+)/.exec(metrics)?.[1] ?? 0,
      ),
      rssIdleMb,
      rssConnectedMb,
      rssPeakMb,
      firstLivePointMs: loads,
      firstLivePointMsMedian: median(loads),
      cpuCores: cpus().length,
      load1: loadavg()[0],
    };
    console.log(JSON.stringify(result));
  } finally {
    controller.abort();
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, Bun.sleep(10_000)]);
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
    rmSync(lake, { recursive: true, force: true });
  }
}

await main();
