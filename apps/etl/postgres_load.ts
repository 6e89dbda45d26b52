import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";
import type { DuckDBRunner } from "../../modules/lake/mod.ts";
import type { Sql } from "../../modules/pg/mod.ts";
import { checksumMap, parquetPath } from "./duckdb_steps.ts";
import { type CheckResult, TABLES, type TableChecksum, type TableName } from "./tables.ts";

/** The PostgreSQL side: migrations (`NNN_*.sql`), the load, the checks and checksums. */
export const POSTGRES_SQL_DIR: string = join(PROJECT_ROOT, "sql/postgres");

/** One connection held for the whole load (a transaction and `search_path` live on it). */
export type PgConnection = Awaited<ReturnType<Sql["reserve"]>>;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MIGRATION = /^(\d{3})_([a-z0-9_]+)\.sql$/;
/** Any fixed number: it only has to be the same for every process migrating this database. */
const MIGRATION_LOCK_ID = 7_202_017;

/**
 * Splits one of our SQL files into statements. They end with `;` at the end of a line (the
 * files keep it so), which spares a SQL parser here; comment-only pieces are dropped.
 */
export function sqlStatements(text: string): string[] {
  return text
    .split(/;[ \t]*$/m)
    .map((piece) => piece.trim())
    .filter((piece) => piece.split("\n").some((line) => !/^\s*(--.*)?$/.test(line)));
}

async function runFile(conn: PgConnection, file: string): Promise<number[]> {
  const counts: number[] = [];
  for (const statement of sqlStatements(await readFile(join(POSTGRES_SQL_DIR, file), "utf8"))) {
    try {
      counts.push((await conn.unsafe(statement)).count ?? 0);
    } catch (error) {
      const head = statement.split("\n").find((line) => !line.startsWith("--")) ?? statement;
      throw new Error(`Cannot run sql/postgres/${file} at "${head}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return counts;
}

/** Creates `schema` if needed and makes it the connection's `search_path`. */
export async function useSchema(conn: PgConnection, schema: string): Promise<void> {
  if (!IDENTIFIER.test(schema)) {
    throw new TypeError(
      `Cannot use PostgreSQL schema as its name is invalid: current value is ${schema}`,
    );
  }
  await conn.unsafe(`create schema if not exists "${schema}"`);
  await conn.unsafe(`set search_path to "${schema}"`);
}

/** What {@linkcode migrate} did. */
export interface MigrateResult {
  /** The schema version after migrating. */
  version: number;
  /** Migrations applied by this call, e.g. `["001_3nf_schema"]`. */
  applied: string[];
}

/**
 * Applies the migrations `sql/postgres/NNN_name.sql` not yet recorded in `schema_version`, in
 * order, in one transaction under an advisory lock (two processes cannot both apply one).
 */
export async function migrate(conn: PgConnection): Promise<MigrateResult> {
  await runFile(conn, "schema_version.sql");
  const files = (await readdir(POSTGRES_SQL_DIR)).filter((name) => MIGRATION.test(name)).sort();
  const applied: string[] = [];
  await conn.unsafe("begin");
  try {
    await conn.unsafe(`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    const done = new Set(
      (await conn.unsafe("select version from schema_version")).map((row) => Number(row.version)),
    );
    for (const file of files) {
      const [, number, name] = MIGRATION.exec(file) as RegExpExecArray;
      if (done.has(Number(number))) continue;
      await runFile(conn, file);
      await conn.unsafe("insert into schema_version (version, name) values ($1, $2)", [
        Number(number),
        name as string,
      ]);
      applied.push(file.replace(/\.sql$/, ""));
    }
    const [row] = await conn.unsafe(
      "select coalesce(max(version), 0) as version from schema_version",
    );
    await conn.unsafe("commit");
    return { version: Number(row?.version), applied };
  } catch (error) {
    await conn.unsafe("rollback").catch(() => {});
    throw error;
  }
}

/** Per table: rows copied in, rows inserted or changed, rows deleted. */
export interface TableLoad {
  copied: number;
  upserted: number;
  deleted: number;
}

/** What {@linkcode loadTables} did. */
export interface LoadResult {
  tables: Map<TableName, TableLoad>;
  rowsCopied: number;
  durationMs: number;
}

/**
 * Loads the 3NF Parquet files into PostgreSQL in one transaction: DuckDB writes each table as
 * CSV, `COPY ... FROM STDIN` puts it into a temporary staging table, then `load_upsert.sql`
 * inserts and updates in foreign-key order and deletes what the Parquet no longer holds. A
 * failure rolls everything back: readers see the previous load or this one, whole.
 */
export async function loadTables(
  conn: PgConnection,
  runner: DuckDBRunner,
  lakeDir: string,
  options: { signal?: AbortSignal } = {},
): Promise<LoadResult> {
  const started = performance.now();
  const csvDir = await mkdtemp(join(lakeDir, "etl", "load-"));
  try {
    const columns = await exportCsv(runner, lakeDir, csvDir, options.signal);
    await conn.unsafe("begin");
    try {
      await runFile(conn, "load_stage.sql");
      const copied = new Map<TableName, number>();
      for (const table of TABLES) {
        options.signal?.throwIfAborted();
        copied.set(table, await copyCsv(conn, table, columns.get(table) ?? [], csvDir));
      }
      const counts = await runFile(conn, "load_upsert.sql");
      await conn.unsafe("commit");
      return {
        tables: tableLoads(copied, counts),
        rowsCopied: [...copied.values()].reduce((sum, n) => sum + n, 0),
        durationMs: performance.now() - started,
      };
    } catch (error) {
      await conn.unsafe("rollback").catch(() => {});
      throw error;
    }
  } finally {
    await rm(csvDir, { recursive: true, force: true });
  }
}

async function exportCsv(
  runner: DuckDBRunner,
  lakeDir: string,
  csvDir: string,
  signal: AbortSignal | undefined,
): Promise<Map<TableName, string[]>> {
  const columns = new Map<TableName, string[]>();
  for (const table of TABLES) {
    const source = quote(parquetPath(lakeDir, table));
    const described = await runner.query(`describe select * from read_parquet(${source})`);
    columns.set(
      table,
      described.map((row) => String(row.column_name)),
    );
    await runner.query(
      `copy (select * from read_parquet(${source})) to ${quote(join(csvDir, `${table}.csv`))} (format csv, header false)`,
      { signal },
    );
  }
  return columns;
}

async function copyCsv(
  conn: PgConnection,
  table: TableName,
  columns: readonly string[],
  csvDir: string,
): Promise<number> {
  for (const column of columns) {
    if (!IDENTIFIER.test(column)) {
      throw new TypeError(
        `Cannot load ${table} as a column name is invalid: current value is ${column}`,
      );
    }
  }
  const list = columns.map((column) => `"${column}"`).join(", ");
  const writable = await conn
    .unsafe(`copy stage_${table} (${list}) from stdin with (format csv)`)
    .writable();
  await pipeline(createReadStream(join(csvDir, `${table}.csv`)), writable);
  const [row] = await conn.unsafe(`select count(*) as n from stage_${table}`);
  return Number(row?.n);
}

/** `load_upsert.sql` runs `analyze`, then one upsert per table, then one delete per table. */
function tableLoads(
  copied: Map<TableName, number>,
  counts: readonly number[],
): Map<TableName, TableLoad> {
  const upserts = counts.slice(1, 1 + TABLES.length);
  const deletes = counts.slice(1 + TABLES.length).reverse();
  return new Map(
    TABLES.map((table, index) => [
      table,
      {
        copied: copied.get(table) ?? 0,
        upserted: upserts[index] ?? 0,
        deleted: deletes[index] ?? 0,
      },
    ]),
  );
}

/** Row counts and orphan foreign keys in PostgreSQL: `sql/postgres/checks.sql`. */
export async function postgresChecks(conn: PgConnection): Promise<CheckResult[]> {
  const text = await readFile(join(POSTGRES_SQL_DIR, "checks.sql"), "utf8");
  const rows = await conn.unsafe(text);
  return rows.map((row) => {
    const name = String(row.check_name);
    const value = Number(row.value);
    const expected = name.startsWith("orphans:") ? 0 : undefined;
    return { name, value, expected, ok: expected === undefined || value === expected };
  });
}

/** One checksum per table in PostgreSQL: `sql/postgres/checksums.sql`. */
export async function postgresChecksums(
  conn: PgConnection,
): Promise<Map<TableName, TableChecksum>> {
  const text = await readFile(join(POSTGRES_SQL_DIR, "checksums.sql"), "utf8");
  return checksumMap(await conn.unsafe(text));
}

function quote(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}
