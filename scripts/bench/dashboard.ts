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
import { statsFixture } from "../../apps/dashboard/_stats_fixture.ts";
import { kafkaConfig, PROJECT_ROOT } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { SampleRing } from "../../modules/metrics/mod.ts";
import { encodeStats } from "../../modules/stats/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { cpuSeconds, freePort } from "./_support.ts";

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

/**
 * One SSE client on a raw socket that records, per update, now - the dashboard's receipt time.
 * A thousand `fetch` readers would cost the bench process more than the server it measures, so
 * this only scans the bytes for the one number it needs (the body is chunked: a number split
 * across reads is caught by keeping the tail of the previous read).
 */
function sseClient(port: number, latencies: SampleRing, signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    let updates = 0;
    let seen = 0;
    let tail = "";
    const pattern = /"receivedAt":(\d+)[,}]/g;
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(
            "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
          );
          signal.addEventListener("abort", () => socket.end(), { once: true });
        },
        data(_socket, data) {
          const now = Date.now();
          const text = tail + data.toString("latin1");
          pattern.lastIndex = 0;
          let consumed = 0;
          for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
            // The first one is the snapshot every connection starts with: not an update.
            if (seen++ > 0) {
              latencies.add(now - Number(match[1]));
              updates++;
            }
            consumed = pattern.lastIndex;
          }
          tail = text.slice(Math.max(consumed, text.length - 40));
        },
        close: () => resolve(updates),
        error: () => resolve(updates),
      },
    }).catch(() => resolve(updates));
  });
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
      // The page marks its first drawn live point; marks count from the navigation start.
      const mark = await page.waitForFunction(
        () => performance.getEntriesByName("meetup:first-point")[0]?.startTime ?? false,
        null,
        { timeout: 30_000 },
      );
      times.push(Math.round((await mark.jsonValue()) as number));
      const marks = await page.evaluate(() =>
        performance
          .getEntriesByType("mark")
          .concat(performance.getEntriesByType("navigation"))
          .map(
            (m) =>
              `${m.name}=${Math.round(m.startTime)}${"domContentLoadedEventEnd" in m ? ` dcl=${Math.round((m as PerformanceNavigationTiming).domContentLoadedEventEnd)}` : ""}`,
          ),
      );
      console.error(
        `bench: page load ${i + 1}: first live point at ${times.at(-1)} ms; ${marks.join(" ")}`,
      );
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
      sseClient(port, latencies, controller.signal),
    );
    await waitFor(
      `${CLIENTS} clients`,
      async () =>
        /dashboard_sse_clients (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ===
        String(CLIENTS),
      60_000,
    );
    console.error(`bench: ${CLIENTS} clients connected`);
    const rssConnectedMb = rssMb(server.pid!);
    let rssPeakMb = rssConnectedMb;
    const cpuBefore = cpuSeconds(server.pid!);
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const tick = Date.now();
      await produce();
      sent++;
      rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid!));
      await Bun.sleep(Math.max(0, 1000 / RATE - (Date.now() - tick)));
    }
    const serverCpuCores = (cpuSeconds(server.pid!) - cpuBefore) / ((Date.now() - started) / 1000);
    await Bun.sleep(1_000);
    console.error(`bench: ${sent} stats messages sent; measuring page loads`);
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
      serverCpuCores: Math.round(serverCpuCores * 100) / 100,
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
    await admin
      .deleteTopics({ topics: Object.values(topics), timeout: 30_000 })
      .catch((error) => console.error(`bench: could not delete its topics: ${error}`));
    await admin.disconnect();
    rmSync(lake, { recursive: true, force: true });
  }
}

await main();
