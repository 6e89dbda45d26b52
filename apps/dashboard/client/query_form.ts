/** The query section: sends SQL to `POST /api/query`, shows a table or the error message. */
import type { QueryResult } from "../query.ts";
import { downloadCsv, fileStamp } from "./export.ts";
import { formatNumber, tableHtml } from "./render.ts";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`Cannot find #${id} in the page`);
  return element as T;
}

/** Wires the form; Ctrl/Cmd+Enter runs the query too. */
export function setUpQueryForm(): void {
  const form = byId<HTMLFormElement>("query-form");
  const sql = byId<HTMLTextAreaElement>("query-sql");
  const run = byId<HTMLButtonElement>("query-run");
  const status = byId<HTMLElement>("query-status");
  const message = byId<HTMLElement>("query-message");
  const result = byId<HTMLElement>("query-result");
  const csv = byId<HTMLButtonElement>("query-csv");
  let last: QueryResult | undefined;
  csv.addEventListener("click", () => {
    if (last === undefined) return;
    downloadCsv(
      `query-${fileStamp(Date.now())}`,
      last.columns.map((c) => c.name),
      last.rows,
    );
  });
  sql.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    run.disabled = true;
    status.textContent = "running…";
    message.hidden = true;
    try {
      const response = await fetch("/api/query", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sql: sql.value }),
      });
      const body = (await response.json()) as QueryResult | { error: string };
      if ("error" in body) {
        last = undefined;
        csv.hidden = true;
        status.textContent = "";
        message.textContent = body.error;
        message.hidden = false;
        return;
      }
      last = body;
      csv.hidden = false;
      const cut = body.truncated ? ` (cut at ${formatNumber(body.rowsMax)} rows)` : "";
      status.textContent = `${formatNumber(body.rows.length)} rows in ${body.elapsedMs} ms${cut}`;
      result.innerHTML = tableHtml(
        body.columns.map((c) => c.name),
        body.rows,
      );
    } catch (error) {
      status.textContent = "";
      message.textContent = `The dashboard did not answer: ${(error as Error).message}`;
      message.hidden = false;
    } finally {
      run.disabled = false;
    }
  });
}
