/**
 * The batch panels: results of the batch layer (3NF Parquet from the ETL, clusters from the
 * ML stage) computed with DuckDB, each with an "as of" stamp (the newest input file's mtime)
 * and, when its inputs do not exist yet, an empty state that says how to produce them.
 * Recomputed only when an input file changed.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBInstance, JsonDuckDBValueConverter } from "@duckdb/node-api";
import {
  findTables,
  openLockedDuckDB,
  syncViews,
  TABLES_3NF,
  type TableFiles,
} from "./lake_tables.ts";
import { firstLines } from "./query.ts";

/** One panel as sent to browsers. */
export interface BatchPanel {
  id: string;
  title: string;
  /** Newest input's mtime (epoch ms), or null when there is no data. */
  asOf: number | null;
  columns: string[];
  rows: unknown[][];
  /** Set when the inputs are missing: how to produce them. */
  empty?: string;
  /** Set when the inputs exist but the computation failed (one line). */
  error?: string;
}

/** A scipy-style linkage: `[left, right, distance, size]` rows over `labels`. */
export interface Dendrogram {
  asOf: number;
  labels: string[];
  linkage: [number, number, number, number][];
}

/** Everything the batch section shows (`GET /api/batch`). */
export interface BatchPanels {
  computedAt: number;
  panels: BatchPanel[];
  dendrogram: Dendrogram | null;
  /** How to produce a dendrogram when there is none. */
  dendrogramEmpty: string;
}

interface PanelSpec {
  id: string;
  title: string;
  file: string;
  needs: readonly string[];
  empty: string;
}

const ETL_HINT =
  "No 3NF tables yet: run `make etl` (the batch layer writes <LAKE_DIR>/3nf/*.parquet).";
const ML_HINT =
  "No clusters yet: run the ML stage (`make ml`), which writes <LAKE_DIR>/ml/group_clusters.parquet (group_id, cluster).";
const DENDROGRAM_HINT =
  "No dendrogram yet: run the ML stage (`make ml`), which writes <LAKE_DIR>/ml/dendrogram.json ({labels, linkage}).";

const PANELS: readonly PanelSpec[] = [
  {
    id: "top-members",
    title: "Top members",
    file: "top_members.sql",
    needs: ["rsvps", "members"],
    empty: ETL_HINT,
  },
  {
    id: "top-groups",
    title: "Top groups",
    file: "top_groups.sql",
    needs: ["rsvps", "events", "groups"],
    empty: ETL_HINT,
  },
  {
    id: "top-topics",
    title: "Top topics",
    file: "top_topics.sql",
    needs: ["rsvps", "events", "group_topics", "topics"],
    empty: ETL_HINT,
  },
  {
    id: "cluster-summary",
    title: "Clusters of groups",
    file: "cluster_summary.sql",
    needs: ["group_clusters", "group_topics", "topics"],
    empty: ML_HINT,
  },
];

/** Rows per panel at most (the SQL files limit themselves; this is the backstop). */
const PANEL_ROWS_MAX = 100;
/** A dendrogram file larger than this is not read. */
const DENDROGRAM_BYTES_MAX = 8 * 1024 * 1024;

/** Computes and caches the batch panels. */
export class BatchPanelsService {
  #instance: DuckDBInstance;
  #lakeDir: string;
  #signature = "";
  #cached: BatchPanels | undefined;
  #sql = new Map<string, string>();

  private constructor(instance: DuckDBInstance, lakeDir: string) {
    this.#instance = instance;
    this.#lakeDir = lakeDir;
    for (const panel of PANELS) {
      this.#sql.set(panel.id, readFileSync(join(import.meta.dir, "panels", panel.file), "utf8"));
    }
  }

  /** Opens a locked-down engine that reads only `lakeDir`. */
  static async open(lakeDir: string, memoryMbMax: number): Promise<BatchPanelsService> {
    const instance = await openLockedDuckDB({ allowedDirectories: [lakeDir], memoryMbMax });
    return new BatchPanelsService(instance, lakeDir);
  }

  /** The panels, recomputed when an input changed since the last call. */
  async panels(now: number): Promise<BatchPanels> {
    const tables = [
      ...findTables(join(this.#lakeDir, "3nf")),
      ...findTables(join(this.#lakeDir, "ml"), ["group_clusters"]),
    ];
    const dendrogramPath = join(this.#lakeDir, "ml", "dendrogram.json");
    const dendrogramMtime = existsSync(dendrogramPath) ? statSync(dendrogramPath).mtimeMs : 0;
    const signature = `${tables.map((t) => `${t.table}:${t.modifiedAt}`).join("|")}|${dendrogramMtime}`;
    if (this.#cached !== undefined && signature === this.#signature) return this.#cached;
    const connection = await this.#instance.connect();
    try {
      await syncViews(connection, tables, [...TABLES_3NF, "group_clusters"]);
      const panels: BatchPanel[] = [];
      for (const spec of PANELS) panels.push(await this.#panel(connection, spec, tables));
      this.#cached = {
        computedAt: now,
        panels,
        dendrogram: readDendrogram(dendrogramPath, dendrogramMtime),
        dendrogramEmpty: DENDROGRAM_HINT,
      };
      this.#signature = signature;
      return this.#cached;
    } finally {
      connection.closeSync();
    }
  }

  /** Releases the engine. */
  close(): void {
    this.#instance.closeSync();
  }

  async #panel(
    connection: Awaited<ReturnType<DuckDBInstance["connect"]>>,
    spec: PanelSpec,
    tables: readonly TableFiles[],
  ): Promise<BatchPanel> {
    const inputs = spec.needs.map((name) => tables.find((t) => t.table === name));
    const base = { id: spec.id, title: spec.title, columns: [], rows: [] };
    if (inputs.some((input) => input === undefined)) {
      return { ...base, asOf: null, empty: spec.empty };
    }
    const asOf = Math.max(...inputs.map((input) => input?.modifiedAt ?? 0));
    try {
      const reader = await connection.runAndReadUntil(this.#sql.get(spec.id) ?? "", PANEL_ROWS_MAX);
      const rows = reader.convertRows(JsonDuckDBValueConverter).slice(0, PANEL_ROWS_MAX);
      return { ...base, asOf, columns: reader.columnNames(), rows };
    } catch (error) {
      return { ...base, asOf, error: firstLines(error, 1) };
    }
  }
}

/** Reads and checks the ML stage's dendrogram file; `null` when absent or malformed. */
function readDendrogram(path: string, mtime: number): Dendrogram | null {
  if (mtime === 0 || statSync(path).size > DENDROGRAM_BYTES_MAX) return null;
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<Dendrogram>;
    const labels = value.labels;
    const linkage = value.linkage;
    if (!Array.isArray(labels) || !Array.isArray(linkage)) return null;
    if (linkage.length !== labels.length - 1) return null;
    const valid = linkage.every(
      (row) => Array.isArray(row) && row.length === 4 && row.every((x) => Number.isFinite(x)),
    );
    return valid ? { asOf: mtime, labels: labels.map(String), linkage } : null;
  } catch {
    return null;
  }
}
