/**
 * The "Meetup Trends" page, rendered on the server: layout, panel frames, the batch tables
 * and the query form. The live panels are filled by the client from the SSE stream.
 */
import type { BatchPanels } from "./batch.ts";
import { asOfText, batchPanelBody, escapeHtml } from "./client/render.ts";

const PNG_BUTTON = `<button type="button" data-export="png" title="Download as PNG">PNG</button>`;
const CSV_BUTTON = `<button type="button" data-export="csv" title="Download as CSV">CSV</button>`;

function livePanel(id: string, title: string, extra = "", className = ""): string {
  return `<article class="panel ${className}" id="panel-${id}" data-panel="${id}">
<header><h2>${escapeHtml(title)}</h2><span class="ago" data-ago>waiting…</span>
<div class="tools">${extra}${PNG_BUTTON}${CSV_BUTTON}</div></header>
<div class="chart" id="chart-${id}"></div></article>`;
}

function batchPanel(panel: BatchPanels["panels"][number]): string {
  return `<article class="panel" id="panel-${panel.id}" data-panel="${panel.id}" data-batch>
<header><h2>${escapeHtml(panel.title)}</h2><span class="asof" data-asof>${escapeHtml(asOfText(panel.asOf))}</span><div class="tools">${CSV_BUTTON}</div></header>
<div class="body" data-body>${batchPanelBody(panel)}</div></article>`;
}

function dendrogramPanel(batch: BatchPanels): string {
  const asOf = batch.dendrogram === null ? null : batch.dendrogram.asOf;
  const body =
    batch.dendrogram === null ? `<p class="empty">${escapeHtml(batch.dendrogramEmpty)}</p>` : "";
  return `<article class="panel wide" id="panel-dendrogram" data-panel="dendrogram" data-batch>
<header><h2>Dendrogram of groups</h2><span class="asof" data-asof>${escapeHtml(asOfText(asOf))}</span><div class="tools">${PNG_BUTTON}${CSV_BUTTON}</div></header>
<div class="body" data-body>${body}</div><div class="chart" id="chart-dendrogram"></div></article>`;
}

const KPIS: readonly [string, string][] = [
  ["rsvps", "RSVPs, last 5 min"],
  ["yes", "Yes, since start"],
  ["no", "No, since start"],
  ["late", "Late"],
  ["duplicates", "Duplicates"],
];

const EXAMPLE_SQL = `select g.group_name, count(*) filter (where r.is_yes) as yes_rsvps
from rsvps r
join events e using (event_id)
join groups g using (group_id)
group by all
order by yes_rsvps desc
limit 10`;

/** The whole page. `batch` fills the batch panels so they show without JavaScript. */
export function renderPage(batch: BatchPanels): string {
  const kpis = KPIS.map(
    ([id, label]) =>
      `<div class="kpi"><span class="kpi-value" id="kpi-${id}">–</span><span class="kpi-label">${label}</span></div>`,
  ).join("");
  const jump = `<button type="button" data-action="jump-live" hidden>Jump to live</button>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meetup Trends</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/uplot/uPlot.min.css">
<link rel="stylesheet" href="/assets/style.css">
<link rel="preload" as="script" href="/vendor/plotly/plotly.min.js">
<script defer src="/vendor/uplot/uPlot.iife.min.js"></script>
<script defer src="/assets/app.js" data-plotly="/vendor/plotly/plotly.min.js"></script>
</head>
<body>
<header class="top">
<h1>Meetup Trends</h1>
<div class="controls">
<span id="connection" class="connection connecting" role="status" aria-live="polite"><span class="dot"></span><span id="connection-text">connecting</span></span>
<button type="button" id="pause" aria-pressed="false">Pause</button>
</div>
</header>
<main>
<section class="kpis" aria-label="Key figures">${kpis}</section>
<section class="grid" aria-label="Live">
${livePanel("rate", "RSVPs per second, last 10 minutes", jump, "wide")}
${livePanel("top-events", "Top events, last 5 minutes")}
${livePanel("totals", "Yes / no, since start")}
${livePanel("topics", "Trending topics, last 5 minutes")}
${livePanel("map", "Recent RSVPs", "", "wide")}
</section>
<h2 class="section">Batch layer</h2>
<section class="grid" aria-label="Batch">
${batch.panels.map(batchPanel).join("\n")}
${dendrogramPanel(batch)}
</section>
<h2 class="section">Pipeline health <span class="ago" id="health-ago"></span></h2>
<section class="panel" id="health" aria-label="Pipeline health"><div class="body" id="health-body"><p class="empty">Waiting for the first poll of Kafka…</p></div></section>
<h2 class="section">Query the 3NF tables</h2>
<section class="panel" id="query" aria-label="Query">
<form id="query-form">
<label for="query-sql">Read-only SQL (DuckDB) over members, groups, topics, group_topics, venues, events, rsvps</label>
<textarea id="query-sql" name="sql" rows="7" spellcheck="false">${escapeHtml(EXAMPLE_SQL)}</textarea>
<div class="query-actions"><button type="submit" id="query-run">Run</button>
<span id="query-status" role="status" aria-live="polite"></span>
<button type="button" id="query-csv" hidden>CSV</button></div>
</form>
<div id="query-message" class="error" role="alert" hidden></div>
<div id="query-result"></div>
</section>
</main>
<footer>Live: stats topic over Server-Sent Events. Batch: DuckDB over the lake's 3NF Parquet. Everything is served from this machine.</footer>
</body>
</html>`;
}
