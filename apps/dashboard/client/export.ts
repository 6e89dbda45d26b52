/** Per-chart downloads: CSV built from the panel's data, PNG from its canvas or Plotly. */

/** One CSV field, quoted when needed (RFC 4180). */
function csvField(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ""
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV text with a header line. */
export function toCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows) lines.push(row.map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Saves a Blob under `filename` through a temporary link. */
export function download(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves CSV text. */
export function downloadCsv(
  name: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): void {
  download(`${name}.csv`, new Blob([toCsv(columns, rows)], { type: "text/csv;charset=utf-8" }));
}

/** Saves a canvas as PNG on a white background (uPlot draws on a transparent one). */
export function downloadCanvasPng(name: string, canvas: HTMLCanvasElement): void {
  const copy = document.createElement("canvas");
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext("2d");
  if (context === null) return;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, copy.width, copy.height);
  context.drawImage(canvas, 0, 0);
  copy.toBlob((blob) => {
    if (blob !== null) download(`${name}.png`, blob);
  }, "image/png");
}

/** A file-name-safe stamp: `2026-05-01T12-00-00Z`. */
export function fileStamp(now: number): string {
  return `${new Date(now).toISOString().slice(0, 19).replaceAll(":", "-")}Z`;
}
