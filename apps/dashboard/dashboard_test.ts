/**
 * The dashboard against the real Kafka broker: stats produced with `encodeStats` on a unique
 * topic reach SSE clients; the SSE lifecycle (resume by Last-Event-ID, heartbeat, slow client
 * dropped, abort releases the subscription) over real HTTP; pipeline health; the HTTP APIs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kafka, Producer } from "kafkajs";
import { dashboardConfig, kafkaConfig } from "../../modules/config/mod.ts";
import { createKafka, ensureTopics } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { encodeStats } from "../../modules/stats/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { writeLakeFixture } from "./_lake_fixture.ts";
import { SseClient } from "./_sse_client.ts";
import { statsFixture } from "./_stats_fixture.ts";
import type { LiveSnapshot, LiveUpdate } from "./live_state.ts";
import type { PipelineHealth } from "./pipeline_health.ts";
import { type Dashboard, startDashboard } from "./server.ts";

const prefix = uniqueName("test.dashboard");
const topics = { raw: `${prefix}.raw`, dlq: `${prefix}.dlq`, stats: `${prefix}.stats` };
const lagGroup = uniqueName("test-dashboard-lag");
const log = createLogger("dashboard-test", { level: "error" });
let kafka: Kafka;
let producer: Producer;
let dashboard: Dashboard;
let root: string;
let fatal: unknown;

/** Whole seconds, so fixture slots line up like the stream's. */
const second = (ms: number) => Math.floor(ms / 1000) * 1000;

async function produceStats(at: number, seed = 1): Promise<void> {
  const value = Buffer.from(
    encodeStats(statsFixture(at, { seed, slots: 30, emittedAt: Date.now() })),
  );
  await producer.send({ topic: topics.stats, acks: -1, messages: [{ value }] });
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const metric = async (line: RegExp) => {
  const text = await (await fetch(`${dashboard.url}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? 0);
};

beforeAll(async () => {
  servicesUp("kafka");
  root = mkdtempSync(join(tmpdir(), "dashboard-it-"));
  writeLakeFixture(join(root, "lake"));
  kafka = createKafka(kafkaConfig(), { clientSuffix: "dashboard-test", logger: log });
  const partitions = { raw: 6, dlq: 1, stats: 1 };
  await ensureTopics(
    kafka,
    (["raw", "dlq", "stats"] as const).map((role) => ({
      name: topics[role],
      partitions: partitions[role],
    })),
    1,
  );
  producer = kafka.producer();
  await producer.connect();
  // History produced before the dashboard starts: it must show at once.
  await produceStats(second(Date.now()) - 20_000, 7);
  const config = {
    ...dashboardConfig({
      DASHBOARD_SSE_HEARTBEAT_MS: "300",
      DASHBOARD_HEALTH_SECONDS: "1",
      DASHBOARD_SSE_CLIENT_QUEUE_EVENTS: "16",
      DASHBOARD_SSE_CLIENT_QUEUE_BYTES: String(1024 * 1024),
      DASHBOARD_LAG_GROUPS: lagGroup,
      DASHBOARD_QUERY_SQL_BYTES: "2048",
    }),
    port: 0,
  };
  dashboard = await startDashboard({
    config,
    kafka,
    topics,
    lakeDir: join(root, "lake"),
    log,
    onFatal: (error) => {
      fatal = error;
    },
  });
}, 120_000);

afterAll(async () => {
  await dashboard?.stop();
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  // Deleting topics can take a while on a loaded broker; a failure is reported, not hidden.
  await admin
    .deleteTopics({ topics: Object.values(topics), timeout: 30_000 })
    .catch((error) => console.error(`could not delete test topics: ${error}`));
  await admin.deleteGroups([lagGroup]).catch(() => {});
  await admin.disconnect();
  rmSync(root, { recursive: true, force: true });
  expect(fatal).toBeUndefined();
}, 60_000);

describe("live path", () => {
  test("a new client gets the current state at once (history included), then each update", async () => {
    await until("history consumed", () => dashboard.state.lastReceivedAt > 0 || undefined);
    const client = await SseClient.connect(`${dashboard.url}/api/stream`);
    try {
      const state = await client.nextOf("state");
      const snapshot = JSON.parse(state.data) as LiveSnapshot;
      expect(state.id).toMatch(/^[a-z0-9]+-\d+$/);
      expect(snapshot.series.length).toBeGreaterThanOrEqual(30);
      expect(snapshot.latest?.topEvents[0]?.name).toContain("<7>");
      await produceStats(second(Date.now()), 8);
      const update = await client.nextOf("update");
      const body = JSON.parse(update.data) as LiveUpdate;
      expect(body.latest.topEvents[0]?.name).toContain("<8>");
      expect(body.series.length).toBeGreaterThan(0);
      expect(body.geo.length).toBeGreaterThan(0);
      expect(Number(update.id?.split("-")[1])).toBeGreaterThan(Number(state.id?.split("-")[1]));
    } finally {
      client.close();
    }
  }, 30_000);

  test("skips invalid and newer-version messages, counting them, and keeps going", async () => {
    await producer.send({
      topic: topics.stats,
      messages: [
        { value: "not json" },
        { value: JSON.stringify({ v: 2, kind: "snapshot" }) },
        { value: "{}" },
      ],
    });
    await produceStats(second(Date.now()) + 1000, 9);
    await until(
      "valid message after the bad ones",
      () => dashboard.state.snapshot(0).latest?.topEvents[0]?.name.includes("<9>") || undefined,
    );
    expect(await metric(/dashboard_stats_messages_total\{result="not-json"\} (\d+)/)).toBe(1);
    expect(await metric(/dashboard_stats_messages_total\{result="unsupported"\} (\d+)/)).toBe(2);
  }, 30_000);
});

describe("SSE lifecycle", () => {
  test("a reconnecting client resumes by Last-Event-ID with only what it missed", async () => {
    const first = await SseClient.connect(`${dashboard.url}/api/stream`);
    const state = await first.nextOf("state");
    first.close();
    const before = Number(dashboard.hub.lastEventId.split("-")[1]);
    dashboard.hub.publish("update", { missed: 1 });
    dashboard.hub.publish("update", { missed: 2 });
    const resumed = await SseClient.connect(
      `${dashboard.url}/api/stream`,
      dashboard.hub.lastEventId.replace(/\d+$/, String(before)),
    );
    try {
      const a = await resumed.next();
      const b = await resumed.next();
      expect([a?.event, b?.event]).toEqual(["update", "update"]);
      expect([a?.data, b?.data]).toEqual(['{"missed":1}', '{"missed":2}']);
      expect(Number(a?.id?.split("-")[1])).toBe(before + 1);
    } finally {
      resumed.close();
    }
    // An id from before a restart (another instance) gets a fresh snapshot.
    const stranger = await SseClient.connect(
      `${dashboard.url}/api/stream`,
      `zzz-${state.id?.split("-")[1]}`,
    );
    expect((await stranger.next())?.event).toBe("state");
    stranger.close();
  }, 30_000);

  test("sends heartbeats with no stats flowing", async () => {
    const client = await SseClient.connect(`${dashboard.url}/api/stream`);
    try {
      await client.nextOf("state");
      const beat = JSON.parse((await client.nextOf("heartbeat", 5_000)).data) as {
        now: number;
        lastStatsAt: number;
      };
      expect(beat.lastStatsAt).toBeGreaterThan(0);
      expect(Math.abs(beat.now - Date.now())).toBeLessThan(60_000);
    } finally {
      client.close();
    }
  }, 30_000);

  test("aborting a client releases its subscription", async () => {
    await until("no clients left from other tests", () => dashboard.hub.size === 0 || undefined);
    const client = await SseClient.connect(`${dashboard.url}/api/stream`);
    await client.nextOf("state");
    expect(dashboard.hub.size).toBe(1);
    client.close();
    await until("subscription released", () => dashboard.hub.size === 0 || undefined);
  }, 30_000);

  test("a client that stops reading is dropped at its bounded queue; a reading one is not slowed", async () => {
    await until("no clients left from other tests", () => dashboard.hub.size === 0 || undefined);
    const slowBefore = await metric(/dashboard_sse_closed_total\{reason="slow"\} (\d+)/);
    const slow = await pausedSseSocket(dashboard.port);
    const fast = await SseClient.connect(`${dashboard.url}/api/stream`);
    await fast.nextOf("state");
    await until("both connected", () => dashboard.hub.size === 2 || undefined);
    const blob = "x".repeat(256 * 1024);
    let received = 0;
    for (let n = 0; n < 80; n++) {
      dashboard.hub.publish("update", { n, blob });
      const message = await fast.nextOf("update");
      if (JSON.parse(message.data).n === n) received++;
    }
    expect(received).toBe(80);
    await until(
      "slow client dropped",
      async () =>
        (await metric(/dashboard_sse_closed_total\{reason="slow"\} (\d+)/)) > slowBefore ||
        undefined,
    );
    expect(dashboard.hub.size).toBe(1);
    // The server ended the slow connection (its bytes are not held until an idle timeout).
    slow.resume();
    await until("slow socket closed by the server", () => slow.closed || undefined, 10_000);
    fast.close();
  }, 30_000);
});

interface PausedSocket {
  closed: boolean;
  resume(): void;
}

/** Opens /api/stream on a raw socket and stops reading, like a stuck client. */
function pausedSseSocket(port: number): Promise<PausedSocket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write(
        `GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
      );
      socket.once("data", () => {
        socket.pause();
        resolve(handle);
      });
    });
    const handle = { closed: false, resume: () => socket.resume() };
    socket.on("data", () => {});
    socket.on("close", () => {
      handle.closed = true;
    });
    socket.on("error", () => {
      handle.closed = true;
    });
    socket.once("error", reject);
  });
}

describe("pipeline health", () => {
  test("shows end offsets, lag per group and partition, and the dead-letter count", async () => {
    await producer.send({
      topic: topics.raw,
      messages: Array.from({ length: 12 }, (_, i) => ({
        key: `g${i}`,
        value: `{"n":${i}}`,
        partition: i % 6,
      })),
    });
    await producer.send({
      topic: topics.dlq,
      messages: [{ value: "bad" }, { value: "bad" }, { value: "bad" }],
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: lagGroup,
      topic: topics.raw,
      partitions: [{ partition: 0, offset: "1" }],
    });
    await admin.disconnect();
    const client = await SseClient.connect(`${dashboard.url}/api/stream`);
    try {
      const health = await until("a health event with the lag group", async () => {
        const event = JSON.parse((await client.nextOf("health")).data) as PipelineHealth;
        return event.deadLetters === 3 && event.groups[0]?.partitions.length ? event : undefined;
      });
      expect(health.errors).toEqual([]);
      const raw = health.topics.find((t) => t.role === "raw");
      expect(raw?.partitions.map((p) => p.high)).toEqual([2, 2, 2, 2, 2, 2]);
      const group = health.groups[0]!;
      expect(group.groupId).toBe(lagGroup);
      expect(group.partitions.find((p) => p.partition === 0)).toMatchObject({
        committed: 1,
        high: 2,
        lag: 1,
      });
      expect(group.partitions.find((p) => p.partition === 1)).toMatchObject({
        committed: null,
        lag: 2,
      });
      expect(group.lag).toBe(11);
      expect(health.stages.map((s) => s.stage)).toContain("ingest");
      // From the second poll on, rates are figures (the dashboard's own counters included).
      const later = JSON.parse((await client.nextOf("health")).data) as PipelineHealth;
      expect(later.topics.every((t) => typeof t.perSecond === "number")).toBe(true);
      const own = later.stages.find((s) => s.stage === "dashboard");
      expect(typeof own?.inPerSecond).toBe("number");
    } finally {
      client.close();
    }
  }, 60_000);
});

describe("HTTP", () => {
  test("the page is local only: every script, style and map comes from this server", async () => {
    const response = await fetch(`${dashboard.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    const page = await response.text();
    expect(page).toContain("<title>Meetup Trends</title>");
    // Every src/href/data-plotly is a path on this server (the favicon is an inline "data:,").
    const refs = [...page.matchAll(/(?:src|href|data-plotly)="([^"]+)"/g)]
      .map((m) => m[1] ?? "")
      .filter((ref) => ref !== "data:,");
    expect(refs).toContain("/vendor/plotly/plotly.min.js");
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) {
      expect(ref.startsWith("/")).toBe(true);
      expect((await fetch(`${dashboard.url}${ref}`)).status).toBe(200);
    }
    expect((await fetch(`${dashboard.url}/vendor/topojson/world_110m.json`)).status).toBe(200);
    expect((await fetch(`${dashboard.url}/vendor/../package.json`)).status).toBe(404);
    expect((await fetch(`${dashboard.url}/vendor/plotly/../../package.json`)).status).toBe(404);
  }, 30_000);

  test("the page renders the batch panels from the 3NF Parquet", async () => {
    const page = await (await fetch(`${dashboard.url}/`)).text();
    expect(page).toContain("member 0");
    expect(page).toMatch(/as of \d{4}-\d\d-\d\d/);
    expect(page).toContain("No clusters yet");
  }, 30_000);

  test("POST /api/query answers rows, refuses writes with a message, limits the body", async () => {
    const post = (body: string) =>
      fetch(`${dashboard.url}/api/query`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
    const ok = await post(JSON.stringify({ sql: "select count(*) as n from rsvps" }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { rows: unknown[][] }).rows).toEqual([["50"]]);
    const refused = await post(JSON.stringify({ sql: "copy rsvps to '/tmp/x.csv'" }));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/read-only/);
    expect((await post("not json")).status).toBe(400);
    expect((await post(JSON.stringify({ sql: `select '${"x".repeat(4000)}'` }))).status).toBe(413);
  }, 30_000);

  test("/healthz and /metrics", async () => {
    const health = await fetch(`${dashboard.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", statsConsumer: "running" });
    const metrics = await (await fetch(`${dashboard.url}/metrics`)).text();
    expect(metrics).toMatch(/^dashboard_stats_messages_total\{result="ok"\} [1-9]/m);
    expect(metrics).toContain("# TYPE dashboard_sse_clients gauge");
  }, 30_000);
});
