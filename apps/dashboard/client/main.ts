/**
 * The browser side of "Meetup Trends": connects to `/api/stream`, keeps the live view, redraws
 * what changed (uPlot at most 4 times a second, each Plotly chart at most once a second), and
 * wires the controls: pause/resume, jump to live, per-chart PNG/CSV, the query form.
 */
import type { LiveSnapshot, LiveUpdate } from "../live_state.ts";
import type { PipelineHealth } from "../pipeline_health.ts";
import { BatchView } from "./batch_view.ts";
import { type ConnectionStatus, StreamConnection } from "./connection.ts";
import { downloadCanvasPng, downloadCsv, fileStamp } from "./export.ts";
import { LiveChart } from "./live_chart.ts";
import { LIVE_PANELS, type LivePanel, LiveView } from "./live_view.ts";
import { renderMap, renderTopEvents, renderTopics, renderTotals } from "./plots.ts";
import { setUpQueryForm } from "./query_form.ts";
import { formatAgo, formatNumber, healthHtml } from "./render.ts";
import { loadPlotly, plotly, plotlyReady } from "./vendor.ts";

/** Plotly charts are redrawn at most this often each. */
const PLOTLY_REDRAW_MS = 1_000;
/** Plotly is loaded after the first snapshot, or after this long without one. */
const PLOTLY_LOAD_FALLBACK_MS = 3_000;
/** The render loop's period (uPlot redraws at most this often). */
const FRAME_MS = 250;

const view = new LiveView();
const batch = new BatchView();
let connected = false;
let paused = false;
let chart: LiveChart | undefined;
const lastPlotlyDraw = new Map<LivePanel, number>();

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`Cannot find #${id} in the page`);
  return found;
}

/** live / stale / reconnecting, from the connection and the age of the last stats message. */
function showStatus(status?: ConnectionStatus): void {
  if (status === "reconnecting" || status === "connecting") connected = false;
  if (status === "live") connected = true;
  const age = view.statsAgeMs();
  const shown: ConnectionStatus = !connected
    ? (status ?? "reconnecting")
    : age <= view.settings.staleMs
      ? "live"
      : "stale";
  const indicator = element("connection");
  indicator.className = `connection ${shown}${paused ? " paused" : ""}`;
  const detail =
    shown === "stale"
      ? Number.isFinite(age)
        ? ` (no stats for ${formatAgo(age).replace(" ago", "")})`
        : " (no stats yet)"
      : "";
  element("connection-text").textContent = `${shown}${detail}${paused ? " · paused" : ""}`;
}

function renderKpis(): void {
  const latest = view.latest;
  if (latest === null) return;
  const set = (id: string, value: number) => {
    element(`kpi-${id}`).textContent = formatNumber(value);
  };
  set("rsvps", latest.counts.rsvps);
  set("yes", latest.totals.yes);
  set("no", latest.totals.no);
  set("late", latest.quality.late);
  set("duplicates", latest.quality.duplicates);
}

function renderPanel(panel: LivePanel, now: number): boolean {
  const latest = view.latest;
  if (panel === "rate") {
    chart?.render(view.points());
    if (
      chart !== undefined &&
      chart.pointCount > 0 &&
      performance.getEntriesByName("meetup:first-point").length === 0
    ) {
      performance.mark("meetup:first-point");
    }
    return true;
  }
  if (panel === "health") {
    element("health-body").innerHTML = healthHtml(view.health);
    return true;
  }
  if (!plotlyReady() || now - (lastPlotlyDraw.get(panel) ?? 0) < PLOTLY_REDRAW_MS) return false;
  lastPlotlyDraw.set(panel, now);
  const target = element(`chart-${panel}`);
  if (panel === "map") void renderMap(target, view.geo);
  else if (latest === null) return true;
  else if (panel === "top-events") void renderTopEvents(target, latest);
  else if (panel === "totals") void renderTotals(target, latest);
  else if (panel === "topics") void renderTopics(target, latest);
  return true;
}

function renderFrame(): void {
  if (paused || view.dirty.size === 0) return;
  const now = Date.now();
  renderKpis();
  for (const panel of [...view.dirty]) {
    if (renderPanel(panel, now)) view.dirty.delete(panel);
  }
}

function renderAges(): void {
  const now = Date.now();
  for (const panel of LIVE_PANELS) {
    const label = document.querySelector(`#panel-${panel} [data-ago]`);
    const at = view.updatedAt.get(panel);
    if (label !== null)
      label.textContent = at === undefined ? "waiting for data" : `updated ${formatAgo(now - at)}`;
  }
  const healthAt = view.updatedAt.get("health");
  element("health-ago").textContent =
    healthAt === undefined ? "" : `updated ${formatAgo(now - healthAt)}`;
  showStatus();
}

function setPaused(value: boolean): void {
  paused = value;
  const button = element("pause");
  button.textContent = paused ? "Resume" : "Pause";
  button.setAttribute("aria-pressed", String(paused));
  if (!paused) for (const panel of [...LIVE_PANELS, "health" as const]) view.dirty.add(panel);
  showStatus();
}

function exportPanel(panel: string, format: "png" | "csv"): void {
  const name = `${panel}-${fileStamp(Date.now())}`;
  const latest = view.latest;
  if (format === "png") {
    if (panel === "rate" && chart !== undefined) {
      downloadCanvasPng(name, chart.plot.ctx.canvas);
      return;
    }
    const target = document.getElementById(`chart-${panel}`);
    if (target !== null && !target.hidden && target.childElementCount > 0) {
      void plotly().downloadImage(target, { format: "png", filename: name, scale: 2 });
    }
    return;
  }
  const csv = csvFor(panel, latest);
  if (csv !== undefined) downloadCsv(name, csv.columns, csv.rows);
}

function csvFor(
  panel: string,
  latest: LiveView["latest"],
): { columns: string[]; rows: unknown[][] } | undefined {
  if (panel === "rate")
    return {
      columns: ["time_utc", "yes", "no"],
      rows: view.points().map((p) => [new Date(p.t).toISOString(), p.yes, p.no]),
    };
  if (panel === "top-events")
    return {
      columns: ["event", "url", "yes"],
      rows: (latest?.topEvents ?? []).map((e) => [e.name, e.url, e.yes]),
    };
  if (panel === "totals")
    return {
      columns: ["response", "rsvps"],
      rows:
        latest === null
          ? []
          : [
              ["yes", latest.totals.yes],
              ["no", latest.totals.no],
            ],
    };
  if (panel === "topics")
    return {
      columns: ["urlkey", "topic", "rsvps"],
      rows: (latest?.topTopics ?? []).map((t) => [t.urlkey, t.name, t.count]),
    };
  if (panel === "map") {
    return {
      columns: ["time_utc", "lat", "lon", "response", "event", "url"],
      rows: view.geo.map((g) => [
        new Date(g.t).toISOString(),
        g.lat,
        g.lon,
        g.response,
        g.eventName,
        g.eventUrl,
      ]),
    };
  }
  if (panel === "dendrogram") {
    const d = batch.data?.dendrogram;
    return d ? { columns: ["left", "right", "distance", "size"], rows: d.linkage } : undefined;
  }
  const found = batch.data?.panels.find((p) => p.id === panel);
  return found ? { columns: found.columns, rows: found.rows } : undefined;
}

function wireControls(): void {
  element("pause").addEventListener("click", () => setPaused(!paused));
  document.addEventListener("click", (event) => {
    const target = event.target as HTMLElement;
    const button = target.closest<HTMLButtonElement>("button[data-export], button[data-action]");
    const panel = button?.closest<HTMLElement>("[data-panel]")?.dataset.panel;
    if (button === null || button === undefined || panel === undefined) return;
    if (button.dataset.action === "jump-live") chart?.jumpToLive();
    const format = button.dataset.export;
    if (format === "png" || format === "csv") exportPanel(panel, format);
  });
}

function start(): void {
  // Marks for the benchmark and for anyone profiling the page: script start, first snapshot.
  performance.mark("meetup:start");
  const jump = document.querySelector<HTMLButtonElement>("[data-action=jump-live]");
  chart = new LiveChart(element("chart-rate"), (following) => {
    if (jump !== null) jump.hidden = following;
  });
  wireControls();
  setUpQueryForm();
  const connection = new StreamConnection("/api/stream", {
    state: (data) => {
      performance.mark("meetup:state");
      view.applySnapshot(data as LiveSnapshot);
      connection.setHeartbeatMs(view.settings.heartbeatMs);
      showStatus("live");
      renderFrame();
      // Once the live chart is painted (the frame after this one), Plotly may take the main
      // thread for its compile.
      requestAnimationFrame(() => setTimeout(loadPlotly, 0));
    },
    update: (data) => {
      view.applyUpdate(data as LiveUpdate);
      if (!connected) showStatus("live");
    },
    health: (data) => view.applyHealth(data as PipelineHealth),
    heartbeat: (beat) => {
      view.clockOffsetMs = beat.now - Date.now();
      view.lastStatsAt = beat.lastStatsAt;
      void batch.refresh(beat.batchComputedAt);
      showStatus("live");
    },
    status: (status) => showStatus(status),
  });
  connection.start();
  // Without a live snapshot soon (no stats yet, or no connection), load Plotly anyway.
  setTimeout(loadPlotly, PLOTLY_LOAD_FALLBACK_MS);
  void batch.refresh();
  setInterval(renderFrame, FRAME_MS);
  setInterval(renderAges, 1_000);
  // A handle for the end-to-end test and for curious users in the console.
  (globalThis as Record<string, unknown>).meetupTrends = { view, chart, batch };
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
