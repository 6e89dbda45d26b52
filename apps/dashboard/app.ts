/**
 * The dashboard's HTTP interface (Hono): the page, its assets, the SSE stream, the batch,
 * health and query APIs, `/healthz` and `/metrics`.
 */
import type { Server } from "bun";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { DashboardConfig } from "../../modules/config/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import type { Registry } from "../../modules/metrics/mod.ts";
import type { ClientBundle } from "./assets.ts";
import type { BatchPanelsService } from "./batch.ts";
import type { LiveState } from "./live_state.ts";
import { renderPage } from "./page.ts";
import { QueryError, type QueryService } from "./query.ts";
import type { SseHub } from "./sse_hub.ts";
import { sseResponse } from "./sse_response.ts";

/** What the routes use. */
export interface DashboardDeps {
  config: DashboardConfig;
  hub: SseHub;
  state: LiveState;
  query: QueryService;
  batch: BatchPanelsService;
  client: ClientBundle;
  vendor: Map<string, { path: string; type: string }>;
  metrics: Registry;
  log: Logger;
  /** Whether the stats consumer is running. */
  consumerRunning: () => boolean;
  /** @default {Date.now} */
  now?: () => number;
}

// The page loads only from this origin: a CDN request would be refused by the browser too.
const CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Builds the Hono app. */
export function createApp(deps: DashboardDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;
  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
    if (c.res.headers.get("content-type")?.startsWith("text/html")) {
      c.header("content-security-policy", CSP);
    }
  });
  app.get("/", async (c) => c.html(renderPage(await deps.batch.panels(now()))));
  app.get("/assets/app.js", (c) =>
    c.body(deps.client.js, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );
  app.get("/assets/style.css", (c) =>
    c.body(deps.client.css, 200, { "content-type": "text/css; charset=utf-8" }),
  );
  app.get("/vendor/*", (c) => {
    const file = deps.vendor.get(c.req.path.slice("/vendor/".length));
    if (file === undefined) return c.text("not found\n", 404);
    return new Response(Bun.file(file.path), {
      headers: { "content-type": file.type, "cache-control": "public, max-age=86400" },
    });
  });
  addStreamRoutes(app, deps, now);
  addQueryRoute(app, deps);
  addOpsRoutes(app, deps, now);
  app.notFound((c) => c.text("not found\n", 404));
  app.onError((error, c) => {
    deps.log.error("request failed", { path: c.req.path, error });
    return c.json({ error: "internal error; see the dashboard log" }, 500);
  });
  return app;
}

function addStreamRoutes(app: Hono, deps: DashboardDeps, now: () => number): void {
  const connections = deps.metrics.counter(
    "dashboard_sse_connections_total",
    "SSE connections accepted",
  );
  const refused = deps.metrics.counter(
    "dashboard_sse_refused_total",
    "SSE connections refused (too many clients)",
  );
  app.get("/api/stream", (c) => {
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId");
    const subscription = deps.hub.subscribe(lastEventId);
    if (subscription === undefined) {
      refused.inc();
      return c.text(
        `too many clients (DASHBOARD_SSE_CLIENTS_MAX=${deps.config.sseClientsMax})\n`,
        503,
      );
    }
    connections.inc();
    const server = c.env as Server<undefined> | undefined;
    return sseResponse(subscription, c.req.raw.signal, () => server?.timeout(c.req.raw, 1));
  });
  app.get("/api/state", (c) => c.json(deps.state.snapshot(now())));
  app.get("/api/batch", async (c) => c.json(await deps.batch.panels(now())));
}

function addQueryRoute(app: Hono, deps: DashboardDeps): void {
  const queries = deps.metrics.counter("dashboard_queries_total", "Queries by outcome");
  const limit = bodyLimit({
    maxSize: deps.config.querySqlBytesMax,
    onError: (c) =>
      c.json(
        {
          error: `The query is over ${deps.config.querySqlBytesMax} bytes (DASHBOARD_QUERY_SQL_BYTES).`,
        },
        413,
      ),
  });
  app.post("/api/query", limit, async (c) => {
    let sql: unknown;
    try {
      sql = ((await c.req.json()) as { sql?: unknown }).sql;
    } catch {
      sql = undefined;
    }
    if (typeof sql !== "string") {
      queries.inc(1, { outcome: "bad-request" });
      return c.json({ error: 'Send JSON {"sql": "select ..."}.' }, 400);
    }
    try {
      const result = await deps.query.run(sql);
      queries.inc(1, { outcome: "ok" });
      return c.json(result);
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      const outcome = {
        408: "timeout",
        429: "busy",
        413: "too-large",
        503: "unavailable",
        400: "refused",
      }[error.status];
      queries.inc(1, { outcome });
      return c.json({ error: error.message }, error.status);
    }
  });
}

function addOpsRoutes(app: Hono, deps: DashboardDeps, now: () => number): void {
  const clients = deps.metrics.gauge("dashboard_sse_clients", "SSE clients connected now");
  const lastStatsAge = deps.metrics.gauge(
    "dashboard_stats_age_seconds",
    "Seconds since the last stats message",
  );
  app.get("/healthz", (c) => {
    const running = deps.consumerRunning();
    const lastAt = deps.state.lastReceivedAt;
    const body = {
      status: running ? "ok" : "degraded",
      statsConsumer: running ? "running" : "stopped",
      lastStatsAgoMs: lastAt === 0 ? null : now() - lastAt,
      sseClients: deps.hub.size,
    };
    return c.json(body, running ? 200 : 503);
  });
  app.get("/metrics", (c) => {
    clients.set(deps.hub.size);
    const lastAt = deps.state.lastReceivedAt;
    lastStatsAge.set(lastAt === 0 ? -1 : (now() - lastAt) / 1000);
    return c.body(deps.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" });
  });
}
