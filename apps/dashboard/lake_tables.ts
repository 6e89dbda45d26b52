/**
 * The 3NF Parquet tables in the lake, found on disk, and a DuckDB instance locked down to read
 * only them: external access off except for the allowed directories, no extension installs or
 * loads, bounded memory and threads, then the configuration locked so SQL cannot undo any of it.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/** The 3NF tables of the data contract, in dependency order. */
export const TABLES_3NF = [
  "members",
  "groups",
  "topics",
  "group_topics",
  "venues",
  "events",
  "rsvps",
] as const;

/** Where one table's Parquet lives and when it last changed. */
export interface TableFiles {
  table: string;
  /** A path or glob DuckDB's `read_parquet` takes. */
  source: string;
  /** The newest Parquet file's mtime (epoch ms): the table's "as of". */
  modifiedAt: number;
  files: number;
}

/** How deep a table directory is searched for Parquet files (partitioned layouts). */
const DEPTH_MAX = 4;
/** Parquet files listed per table at most. */
const FILES_MAX = 100_000;

function parquetFiles(dir: string, depth: number, out: string[]): void {
  if (depth > DEPTH_MAX || out.length >= FILES_MAX) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Names starting with "." or "_" are writes in progress (the lake's convention).
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) parquetFiles(path, depth + 1, out);
    else if (entry.name.endsWith(".parquet")) out.push(path);
  }
}

/**
 * Finds each table as `<dir>/<table>.parquet` or a `<dir>/<table>/` directory of Parquet files.
 *
 * @param dir The 3NF directory (`<LAKE_DIR>/3nf`).
 * @returns The tables that have data; missing ones are left out.
 */
export function findTables(dir: string, tables: readonly string[] = TABLES_3NF): TableFiles[] {
  const found: TableFiles[] = [];
  for (const table of tables) {
    const file = join(dir, `${table}.parquet`);
    const folder = join(dir, table);
    try {
      if (existsSync(file) && statSync(file).isFile()) {
        found.push({ table, source: file, modifiedAt: statSync(file).mtimeMs, files: 1 });
        continue;
      }
      if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
      const files: string[] = [];
      parquetFiles(folder, 0, files);
      if (files.length === 0) continue;
      const modifiedAt = Math.max(...files.map((path) => statSync(path).mtimeMs));
      found.push({
        table,
        source: join(folder, "**", "*.parquet"),
        modifiedAt,
        files: files.length,
      });
    } catch {
      // A table being replaced while we look: it shows up on the next look.
    }
  }
  return found;
}

/** Options for {@linkcode openLockedDuckDB}. */
export interface LockedDuckDBOptions {
  /** Directories SQL may read (everything else is refused). */
  allowedDirectories: readonly string[];
  memoryMbMax: number;
  /** @default {1} */
  threads?: number;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Opens an in-memory DuckDB that can read only `allowedDirectories`, cannot install or load
 * extensions, attach databases or spill to disk, and whose settings are locked.
 */
export async function openLockedDuckDB(options: LockedDuckDBOptions): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(":memory:", {
    threads: String(options.threads ?? 1),
    memory_limit: `${options.memoryMbMax}MB`,
    // No spilling: a temp directory would be a place SQL can write to.
    temp_directory: "",
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
    allow_persistent_secrets: "false",
  });
  const setup = await instance.connect();
  try {
    const dirs = options.allowedDirectories.map((dir) =>
      quote(dir.endsWith("/") ? dir : `${dir}/`),
    );
    // Order matters: the allowed directories can only be set while external access is on.
    await setup.run(`set allowed_directories = [${dirs.join(", ")}]`);
    await setup.run("set enable_external_access = false");
    await setup.run("set lock_configuration = true");
  } finally {
    setup.closeSync();
  }
  return instance;
}

/**
 * Points one view per table at its Parquet (`select * from rsvps` just works); drops views of
 * tables whose files are gone. Runs on a trusted connection, never with user SQL.
 */
export async function syncViews(
  connection: DuckDBConnection,
  tables: readonly TableFiles[],
  known: readonly string[] = TABLES_3NF,
): Promise<void> {
  const present = new Set(tables.map((table) => table.table));
  for (const table of tables) {
    await connection.run(
      `create or replace view ${table.table} as select * from read_parquet(${quote(table.source)})`,
    );
  }
  for (const table of known) {
    if (!present.has(table)) await connection.run(`drop view if exists ${table}`);
  }
}
