import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";
import { DuckDBRunner, type DuckDBRunnerOptions, type SqlRow } from "../../modules/lake/mod.ts";
import { type CheckResult, TABLES, type TableChecksum, type TableName } from "./tables.ts";

/** The numbered DuckDB steps, run in this order against the lake's state database. */
export const ETL_SQL_DIR: string = join(PROJECT_ROOT, "sql/etl");

/** The state database of a lake: staged objects, typed versions and rejects. */
export function stateDatabasePath(lakeDir: string): string {
  return join(lakeDir, "etl", "state.duckdb");
}

/** Where the 3NF Parquet file of `table` lives. */
export function parquetPath(lakeDir: string, table: TableName): string {
  return join(lakeDir, "3nf", `${table}.parquet`);
}

/** The layout version of the state database that `01_stage_raw.sql` creates and checks. */
export const STATE_VERSION = 2;

/**
 * Opens the lake's state database. One of another layout version (an older release) is deleted
 * and started afresh: it is only a cache of `raw/`, and the next staging rebuilds it.
 *
 * @returns The runner, and whether an outdated state was discarded.
 */
export async function openState(
  lakeDir: string,
  options: DuckDBRunnerOptions = {},
): Promise<{ runner: DuckDBRunner; discarded: boolean }> {
  const path = stateDatabasePath(lakeDir);
  const runner = await DuckDBRunner.open(path, options);
  const [row] = await runner.query(
    `select
      (select count(*) from duckdb_tables() where table_name = 'raw_objects') as staged,
      (select count(*) from duckdb_tables() where table_name = 'state_version') as versioned`,
  );
  let version = 0;
  if (Number(row?.versioned) > 0) {
    const [versionRow] = await runner.query("select max(version) as version from state_version");
    version = Number(versionRow?.version);
  }
  if (version === STATE_VERSION || (version === 0 && Number(row?.staged) === 0)) {
    return { runner, discarded: false };
  }
  runner.close();
  await rm(path, { force: true });
  await rm(`${path}.wal`, { force: true });
  return { runner: await DuckDBRunner.open(path, options), discarded: true };
}

/** The directories the SQL files write into (DuckDB's COPY does not create them). */
export async function prepareLake(lakeDir: string): Promise<void> {
  await mkdir(join(lakeDir, "etl"), { recursive: true });
  await mkdir(join(lakeDir, "3nf"), { recursive: true });
}

/** What staging the raw lake did (summed over the batches of `01_stage_raw.sql`). */
export interface StageResult {
  objectsStaged: number;
  linesStaged: number;
  linesRejected: number;
  objectsTotal: number;
  batches: number;
  durationMs: number;
}

/** Options shared by the steps. */
export interface StepOptions {
  signal?: AbortSignal;
}

/** Options for {@linkcode stageRaw}. */
export interface StageOptions extends StepOptions {
  /** Raw bytes staged per batch (at least one object), which bounds DuckDB's memory. @default {512 MiB} */
  batchBytesMax?: number;
  /** Called after each batch with the totals so far and the objects still pending. */
  onBatch?: (soFar: StageResult, objectsPending: number) => void;
}

/**
 * A bound on batches per run, far above what a lake needs (each batch stages at least one
 * object); it stops a run that objects keep arriving under from going on forever.
 */
const STAGE_BATCHES_MAX = 100_000;

/**
 * Stages new and changed raw objects: `sql/etl/01_stage_raw.sql`, repeated batch by batch until
 * no object is pending.
 */
export async function stageRaw(
  runner: DuckDBRunner,
  lakeDir: string,
  options: StageOptions = {},
): Promise<StageResult> {
  const { batchBytesMax = 512 * 1024 * 1024, signal, onBatch } = options;
  const started = performance.now();
  const total: StageResult = {
    objectsStaged: 0,
    linesStaged: 0,
    linesRejected: 0,
    objectsTotal: 0,
    batches: 0,
    durationMs: 0,
  };
  for (let pending = 1; pending > 0 && total.batches < STAGE_BATCHES_MAX; ) {
    const result = await runner.runFile(join(ETL_SQL_DIR, "01_stage_raw.sql"), {
      variables: { lake_dir: lakeDir, stage_bytes_max: batchBytesMax },
      signal,
    });
    const row = onlyRow(result.rows, "01_stage_raw.sql");
    total.objectsStaged += Number(row.objects_staged);
    total.linesStaged += Number(row.lines_staged);
    total.linesRejected += Number(row.lines_rejected);
    total.objectsTotal = Number(row.objects_total);
    total.batches++;
    total.durationMs = performance.now() - started;
    pending = Number(row.objects_pending);
    onBatch?.({ ...total }, pending);
  }
  return total;
}

/** The model file that writes each table. */
export const MODEL_FILES: Readonly<Record<TableName, string>> = {
  topics: "02_topics.sql",
  groups: "03_groups.sql",
  group_topics: "04_group_topics.sql",
  members: "05_members.sql",
  venues: "06_venues.sql",
  events: "07_events.sql",
  rsvps: "08_rsvps.sql",
};

/**
 * Rebuilds every 3NF Parquet file from the staged versions, in foreign-key order. Each file is
 * written to a temporary name and renamed over the old one, so readers never see half of it.
 */
export async function buildTables(
  runner: DuckDBRunner,
  lakeDir: string,
  options: StepOptions & { onTable?: (table: TableName, durationMs: number) => void } = {},
): Promise<void> {
  for (const table of TABLES) {
    const result = await runner.runFile(join(ETL_SQL_DIR, MODEL_FILES[table]), {
      variables: { lake_dir: lakeDir },
      signal: options.signal,
    });
    options.onTable?.(table, result.durationMs);
  }
}

/** Row counts, duplicate keys, orphan keys and the rsvp_id count: `09_checks.sql`. */
export async function lakeChecks(
  runner: DuckDBRunner,
  lakeDir: string,
  options: StepOptions = {},
): Promise<CheckResult[]> {
  const result = await runner.runFile(join(ETL_SQL_DIR, "09_checks.sql"), {
    variables: { lake_dir: lakeDir },
    signal: options.signal,
  });
  return result.rows.map((row) => ({
    name: String(row.check_name),
    value: Number(row.value),
    expected: row.expected === null ? undefined : Number(row.expected),
    ok: row.is_ok === true,
  }));
}

/** One checksum per table over the Parquet files: `10_checksums.sql`. */
export async function lakeChecksums(
  runner: DuckDBRunner,
  lakeDir: string,
  options: StepOptions = {},
): Promise<Map<TableName, TableChecksum>> {
  const result = await runner.runFile(join(ETL_SQL_DIR, "10_checksums.sql"), {
    variables: { lake_dir: lakeDir },
    signal: options.signal,
  });
  return checksumMap(result.rows);
}

/** Turns `table_name, row_count, checksum` rows into a map with every table (empty ones as 0). */
export function checksumMap(rows: readonly SqlRow[]): Map<TableName, TableChecksum> {
  const byTable = new Map(rows.map((row) => [String(row.table_name), row]));
  return new Map(
    TABLES.map((table) => {
      const row = byTable.get(table);
      return [table, { rows: Number(row?.row_count ?? 0), checksum: String(row?.checksum ?? "0") }];
    }),
  );
}

function onlyRow(rows: readonly SqlRow[], file: string): SqlRow {
  const [row] = rows;
  if (rows.length !== 1 || row === undefined) {
    throw new Error(`Cannot read the result of ${file}: expected 1 row, got ${rows.length}`);
  }
  return row;
}
