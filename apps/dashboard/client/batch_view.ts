/** The batch panels in the page: refreshed from `/api/batch` when the server says they changed. */
import type { BatchPanels } from "../batch.ts";
import { renderDendrogram } from "./plots.ts";
import { asOfText, batchPanelBody } from "./render.ts";
import { whenPlotlyReady } from "./vendor.ts";

/** Keeps the latest batch answer (for CSV export) and updates the panels' DOM. */
export class BatchView {
  #computedAt = 0;
  #loading = false;
  data: BatchPanels | undefined;

  /** Fetches and renders when `computedAt` differs from what is shown (0 = always). */
  async refresh(computedAt = 0): Promise<void> {
    if (this.#loading || (computedAt !== 0 && computedAt === this.#computedAt)) return;
    this.#loading = true;
    try {
      const response = await fetch("/api/batch");
      if (!response.ok) return;
      const batch = (await response.json()) as BatchPanels;
      this.#computedAt = batch.computedAt;
      this.data = batch;
      this.#render(batch);
    } finally {
      this.#loading = false;
    }
  }

  #render(batch: BatchPanels): void {
    for (const panel of batch.panels) {
      const element = document.getElementById(`panel-${panel.id}`);
      if (element === null) continue;
      const body = element.querySelector<HTMLElement>("[data-body]");
      const asOf = element.querySelector<HTMLElement>("[data-asof]");
      if (body !== null) body.innerHTML = batchPanelBody(panel);
      if (asOf !== null) asOf.textContent = asOfText(panel.asOf);
    }
    const dendrogram = document.getElementById("panel-dendrogram");
    const chart = document.getElementById("chart-dendrogram");
    if (dendrogram === null || chart === null) return;
    const asOf = dendrogram.querySelector<HTMLElement>("[data-asof]");
    const body = dendrogram.querySelector<HTMLElement>("[data-body]");
    if (asOf !== null) asOf.textContent = asOfText(batch.dendrogram?.asOf ?? null);
    if (batch.dendrogram === null) {
      if (body !== null) body.innerHTML = `<p class="empty"></p>`;
      body?.querySelector("p")?.append(batch.dendrogramEmpty);
      chart.hidden = true;
      return;
    }
    if (body !== null) body.innerHTML = "";
    chart.hidden = false;
    const dendrogramData = batch.dendrogram;
    whenPlotlyReady(() => void renderDendrogram(chart, dendrogramData));
  }
}
