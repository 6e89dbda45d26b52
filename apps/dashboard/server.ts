/**
 * Wires the dashboard together: stats consumer -> live state -> SSE hub, the pipeline-health
 * poller, the batch panels, the query service and the HTTP server. Used by `main.ts` and by
 * the integration tests, so both run the same thing.
 */
import { join } from "node:path";
import type { Server } from "bun";
import type { Admin, Kafka } from "kafkajs";
import type { DashboardConfig } from "../../modules/config/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { Registry } from "../../modules/metrics/mod.ts";
import { createApp } from "./app.ts";
import { buildClient, vendorFiles } from "./assets.ts";
import { BatchPanelsService } from "./batch.ts";
import { LiveState } from "./live_state.ts";
import { PipelineHealthMonitor } from "./pipeline_health.ts";
import { QueryService } from "./query.ts";
import { SseHub } from "./sse_hub.ts";
import { type StatsConsumer, startStatsConsumer } from "./stats_consumer.ts";

/** Options for {@linkcode startDashboard}. */
export interface StartDashboardOptions {
  config: DashboardConfig;
  kafka: Kafka;
  topics: { raw: string; dlq: string; stats: string };
  lakeDir: string;
  log: Logger;
  /** The stats consumer gave up after its bounded restarts. */
  onFatal: (error: unknown) => void;
  /** @default {Date.now} */
  now?: () => number;
}

/** A running dashboard. */
export interface Dashboard {
  url: string;
  port: number;
  hub: SseHub;
  state: LiveState;
  metrics: Registry;
  /** Stops timers, closes every client, the consumer, Kafka admin and DuckDB. */
  stop(): Promise<void>;
}

/** The dashboard's own counters, registered once. */
function dashboardMetrics() {
  const registry = new Registry();
  return {
    registry,
    statsMessages: registry.counter(
      "dashboard_stats_messages_total",
      "Stats messages consumed, by result",
    ),
    events: registry.counter(
      "dashboard_sse_events_total",
      "Events published to SSE clients, by kind",
    ),
    closed: registry.counter(
      "dashboard_sse_closed_total",
      "SSE clients gone, by reason (slow = dropped)",
    ),
    latency: registry.gauge(
      "dashboard_stats_latency_ms",
      "Producer clock to dashboard arrival, last message",
    ),
  };
}

/** The live state and the SSE hub whose snapshot it is. */
function liveParts(
  config: DashboardConfig,
  metrics: ReturnType<typeof dashboardMetrics>,
  now: () => number,
) {
  const state = new LiveState({
    historyMs: config.historySeconds * 1000,
    staleMs: config.staleSeconds * 1000,
    heartbeatMs: config.sseHeartbeatMs,
    geoPointsMax: config.geoPointsMax,
  });
  const hub = new SseHub({
    bufferEventsMax: config.sseBufferEventsMax,
    clientQueueEventsMax: config.sseClientQueueEventsMax,
    clientQueueBytesMax: config.sseClientQueueBytesMax,
    clientsMax: config.sseClientsMax,
    snapshot: () => ({ event: "state", data: state.snapshot(now()) }),
    onClose: (reason) => metrics.closed.inc(1, { reason }),
  });
  return { state, hub };
}

/** Starts everything; resolves once the server listens and the consumer runs. */
export async function startDashboard(options: StartDashboardOptions): Promise<Dashboard> {
  const { config, log } = options;
  const now = options.now ?? Date.now;
  const metrics = dashboardMetrics();
  const { state, hub } = liveParts(config, metrics, now);
  const query = await QueryService.open({
    tablesDir: join(options.lakeDir, "3nf"),
    timeoutMs: config.queryTimeoutMs,
    rowsMax: config.queryRowsMax,
    memoryMbMax: config.queryMemoryMbMax,
    concurrencyMax: config.queryConcurrencyMax,
  });
  const batch = await BatchPanelsService.open(options.lakeDir, config.queryMemoryMbMax);
  const client = await buildClient();
  const consumer: StatsConsumer = await startStatsConsumer({
    kafka: options.kafka,
    topic: options.topics.stats,
    historyMs: config.historySeconds * 1000,
    log,
    now,
    onStats: (stats, receivedAt) => {
      metrics.statsMessages.inc(1, { result: "ok" });
      metrics.latency.set(receivedAt - stats.emittedAt);
      const update = state.apply(stats, receivedAt);
      if (update === undefined) return;
      hub.publish("update", update);
      metrics.events.inc(1, { event: "update" });
    },
    onReject: (reason) => metrics.statsMessages.inc(1, { result: reason }),
    onFatal: options.onFatal,
  });
  const admin = options.kafka.admin();
  await admin.connect();
  const counters = {
    statsIn: () => metrics.statsMessages.get({ result: "ok" }),
    eventsOut: () => metrics.events.get({ event: "update" }),
  };
  const timers = startTimers({ options, admin, state, hub, batch, counters, now });
  const app = createApp({
    config,
    hub,
    state,
    query,
    batch,
    client,
    log,
    now,
    vendor: vendorFiles(),
    metrics: metrics.registry,
    consumerRunning: () => consumer.running,
  });

  const server: Server<undefined> = Bun.serve({
    hostname: config.host,
    port: config.port,
    idleTimeout: config.idleTimeoutSeconds,
    fetch: app.fetch,
  });
  return {
    url: `http://${config.host}:${server.port}`,
    port: server.port ?? config.port,
    hub,
    state,
    metrics: metrics.registry,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      hub.closeAll();
      await server.stop(true);
      await consumer.stop().catch((error) => log.warn("stats consumer stop failed", { error }));
      await admin.disconnect().catch(() => {});
      query.close();
      batch.close();
    },
  };
}

interface TimerDeps {
  options: StartDashboardOptions;
  admin: Admin;
  state: LiveState;
  hub: SseHub;
  batch: BatchPanelsService;
  counters: { statsIn: () => number; eventsOut: () => number };
  now: () => number;
}

/** Heartbeats, health polls and batch-change checks; each skips a tick while still busy. */
function startTimers({ options, admin, state, hub, batch, counters, now }: TimerDeps): Timer[] {
  const { config, log } = options;
  const monitor = new PipelineHealthMonitor(admin, {
    topics: options.topics,
    lagGroups: config.lagGroups,
    scrapeTargets: config.scrapeTargets,
    dashboardCounters: () => ({ in: counters.statsIn(), out: counters.eventsOut() }),
  });
  let polling = false;
  const pollHealth = async () => {
    if (polling) return;
    polling = true;
    try {
      const health = await monitor.poll(now());
      state.setHealth(health);
      hub.publish("health", health);
    } finally {
      polling = false;
    }
  };
  // Browsers refetch /api/batch when the heartbeat's batchComputedAt changes.
  let batchComputedAt = 0;
  let checkingBatch = false;
  const checkBatch = async () => {
    if (checkingBatch) return;
    checkingBatch = true;
    try {
      batchComputedAt = (await batch.panels(now())).computedAt;
    } catch (error) {
      log.warn("batch panels failed", { error });
    } finally {
      checkingBatch = false;
    }
  };
  void pollHealth();
  void checkBatch();
  return [
    setInterval(() => {
      const beat = { now: now(), lastStatsAt: state.lastReceivedAt, batchComputedAt };
      hub.broadcast("heartbeat", beat);
    }, config.sseHeartbeatMs),
    setInterval(() => void pollHealth(), config.healthSeconds * 1000),
    setInterval(() => void checkBatch(), config.batchSeconds * 1000),
  ];
}
