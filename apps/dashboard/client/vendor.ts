/**
 * Typed handles on the two libraries the page loads as plain scripts from /vendor (uPlot's and
 * Plotly's browser builds define globals). Plotly ships no types; the few calls used are typed
 * here.
 */
import type UPlot from "uplot";

/** The uPlot constructor (`window.uPlot`). */
export type UPlotConstructor = typeof UPlot;

/** A Plotly graph div: Plotly keeps the rendered traces on the element. */
export interface PlotlyElement extends HTMLElement {
  data?: { x?: unknown[]; y?: unknown[]; lat?: unknown[]; values?: unknown[] }[];
}

/** The subset of Plotly's API the dashboard uses. */
export interface PlotlyApi {
  react(
    element: HTMLElement,
    data: Record<string, unknown>[],
    layout: Record<string, unknown>,
    config: Record<string, unknown>,
  ): Promise<unknown>;
  downloadImage(element: HTMLElement, options: Record<string, unknown>): Promise<unknown>;
  Plots: { resize(element: HTMLElement): void };
}

const globals = globalThis as unknown as { uPlot?: UPlotConstructor; Plotly?: PlotlyApi };

/** uPlot, or a clear error when its script did not load. */
export function uPlotConstructor(): UPlotConstructor {
  if (globals.uPlot === undefined) throw new Error("uPlot did not load from /vendor/uplot");
  return globals.uPlot;
}

/**
 * True once Plotly's script has run. Plotly is 4.6 MB of JavaScript: it is preloaded by the
 * page but run only after the live chart has drawn (see {@linkcode loadPlotly}), so compiling
 * it never delays the first live point; the Plotly panels draw as soon as it is there.
 */
export function plotlyReady(): boolean {
  return globals.Plotly !== undefined;
}

const plotlyWaiters: (() => void)[] = [];

/** Adds Plotly's script (its URL is the app script's `data-plotly`) once; idempotent. */
export function loadPlotly(): void {
  if (plotlyReady() || document.getElementById("plotly-script") !== null) return;
  const src = document.querySelector<HTMLScriptElement>("script[data-plotly]")?.dataset.plotly;
  if (src === undefined) return;
  const script = document.createElement("script");
  script.id = "plotly-script";
  script.src = src;
  script.addEventListener("load", () => {
    for (const waiter of plotlyWaiters.splice(0)) waiter();
  });
  document.head.append(script);
}

/** Runs `draw` now if Plotly is there, else once it has loaded. */
export function whenPlotlyReady(draw: () => void): void {
  if (plotlyReady()) draw();
  else plotlyWaiters.push(draw);
}

/** Plotly, or a clear error when its script did not load. */
export function plotly(): PlotlyApi {
  if (globals.Plotly === undefined) throw new Error("Plotly did not load from /vendor/plotly");
  return globals.Plotly;
}

export type { UPlot };
