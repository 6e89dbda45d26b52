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

/** Runs a file's statements in order; returns the rows each wrote, by the table it wrote. */
async function runFile(
  conn: PgConnection,
  file: string,
  skipTables: ReadonlySet<string> = new Set(),
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const statement of sqlStatements(await readFile(join(POSTGRES_SQL_DIR, file), "utf8"))) {
    const table = /^(?:insert into|delete from|update) (\w+)/m.exec(statement)?.[1];
    if (table !== undefined && skipTables.has(table)) continue;
    try {
      const { count } = await conn.unsafe(statement);
      if (table !== undefined) counts.set(table, (counts.get(table) ?? 0) + (count ?? 0));
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

/** Per table: rows copied in, rows inserted or changed, rows deleted, and how. */
export interface TableLoad {
  copied: number;
  upserted: number;
  deleted: number;
  /** Indexes and foreign keys were set aside and rebuilt around the writes. */
  bulk: boolean;
}

/** What {@linkcode loadTables} did. */
export interface LoadResult {
  tables: Map<TableName, TableLoad>;
  rowsCopied: number;
  durationMs: number;
}

/** Options for {@linkcode loadTables}. */
export interface LoadOptions {
  signal?: AbortSignal;
  /**
   * A table takes the bulk path when at least this many of its rows change, and they are at
   * least {@linkcode BULK_LOAD_FRACTION} of it: its secondary indexes and foreign keys are
   * dropped and rebuilt, which costs one sort and one join instead of a lookup per row. The
   * price is an exclusive lock on the table (and its parents) until the load commits.
   * @default {10000}
   */
  bulkRowsMin?: number;
  /** Called as each phase of the load ends (export, copy, changes, upsert, ...). */
  onPhase?: (phase: string, durationMs: number) => void;
}

/** See {@linkcode LoadOptions.bulkRowsMin}. */
export const BULK_LOAD_FRACTION = 0.2;
/** Memory for the load's hash joins and sorts, per operation (`set local`, this load only). */
const LOAD_WORK_MEM = "256MB";
/** Memory for rebuilding an index or validating a foreign key after a bulk load. */
const LOAD_MAINTENANCE_WORK_MEM = "512MB";

/**
 * Loads the 3NF Parquet files into PostgreSQL in one transaction: DuckDB writes each table as
 * CSV, `COPY ... FROM STDIN` puts it into a temporary staging table, `load_changes.sql` keeps
 * the rows that are new or differ, `load_upsert.sql` writes them in foreign-key order and
 * `load_delete.sql` removes what the Parquet no longer holds. A failure rolls everything back:
 * readers see the previous load or this one, whole.
 */
export async function loadTables(
  conn: PgConnection,
  runner: DuckDBRunner,
  lakeDir: string,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const { signal, bulkRowsMin = 10_000 } = options;
  const started = performance.now();
  let phaseStarted = started;
  const phase = (name: string) => {
    const now = performance.now();
    options.onPhase?.(name, now - phaseStarted);
    phaseStarted = now;
  };
  const csvDir = await mkdtemp(join(lakeDir, "etl", "load-"));
  const exports = exportCsv(runner, lakeDir, csvDir, signal);
  try {
    await conn.unsafe("begin");
    try {
      await conn.unsafe(`set local work_mem = '${LOAD_WORK_MEM}'`);
      await conn.unsafe(`set local maintenance_work_mem = '${LOAD_MAINTENANCE_WORK_MEM}'`);
      const copied = await copyIntoStaging(conn, exports, csvDir, signal);
      phase("export and copy into staging");
      const plan = await planChanges(conn, copied, bulkRowsMin);
      phase("find changes");
      const setAside = await dropIndexesAndForeignKeys(conn, plan.bulk);
      signal?.throwIfAborted();
      const written = await runFile(conn, "load_upsert.sql");
      phase("upsert");
      await restore(conn, setAside);
      phase("rebuild indexes and foreign keys");
      const deleted = await runFile(conn, "load_delete.sql", plan.nothingToDelete);
      phase("delete");
      await conn.unsafe("commit");
      phase("commit");
      const tables = new Map(
        TABLES.map((table) => {
          const [copies, upserted, deletes] = [copied, written, deleted].map((m) => m.get(table));
          return [
            table,
            {
              copied: copies ?? 0,
              upserted: upserted ?? 0,
              deleted: deletes ?? 0,
              bulk: plan.bulk.has(table),
            },
          ];
        }),
      );
      return {
        tables,
        rowsCopied: [...copied.values()].reduce((sum, n) => sum + n, 0),
        durationMs: performance.now() - started,
      };
    } catch (error) {
      await conn.unsafe("rollback").catch(() => {});
      throw error;
    }
  } finally {
    // A failed copy leaves later exports running: let them finish before their files go.
    await Promise.allSettled(exports.values());
    await rm(csvDir, { recursive: true, force: true });
  }
}

async function copyIntoStaging(
  conn: PgConnection,
  exports: ReadonlyMap<TableName, Promise<string[]>>,
  csvDir: string,
  signal: AbortSignal | undefined,
): Promise<Map<string, number>> {
  await runFile(conn, "load_stage.sql");
  const copied = new Map<string, number>();
  for (const table of TABLES) {
    // DuckDB writes the next tables' CSV while PostgreSQL reads this one.
    const columns = await exports.get(table)!;
    signal?.throwIfAborted();
    copied.set(table, await copyCsv(conn, table, columns, csvDir));
  }
  return copied;
}

/** Which tables take the bulk path, and which cannot have rows to delete. */
interface ChangePlan {
  bulk: Set<TableName>;
  nothingToDelete: Set<string>;
}

async function planChanges(
  conn: PgConnection,
  copied: ReadonlyMap<string, number>,
  bulkRowsMin: number,
): Promise<ChangePlan> {
  await runFile(conn, "load_changes.sql");
  const plan: ChangePlan = { bulk: new Set(), nothingToDelete: new Set() };
  for (const table of TABLES) {
    const [row] = await conn.unsafe(
      `select (select count(*) from inserts_${table}) as inserts,
        (select count(*) from updates_${table}) as updates,
        (select count(*) from ${table}) as rows`,
    );
    const [inserts, updates, rows] = [row?.inserts, row?.updates, row?.rows].map(Number) as [
      number,
      number,
      number,
    ];
    const changes = inserts + updates;
    const bulk = changes > 0 && changes >= bulkRowsMin && changes >= BULK_LOAD_FRACTION * rows;
    if (bulk) plan.bulk.add(table);
    // Every row of the table is staged (old keys) or about to be inserted: none is stale, and the
    // delete's anti-join over the whole table can be skipped.
    if (rows + inserts === copied.get(table)) plan.nothingToDelete.add(table);
  }
  return plan;
}

/** A statement that recreates what was dropped: an index, or a foreign key. */
type Restore = string;

/**
 * Drops the secondary indexes and outgoing foreign keys of `tables`, and returns the statements
 * that recreate them exactly as they were (read from the catalog, not from our DDL files).
 */
async function dropIndexesAndForeignKeys(
  conn: PgConnection,
  tables: ReadonlySet<TableName>,
): Promise<Restore[]> {
  const indexes: Restore[] = [];
  const foreignKeys: Restore[] = [];
  for (const table of tables) {
    const found = await conn.unsafe(
      `select index.relname as name, pg_get_indexdef(i.indexrelid) as definition
      from pg_index as i
      join pg_class as index on index.oid = i.indexrelid
      where i.indrelid = '${table}'::regclass
        and not exists (select from pg_constraint as c where c.conindid = i.indexrelid)`,
    );
    for (const { name, definition } of found) {
      await conn.unsafe(`drop index "${name}"`);
      indexes.push(String(definition));
    }
    const keys = await conn.unsafe(
      `select conname as name, pg_get_constraintdef(oid) as definition
      from pg_constraint where conrelid = '${table}'::regclass and contype = 'f'`,
    );
    for (const { name, definition } of keys) {
      await conn.unsafe(`alter table "${table}" drop constraint "${name}"`);
      foreignKeys.push(`alter table "${table}" add constraint "${name}" ${definition}`);
    }
  }
  // Indexes first: validating a foreign key is a join that the parents' primary keys serve.
  return [...indexes, ...foreignKeys];
}

async function restore(conn: PgConnection, statements: readonly Restore[]): Promise<void> {
  for (const statement of statements) {
    try {
      await conn.unsafe(statement);
    } catch (error) {
      throw new Error(
        `Cannot restore after a bulk load: ${statement}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}

/**
 * Starts writing every table as CSV, one after the other on the DuckDB connection; each promise
 * resolves to the table's columns once its file is complete.
 */
function exportCsv(
  runner: DuckDBRunner,
  lakeDir: string,
  csvDir: string,
  signal: AbortSignal | undefined,
): Map<TableName, Promise<string[]>> {
  const exports = new Map<TableName, Promise<string[]>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const table of TABLES) {
    const source = quote(parquetPath(lakeDir, table));
    const target = quote(join(csvDir, `${table}.csv`));
    const done = previous.then(async () => {
      const described = await runner.query(`describe select * from read_parquet(${source})`);
      await runner.query(
        `copy (select * from read_parquet(${source})) to ${target} (format csv, header false)`,
        { signal },
      );
      return described.map((row) => String(row.column_name));
    });
    // Keeps the chain going after a failure, so later promises reject with their own error.
    previous = done.catch(() => {});
    exports.set(table, done);
  }
  return exports;
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
