import { join } from "node:path";
import type { AwsConfig, DatabaseConfig, EtlConfig } from "../../modules/config/mod.ts";
import { type DuckDBRunner, LocalObjectStore, S3ObjectStore } from "../../modules/lake/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { connect } from "../../modules/pg/mod.ts";
import {
  buildTables,
  lakeChecks,
  lakeChecksums,
  openState,
  prepareLake,
  type StageResult,
  stageRaw,
  stateDatabasePath,
} from "./duckdb_steps.ts";
import {
  type LoadResult,
  loadTables,
  type MigrateResult,
  migrate,
  postgresChecks,
  postgresChecksums,
  useSchema,
} from "./postgres_load.ts";
import { type SyncResult, syncObjects } from "./sync_s3.ts";
import { type CheckResult, TABLES, type TableChecksum, type TableName } from "./tables.ts";

/** Everything one run did and found: what `make etl` prints at the end. */
export interface EtlSummary {
  lakeDir: string;
  rejectsFile: string;
  sync: SyncResult | undefined;
  stage: StageResult;
  /** Checks over the Parquet files (row counts, duplicate and orphan keys, rsvp_id count). */
  checks: CheckResult[];
  parquet: Map<TableName, TableChecksum>;
  postgres:
    | {
        schema: string;
        migrate: MigrateResult;
        load: LoadResult;
        checks: CheckResult[];
        checksums: Map<TableName, TableChecksum>;
      }
    | undefined;
  /** Tables whose Parquet and PostgreSQL checksums differ (empty when equal or not loaded). */
  mismatched: TableName[];
  /** Every check holds and, when loaded, PostgreSQL holds the same rows as the Parquet files. */
  ok: boolean;
  durationMs: number;
}

/** What {@linkcode runEtl} needs besides its own config. */
export interface EtlDependencies {
  log: Logger;
  database: DatabaseConfig;
  aws: AwsConfig;
  signal?: AbortSignal;
}

/**
 * One ETL run: (S3 sync) -> stage new raw objects -> rebuild the 3NF Parquet files -> load them
 * into PostgreSQL -> checks and checksums on both sides. Each stage logs when it starts and
 * ends. Throws on an operating failure (a lock held, PostgreSQL down); a failed check does not
 * throw, it makes `ok` false.
 */
export async function runEtl(config: EtlConfig, deps: EtlDependencies): Promise<EtlSummary> {
  const started = performance.now();
  const timed = stageTimer(deps.log);
  await prepareLake(config.lakeDir);
  const sync =
    config.source === "s3"
      ? await timed(
          "sync",
          () => syncFromS3(config, deps),
          (result) => ({ ...result }),
        )
      : undefined;
  const { runner, discarded } = await openState(config.lakeDir, {
    memoryLimit: config.duckdbMemoryLimit,
    threads: config.duckdbThreads,
  });
  if (discarded) {
    deps.log.warn("state database of an older layout discarded: every raw object is staged again", {
      path: stateDatabasePath(config.lakeDir),
    });
  }
  try {
    const lake = await duckdbStages(runner, config, deps, timed);
    const postgres = config.postgres
      ? await timed(
          "load postgres",
          () => loadPostgres(config, deps, runner),
          (result) => ({ rowsCopied: result.load.rowsCopied, schema: result.schema }),
        )
      : undefined;
    const mismatched =
      postgres === undefined
        ? []
        : TABLES.filter(
            (table) => !sameChecksum(lake.parquet.get(table), postgres.checksums.get(table)),
          );
    const ok =
      lake.checks.every((check) => check.ok) &&
      (postgres?.checks.every((check) => check.ok) ?? true) &&
      mismatched.length === 0;
    return {
      lakeDir: config.lakeDir,
      rejectsFile: join(config.lakeDir, "etl", "rejects.jsonl"),
      sync,
      ...lake,
      postgres,
      mismatched,
      ok,
      durationMs: performance.now() - started,
    };
  } finally {
    runner.close();
  }
}

type Timed = <T>(
  stage: string,
  work: () => Promise<T>,
  fields?: (result: T) => object,
) => Promise<T>;

/** Runs a stage between two log lines, the second with its duration and `fields`. */
function stageTimer(log: Logger): Timed {
  return async (stage, work, fields) => {
    log.info("stage started", { stage });
    const started = performance.now();
    const result = await work();
    const durationMs = Math.round(performance.now() - started);
    log.info("stage done", { stage, ...fields?.(result), durationMs });
    return result;
  };
}

/** The DuckDB side: stage the raw lake, write the Parquet files, check and checksum them. */
async function duckdbStages(
  runner: DuckDBRunner,
  config: EtlConfig,
  deps: EtlDependencies,
  timed: Timed,
) {
  const { log, signal } = deps;
  const stage = await timed(
    "stage raw",
    () =>
      stageRaw(runner, config.lakeDir, {
        signal,
        batchBytesMax: config.stageBatchBytes,
        onBatch: (soFar, objectsPending) =>
          log.info("batch staged", {
            objectsStaged: soFar.objectsStaged,
            linesStaged: soFar.linesStaged,
            objectsPending,
          }),
      }),
    (result) => ({ ...result }),
  );
  await timed("build 3nf parquet", () =>
    buildTables(runner, config.lakeDir, {
      signal,
      onTable: (table, durationMs) =>
        log.info("table written", { table, durationMs: Math.round(durationMs) }),
    }),
  );
  const checks = await timed("check parquet", () => lakeChecks(runner, config.lakeDir, { signal }));
  const parquet = await timed("checksum parquet", () =>
    lakeChecksums(runner, config.lakeDir, { signal }),
  );
  return { stage, checks, parquet };
}

async function loadPostgres(config: EtlConfig, deps: EtlDependencies, runner: DuckDBRunner) {
  const sql = connect(deps.database, { connectionsMax: 1 });
  try {
    const conn = await sql.reserve();
    try {
      await useSchema(conn, config.pgSchema);
      const migrated = await migrate(conn);
      if (migrated.applied.length > 0) {
        deps.log.info("schema migrated", { schema: config.pgSchema, ...migrated });
      }
      const load = await loadTables(conn, runner, config.lakeDir, {
        signal: deps.signal,
        bulkRowsMin: config.pgBulkRowsMin,
        onPhase: (phase, durationMs) =>
          deps.log.info("load phase done", { phase, durationMs: Math.round(durationMs) }),
      });
      return {
        schema: config.pgSchema,
        migrate: migrated,
        load,
        checks: await postgresChecks(conn),
        checksums: await postgresChecksums(conn),
      };
    } finally {
      conn.release();
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function syncFromS3(config: EtlConfig, deps: EtlDependencies): Promise<SyncResult> {
  const source = new S3ObjectStore({
    bucket: config.s3Bucket as string,
    prefix: config.s3Prefix,
    aws: deps.aws,
  });
  // The mirror can always be copied again, so its writes skip fsync.
  const target = new LocalObjectStore(config.lakeDir, { fsync: false });
  try {
    return await syncObjects(source, target, {
      concurrency: config.s3SyncConcurrency,
      signal: deps.signal,
    });
  } finally {
    source.client.destroy();
  }
}

function sameChecksum(a: TableChecksum | undefined, b: TableChecksum | undefined): boolean {
  return a !== undefined && b !== undefined && a.rows === b.rows && a.checksum === b.checksum;
}
