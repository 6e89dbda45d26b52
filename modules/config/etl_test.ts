import { expect, test } from "bun:test";
import { ConfigError } from "./config_error.ts";
import { etlConfig } from "./etl.ts";
import { PROJECT_ROOT } from "./paths.ts";

test("etlConfig() defaults: the local lake, PostgreSQL on, schema public", () => {
  expect(etlConfig({})).toEqual({
    lakeDir: `${PROJECT_ROOT}/data/lake`,
    source: "local",
    s3Bucket: undefined,
    s3Prefix: "",
    s3SyncConcurrency: 8,
    postgres: true,
    pgSchema: "public",
    pgBulkRowsMin: 10000,
    stageBatchBytes: 536870912,
    duckdbMemoryLimit: "4GB",
    duckdbThreads: 0,
  });
});

test("etlConfig() reads the S3 source with a normalised prefix", () => {
  const config = etlConfig({ ETL_SOURCE: "s3", S3_BUCKET: "lake", S3_PREFIX: "/meetup" });
  expect(config).toMatchObject({ source: "s3", s3Bucket: "lake", s3Prefix: "meetup/" });
});

test("etlConfig() names the variable at fault", () => {
  const cases: [Record<string, string>, string][] = [
    [{ ETL_SOURCE: "s3" }, "S3_BUCKET"],
    [{ ETL_SOURCE: "hdfs" }, "ETL_SOURCE"],
    [{ ETL_PG_SCHEMA: "Public; drop" }, "ETL_PG_SCHEMA"],
    [{ ETL_DUCKDB_MEMORY_LIMIT: "lots" }, "ETL_DUCKDB_MEMORY_LIMIT"],
    [{ ETL_POSTGRES: "maybe" }, "ETL_POSTGRES"],
    [{ ETL_S3_SYNC_CONCURRENCY: "0" }, "ETL_S3_SYNC_CONCURRENCY"],
    [{ ETL_PG_BULK_ROWS: "-1" }, "ETL_PG_BULK_ROWS"],
    [{ ETL_STAGE_BATCH_BYTES: "1000" }, "ETL_STAGE_BATCH_BYTES"],
  ];
  for (const [env, variable] of cases) {
    let caught: unknown;
    try {
      etlConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
  }
});
