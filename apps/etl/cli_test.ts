import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { awsConfig, databaseConfig, etlConfig } from "../../modules/config/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { recordedObjects, writeLake } from "./_fixture.ts";
import { checksumMap, ETL_SQL_DIR, prepareLake, stateDatabasePath } from "./duckdb_steps.ts";
import { runEtl } from "./etl.ts";

// Real DuckDB and PostgreSQL work on a shared 2-core machine: seconds, not milliseconds.
setDefaultTimeout(60_000);

const DUCKDB_CLI = join(import.meta.dir, "../../.cache/venv/bin/duckdb");
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "etl-cli-test-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs one sql/etl file with the duckdb CLI, as docs/etl.md tells people to; returns its JSON. */
function cli(lakeDir: string, file: string): Record<string, unknown>[] {
  const result = spawnSync(
    DUCKDB_CLI,
    [
      "-bail",
      "-json",
      stateDatabasePath(lakeDir),
      "-cmd",
      `set variable lake_dir = '${lakeDir}'`,
      "-f",
      join(ETL_SQL_DIR, file),
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect({ file, status: result.status, stderr: result.stderr }).toEqual({
    file,
    status: 0,
    stderr: "",
  });
  const output = result.stdout.trim();
  return output === "" ? [] : JSON.parse(output);
}

test("the duckdb CLI runs every sql/etl file unchanged and builds the same tables", async () => {
  const objects = recordedObjects();
  const viaRunner = join(root, "runner");
  const viaCli = join(root, "cli");
  await writeLake(viaRunner, objects);
  await writeLake(viaCli, objects);
  const summary = await runEtl(
    { ...etlConfig({}), lakeDir: viaRunner, postgres: false },
    {
      log: createLogger("etl-cli-test", { level: "warn" }),
      database: databaseConfig(),
      aws: awsConfig(),
    },
  );
  expect(summary.ok).toBe(true);

  await prepareLake(viaCli);
  const files = readdirSync(ETL_SQL_DIR)
    .filter((name) => /^\d\d_.*\.sql$/.test(name))
    .sort();
  expect(files.length).toBe(10);
  const outputs = new Map(files.map((file) => [file, cli(viaCli, file)]));

  expect(outputs.get("01_stage_raw.sql")).toEqual([
    {
      objects_staged: objects.length,
      lines_staged: summary.stage.linesStaged,
      lines_rejected: 1,
      objects_total: objects.length,
      objects_pending: 0,
    },
  ]);
  const checks = outputs.get("09_checks.sql") ?? [];
  expect(checks.length).toBe(summary.checks.length);
  expect(checks.every((row) => row.is_ok === true)).toBe(true);
  expect(checksumMap(outputs.get("10_checksums.sql") ?? [])).toEqual(summary.parquet);
});
