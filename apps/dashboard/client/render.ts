/**
 * HTML fragments shared by the server (first render) and the browser (updates): the batch
 * tables, the pipeline-health tables and small formatters. Pure string functions; every
 * value is escaped.
 */
import type { BatchPanel } from "../batch.ts";
import type { PipelineHealth } from "../pipeline_health.ts";

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A number with thousands separators, or a dash. */
export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** "3 s ago", "4 min ago", "2 h ago", "5 d ago". */
export function formatAgo(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** An ISO-like UTC stamp without milliseconds: `2026-05-01 12:00:00 UTC`. */
export function formatStamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A table of rows; numeric-looking cells are right-aligned. */
export function tableHtml(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): string {
  const head = columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((row) => {
      const cells = row.map((cell) => {
        const text = cell !== null && typeof cell === "object" ? JSON.stringify(cell) : cell;
        const numeric = typeof cell === "number" || /^-?\d+(\.\d+)?$/.test(String(cell ?? ""));
        return `<td${numeric ? ' class="num"' : ""}>${cell === null ? '<span class="null">null</span>' : escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("");
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** The body of one batch panel: its table, its empty state, or its error. */
export function batchPanelBody(panel: BatchPanel): string {
  if (panel.empty !== undefined) return `<p class="empty">${escapeHtml(panel.empty)}</p>`;
  if (panel.error !== undefined) {
    return `<p class="error">Could not compute this panel: ${escapeHtml(panel.error)}</p>`;
  }
  if (panel.rows.length === 0) return `<p class="empty">No rows yet.</p>`;
  return tableHtml(panel.columns, panel.rows);
}

/** The "as of" line of a batch panel. */
export function asOfText(asOf: number | null): string {
  return asOf === null ? "no data" : `as of ${formatStamp(asOf)}`;
}

/** The pipeline-health section's body. */
export function healthHtml(health: PipelineHealth | null): string {
  if (health === null) return `<p class="empty">Waiting for the first poll of Kafka…</p>`;
  const errors = health.errors.length
    ? `<ul class="errors">${health.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul>`
    : "";
  const stages = tableHtml(
    ["stage", "in /s", "out /s", "from"],
    health.stages.map((s) => [
      s.stage,
      formatNumber(s.inPerSecond, 1),
      formatNumber(s.outPerSecond, 1),
      s.source,
    ]),
  );
  const lagRows = health.groups.flatMap((group) =>
    group.partitions.length === 0
      ? [[group.groupId, "–", "–", "–", "–", "no commits yet"]]
      : group.partitions.map((p) => [
          group.groupId,
          `${p.topic}[${p.partition}]`,
          p.committed === null ? "–" : formatNumber(p.committed),
          p.position === null ? "–" : formatNumber(p.position),
          formatNumber(p.high),
          formatNumber(p.lag),
        ]),
  );
  const lag = tableHtml(["group", "partition", "committed", "position", "end", "lag"], lagRows);
  const topics = tableHtml(
    ["topic", "partitions", "last offsets", "messages", "in /s"],
    health.topics.map((t) => [
      t.name,
      t.partitions.length,
      t.partitions.map((p) => (p.high > 0 ? p.high - 1 : "–")).join(", "),
      formatNumber(t.messages),
      formatNumber(t.perSecond, 1),
    ]),
  );
  return `${errors}<div class="health-grid">
<div class="span-2"><h3>Dead letters</h3><p class="big" data-dead-letters>${formatNumber(health.deadLetters)}</p></div>
<div class="span-2"><h3>Messages per second by stage</h3>${stages}</div>
<div class="span-2"><h3>Topics (last offset per partition)</h3>${topics}</div>
<div class="span-2"><h3>Consumer lag by group and partition</h3>${lag}</div>
</div>`;
}
