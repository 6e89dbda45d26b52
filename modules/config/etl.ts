import { bool, type Env, int, oneOf, raw, str } from "./_env.ts";
import { normalizeS3Prefix } from "./archive.ts";
import { ConfigError } from "./config_error.ts";
import { pathsConfig } from "./paths.ts";

/** Where `apps/etl` finds the raw lake. */
export const ETL_SOURCES = ["local", "s3"] as const;
export type EtlSource = (typeof ETL_SOURCES)[number];

/** `apps/etl` settings. */
export interface EtlConfig {
  /** `LAKE_DIR`, default `data/lake`: `raw/` is read there, `3nf/` and `etl/` are written there. */
  lakeDir: string;
  /**
   * `ETL_SOURCE`: `local` (default) reads `LAKE_DIR/raw/` as it is; `s3` first copies new objects
   * from `s3://S3_BUCKET/S3_PREFIX raw/` into `LAKE_DIR/raw/`, as `aws s3 sync` would.
   */
  source: EtlSource;
  /** `S3_BUCKET`: required when the source is `s3`. */
  s3Bucket: string | undefined;
  /** `S3_PREFIX`, default empty: the archive's key prefix in the bucket; a `/` is added. */
  s3Prefix: string;
  /** `ETL_S3_SYNC_CONCURRENCY`, default 8: objects downloaded at once. */
  s3SyncConcurrency: number;
  /** `ETL_POSTGRES`, default on: load the 3NF tables into PostgreSQL (`DATABASE_URL`). */
  postgres: boolean;
  /** `ETL_PG_SCHEMA`, default `public`: the PostgreSQL schema that holds the 3NF tables. */
  pgSchema: string;
  /**
   * `ETL_PG_BULK_ROWS`, default 10000: a table with at least this many changed rows (and at least
   * a fifth of it) is loaded with its indexes and foreign keys dropped and rebuilt.
   */
  pgBulkRowsMin: number;
  /**
   * `ETL_STAGE_BATCH_BYTES`, default 512 MiB: raw bytes parsed per staging batch (DuckDB needs
   * about 3-4 times as much memory).
   */
  stageBatchBytes: number;
  /** `ETL_DUCKDB_MEMORY_LIMIT`, default `4GB`: DuckDB spills to disk past it. */
  duckdbMemoryLimit: string;
  /** `ETL_DUCKDB_THREADS`, default 0 (one per core). */
  duckdbThreads: number;
}

const PG_SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;
const MEMORY = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * Reads {@linkcode EtlConfig} from the environment.
 *
 * @throws {ConfigError} When a value is invalid, or the `s3` source lacks `S3_BUCKET`.
 */
export function etlConfig(env: Env = process.env): EtlConfig {
  const source = oneOf(env, "ETL_SOURCE", "local", ETL_SOURCES);
  const s3Bucket = raw(env, "S3_BUCKET");
  if (source === "s3" && s3Bucket === undefined) {
    throw new ConfigError("S3_BUCKET", "", "a bucket name when ETL_SOURCE=s3");
  }
  const pgSchema = str(env, "ETL_PG_SCHEMA", "public");
  if (!PG_SCHEMA.test(pgSchema)) {
    throw new ConfigError("ETL_PG_SCHEMA", pgSchema, "a lower-case SQL identifier");
  }
  const duckdbMemoryLimit = str(env, "ETL_DUCKDB_MEMORY_LIMIT", "4GB");
  if (!MEMORY.test(duckdbMemoryLimit)) {
    throw new ConfigError(
      "ETL_DUCKDB_MEMORY_LIMIT",
      duckdbMemoryLimit,
      "a size such as 4GB or 512MB",
    );
  }
  return {
    lakeDir: pathsConfig(env).lakeDir,
    source,
    s3Bucket,
    s3Prefix: normalizeS3Prefix(str(env, "S3_PREFIX", "")),
    s3SyncConcurrency: int(env, "ETL_S3_SYNC_CONCURRENCY", 8, 1, 64),
    postgres: bool(env, "ETL_POSTGRES", true),
    pgSchema,
    pgBulkRowsMin: int(env, "ETL_PG_BULK_ROWS", 10_000, 0, 2 ** 31 - 1),
    stageBatchBytes: int(env, "ETL_STAGE_BATCH_BYTES", 512 * 1024 * 1024, 1024 * 1024, 2 ** 40),
    duckdbMemoryLimit,
    duckdbThreads: int(env, "ETL_DUCKDB_THREADS", 0, 0, 256),
  };
}
