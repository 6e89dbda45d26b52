#!/usr/bin/env bun
/**
 * Benchmark: the batch ETL over `--records` synthetic RSVPs (the replay generator's, ~1.4 KB
 * each), laid out as the archive writes them (1 MiB objects, 6 partitions, one hour).
 *
 * - raw -> 3NF Parquet: a fresh state database stages every object and writes the seven tables
 *   (target: 1,000,000 records within 20 s on this 2-core machine);
 * - re-run with nothing new (stage finds no object, the tables are rebuilt);
 * - Parquet -> PostgreSQL: the first load into an empty schema (target: 100,000 rows/s), then a
 *   second load of the same rows (nothing to write).
 *
 * Each phase runs in a child process so that its peak memory (VmHWM: Bun + DuckDB; PostgreSQL's
 * own processes are not counted) is its own. Prints one JSON line per run and a Markdown table of
 * medians for docs/benchmarks.md. The generated data stays in data/bench/etl/ for the next run.
 *
 *   bun scripts/bench/etl.ts [--records 1000000] [--runs 3] [--batch-bytes 536870912]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  buildTables,
  prepareLake,
  stageRaw,
  stateDatabasePath,
} from "../../apps/etl/duckdb_steps.ts";
import { loadTables, migrate, useSchema } from "../../apps/etl/postgres_load.ts";
import { databaseConfig, PROJECT_ROOT } from "../../modules/config/mod.ts";
import { DuckDBRunner } from "../../modules/lake/mod.ts";
import { connect } from "../../modules/pg/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { syntheticFile } from "./_support.ts";

/** The archive's default object size (ARCHIVE_FLUSH_BYTES). */
const OBJECT_BYTES = 1024 * 1024;
const PARTITIONS = 6;
/** A phase that has not finished by then fails rather than hangs. */
const PHASE_TIMEOUT_MS = 10 * 60_000;
const DUCKDB_MEMORY_LIMIT = "4GB";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    child: { type: "string" },
    lake: { type: "string" },
    schema: { type: "string" },
    "batch-bytes": { type: "string", default: String(512 * 1024 * 1024) },
  },
});

/** CPU time of this process: Bun and every DuckDB thread. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function peakRssMb(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

/** Child: raw -> Parquet on the lake given, from an empty state unless it exists. */
async function childParquet(lakeDir: string): Promise<object> {
  await prepareLake(lakeDir);
  const started = performance.now();
  const runner = await DuckDBRunner.open(stateDatabasePath(lakeDir), {
    memoryLimit: DUCKDB_MEMORY_LIMIT,
  });
  try {
    const stage = await stageRaw(runner, lakeDir, { batchBytesMax: Number(values["batch-bytes"]) });
    const built = performance.now();
    await buildTables(runner, lakeDir);
    return {
      seconds: (performance.now() - started) / 1000,
      stageSeconds: stage.durationMs / 1000,
      tablesSeconds: (performance.now() - built) / 1000,
      lines: stage.linesStaged,
      objectsStaged: stage.objectsStaged,
      batches: stage.batches,
      cpuSeconds: cpuSeconds(),
      peakRssMb: peakRssMb(),
    };
  } finally {
    runner.close();
  }
}

/** Child: two loads of the lake's Parquet files into a new schema, which is dropped after. */
async function childPostgres(lakeDir: string, schema: string): Promise<object> {
  const runner = await DuckDBRunner.open(":memory:", { memoryLimit: DUCKDB_MEMORY_LIMIT });
  const sql = connect(databaseConfig(), { connectionsMax: 1 });
  const conn = await sql.reserve();
  try {
    await useSchema(conn, schema);
    await migrate(conn);
    const first = await loadTables(conn, runner, lakeDir);
    const second = await loadTables(conn, runner, lakeDir);
    return {
      rows: first.rowsCopied,
      seconds: first.durationMs / 1000,
      rowsPerSecond: Math.round(first.rowsCopied / (first.durationMs / 1000)),
      unchangedSeconds: second.durationMs / 1000,
      cpuSeconds: cpuSeconds(),
      peakRssMb: peakRssMb(),
    };
  } finally {
    await conn.unsafe(`drop schema if exists "${schema}" cascade`);
    conn.release();
    await sql.end();
    runner.close();
  }
}

function child(args: string[]): Record<string, number> {
  const result = spawnSync(process.execPath, [import.meta.path, ...args], {
    encoding: "utf8",
    timeout: PHASE_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`Benchmark phase ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
  }
  return JSON.parse(result.stdout.trim().split("\n").at(-1) as string);
}

/** Splits the JSONL into 1 MiB archive objects, partitions taking turns, under one hour. */
async function buildLake(source: string, lakeDir: string): Promise<number> {
  const marker = join(lakeDir, "raw", ".complete");
  if (existsSync(marker)) return Number(readFileSync(marker, "utf8"));
  await rm(lakeDir, { recursive: true, force: true });
  const hourDir = join(lakeDir, "raw/2019/05/20/12");
  await mkdir(hourDir, { recursive: true });
  const offsets = new Array<number>(PARTITIONS).fill(0);
  let objects = 0;
  let chunk: string[] = [];
  let bytes = 0;
  const flush = async () => {
    const partition = objects % PARTITIONS;
    const first = offsets[partition] as number;
    const last = first + chunk.length - 1;
    const pad = (n: number, width: number) => String(n).padStart(width, "0");
    const name = `meetup.rsvps.raw+p${pad(partition, 3)}+${pad(first, 12)}-${pad(last, 12)}.jsonl`;
    await writeFile(join(hourDir, name), `${chunk.join("\n")}\n`);
    offsets[partition] = last + 1;
    objects++;
    chunk = [];
    bytes = 0;
  };
  const file = await open(source);
  for await (const line of file.readLines()) {
    chunk.push(line);
    bytes += Buffer.byteLength(line) + 1;
    if (bytes >= OBJECT_BYTES) await flush();
  }
  if (chunk.length > 0) await flush();
  await writeFile(marker, String(objects));
  return objects;
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const records = Number(values.records);
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(records) || records < 1 || !Number.isSafeInteger(runs) || runs < 1) {
    throw new RangeError(`Cannot run: --records and --runs must be positive integers`);
  }
  servicesUp("postgres");
  const benchDir = join(PROJECT_ROOT, "data/bench/etl");
  await mkdir(benchDir, { recursive: true });
  const lakeDir = join(benchDir, `lake-${records}`);
  const objects = await buildLake(syntheticFile(records, benchDir), lakeDir);
  console.error(`lake: ${records} records in ${objects} objects at ${lakeDir}`);
  const results: Record<string, number[]> = {};
  const note = (key: string, value: number) => {
    results[key] = [...(results[key] ?? []), value];
  };
  for (let run = 1; run <= runs; run++) {
    await rm(join(lakeDir, "etl"), { recursive: true, force: true });
    await rm(join(lakeDir, "3nf"), { recursive: true, force: true });
    const load1 = loadavg()[0] as number;
    const parquet = child(["--child", "parquet", "--lake", lakeDir]);
    const rerun = child(["--child", "parquet", "--lake", lakeDir]);
    const schema = uniqueName("etl_bench").replaceAll("-", "_");
    const postgres = child(["--child", "postgres", "--lake", lakeDir, "--schema", schema]);
    console.log(JSON.stringify({ run, records, objects, load1, parquet, rerun, postgres }));
    note("parquetSeconds", parquet.seconds as number);
    note("stageSeconds", parquet.stageSeconds as number);
    note("tablesSeconds", parquet.tablesSeconds as number);
    note("parquetPeakRssMb", parquet.peakRssMb as number);
    note("parquetCpuSeconds", parquet.cpuSeconds as number);
    note("rerunSeconds", rerun.seconds as number);
    note("pgRows", postgres.rows as number);
    note("pgSeconds", postgres.seconds as number);
    note("pgRowsPerSecond", postgres.rowsPerSecond as number);
    note("pgUnchangedSeconds", postgres.unchangedSeconds as number);
    note("pgPeakRssMb", postgres.peakRssMb as number);
    note("pgCpuSeconds", postgres.cpuSeconds as number);
    note("load1", load1);
  }
  const m = (key: string) => median(results[key] ?? []);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`
| ${records.toLocaleString("en")} synthetic RSVPs (${objects} objects of 1 MiB), median of ${runs} | figure |
|---|---|
| raw -> 3NF Parquet, fresh state (target <= 20 s) | ${m("parquetSeconds").toFixed(1)} s (medians of the parts: stage ${m("stageSeconds").toFixed(1)} s, tables ${m("tablesSeconds").toFixed(1)} s), ${Math.round(records / m("parquetSeconds")).toLocaleString("en")} records/s |
| CPU time, raw -> Parquet (all threads; wall time on an idle 2-core machine is about half) | ${m("parquetCpuSeconds").toFixed(1)} s |
| peak memory, raw -> Parquet (Bun + DuckDB, memory_limit ${DUCKDB_MEMORY_LIMIT}, ${Number(values["batch-bytes"]) / 1024 / 1024} MiB batches) | ${m("parquetPeakRssMb")} MB |
| re-run with nothing new | ${m("rerunSeconds").toFixed(1)} s |
| Parquet -> PostgreSQL, first load (target >= 100,000 rows/s) | ${m("pgRows").toLocaleString("en")} rows in ${m("pgSeconds").toFixed(1)} s = ${m("pgRowsPerSecond").toLocaleString("en")} rows/s |
| Parquet -> PostgreSQL, same rows again (nothing written) | ${m("pgUnchangedSeconds").toFixed(1)} s |
| CPU time of the loader, both loads (Bun + DuckDB; PostgreSQL's not counted) | ${m("pgCpuSeconds").toFixed(1)} s |
| peak memory, load (Bun + DuckDB; PostgreSQL not counted) | ${m("pgPeakRssMb")} MB |

Machine: ${cpus().length} x ${cpu}; 1-minute load average at the runs' start: ${results.load1?.map((l) => l.toFixed(1)).join(", ")}.`);
}

if (values.child === "parquet") {
  console.log(JSON.stringify(await childParquet(values.lake as string)));
} else if (values.child === "postgres") {
  console.log(JSON.stringify(await childPostgres(values.lake as string, values.schema as string)));
} else {
  await main();
}
