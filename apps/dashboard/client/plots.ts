/**
 * The Plotly charts: top events, the yes/no donut, trending topics, the world map of recent
 * RSVPs (scattergeo on the local topojson) and the dendrogram of the ML stage's clusters.
 */

import type { GeoPoint } from "../../../modules/stats/mod.ts";
import type { Dendrogram } from "../batch.ts";
import type { LiveLatest } from "../live_state.ts";
import { plotly } from "./vendor.ts";

/** Plotly config shared by every chart: local maps, no logo, resize with the page. */
export const PLOT_CONFIG = {
  responsive: true,
  displaylogo: false,
  topojsonURL: "/vendor/topojson/",
  modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"],
};

const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12 };
const YES = "#1a7f37";
const NO = "#cf222e";

function barLayout(): Record<string, unknown> {
  return {
    margin: { l: 8, r: 16, t: 8, b: 32 },
    font: FONT,
    xaxis: { rangemode: "tozero", fixedrange: true },
    yaxis: { automargin: true, autorange: "reversed", fixedrange: true },
    height: 300,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
  };
}

/** Shortens a label for an axis; the full text stays in the hover. */
function short(text: string, charsMax = 38): string {
  return text.length > charsMax ? `${text.slice(0, charsMax - 1)}…` : text;
}

/** Fewer label characters on a narrow chart, so the bars keep their room. */
function labelChars(element: HTMLElement): number {
  return element.clientWidth < 420 ? 20 : 38;
}

/** Top events by "yes" RSVPs in the window (horizontal bars, biggest on top). */
export function renderTopEvents(element: HTMLElement, latest: LiveLatest): Promise<unknown> {
  const events = latest.topEvents;
  return plotly().react(
    element,
    [
      {
        type: "bar",
        orientation: "h",
        x: events.map((e) => e.yes),
        y: events.map((e, i) => `${i + 1}. ${short(e.name, labelChars(element))}`),
        hovertext: events.map((e) => e.name),
        hovertemplate: "%{hovertext}<br>%{x} yes<extra></extra>",
        marker: { color: YES },
      },
    ],
    barLayout(),
    PLOT_CONFIG,
  );
}

/** Running yes/no totals (donut). */
export function renderTotals(element: HTMLElement, latest: LiveLatest): Promise<unknown> {
  return plotly().react(
    element,
    [
      {
        type: "pie",
        hole: 0.55,
        labels: ["yes", "no"],
        values: [latest.totals.yes, latest.totals.no],
        marker: { colors: [YES, NO] },
        sort: false,
        textinfo: "label+percent",
        hovertemplate: "%{label}: %{value}<extra></extra>",
      },
    ],
    {
      margin: { l: 8, r: 8, t: 8, b: 8 },
      font: FONT,
      height: 300,
      showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)",
    },
    PLOT_CONFIG,
  );
}

/** Trending topics by RSVPs in the window. */
export function renderTopics(element: HTMLElement, latest: LiveLatest): Promise<unknown> {
  const topics = latest.topTopics;
  return plotly().react(
    element,
    [
      {
        type: "bar",
        orientation: "h",
        x: topics.map((t) => t.count),
        y: topics.map((t) => short(t.name, labelChars(element))),
        hovertext: topics.map((t) => `${t.name} (${t.urlkey})`),
        hovertemplate: "%{hovertext}<br>%{x} RSVPs<extra></extra>",
        marker: { color: "#0969da" },
      },
    ],
    barLayout(),
    PLOT_CONFIG,
  );
}

/** Recent RSVPs on a world map, yes and no as two traces. */
export function renderMap(element: HTMLElement, points: readonly GeoPoint[]): Promise<unknown> {
  const trace = (response: "yes" | "no", color: string) => {
    const chosen = points.filter((p) => p.response === response);
    return {
      type: "scattergeo",
      mode: "markers",
      name: response,
      lat: chosen.map((p) => p.lat),
      lon: chosen.map((p) => p.lon),
      text: chosen.map((p) => p.eventName),
      hovertemplate: `%{text}<extra>${response}</extra>`,
      marker: { size: 6, color, opacity: 0.75, line: { width: 0 } },
    };
  };
  return plotly().react(
    element,
    [trace("yes", YES), trace("no", NO)],
    {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      font: FONT,
      height: element.clientWidth < 500 ? 260 : 420,
      legend: { orientation: "h", x: 0, y: 0 },
      uirevision: "map",
      geo: {
        // A fixed world view: left to itself Plotly re-centres on wherever the first points are.
        projection: { type: "natural earth", rotation: { lon: 0 } },
        center: { lon: 0, lat: 15 },
        lonaxis: { range: [-180, 180] },
        lataxis: { range: [-58, 85] },
        showland: true,
        landcolor: "#eef1f4",
        showcountries: true,
        countrycolor: "#c9d1d9",
        showocean: true,
        oceancolor: "#f8fbff",
        coastlinecolor: "#afb8c1",
        resolution: 110,
      },
      paper_bgcolor: "rgba(0,0,0,0)",
    },
    PLOT_CONFIG,
  );
}

/** Leaf order and node positions of a scipy-style linkage (iterative, no deep recursion). */
export function dendrogramLines(dendrogram: Dendrogram): {
  x: (number | null)[];
  y: (number | null)[];
  leaves: number[];
} {
  const leafCount = dendrogram.labels.length;
  const position = new Map<number, { x: number; y: number }>();
  const leaves: number[] = [];
  const root = leafCount + dendrogram.linkage.length - 1;
  const stack: { node: number; expanded: boolean }[] = [{ node: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.node < leafCount) {
      position.set(top.node, { x: leaves.length * 10 + 5, y: 0 });
      leaves.push(top.node);
      continue;
    }
    const [left, right, distance] = dendrogram.linkage[top.node - leafCount]!;
    if (!top.expanded) {
      stack.push(
        { node: top.node, expanded: true },
        { node: right, expanded: false },
        { node: left, expanded: false },
      );
      continue;
    }
    const a = position.get(left)!;
    const b = position.get(right)!;
    position.set(top.node, { x: (a.x + b.x) / 2, y: distance });
  }
  const x: (number | null)[] = [];
  const y: (number | null)[] = [];
  dendrogram.linkage.forEach(([left, right, distance]) => {
    const a = position.get(left)!;
    const b = position.get(right)!;
    x.push(a.x, a.x, b.x, b.x, null);
    y.push(a.y, distance, distance, b.y, null);
  });
  return { x, y, leaves };
}

/** The dendrogram as line segments; leaf labels when there are few enough to read. */
export function renderDendrogram(element: HTMLElement, dendrogram: Dendrogram): Promise<unknown> {
  const { x, y, leaves } = dendrogramLines(dendrogram);
  const labelled = leaves.length <= 80;
  return plotly().react(
    element,
    [
      {
        type: "scatter",
        mode: "lines",
        x,
        y,
        line: { color: "#57606a", width: 1 },
        hoverinfo: "skip",
      },
    ],
    {
      margin: { l: 48, r: 8, t: 8, b: labelled ? 120 : 24 },
      font: FONT,
      height: 360,
      showlegend: false,
      xaxis: {
        tickvals: labelled ? leaves.map((_, i) => i * 10 + 5) : [],
        ticktext: labelled ? leaves.map((leaf) => short(dendrogram.labels[leaf] ?? "", 24)) : [],
        tickangle: -60,
        zeroline: false,
        showgrid: false,
      },
      yaxis: { title: { text: "Jaccard distance" }, rangemode: "tozero" },
      paper_bgcolor: "rgba(0,0,0,0)",
    },
    PLOT_CONFIG,
  );
}
