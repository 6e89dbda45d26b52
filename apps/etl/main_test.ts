import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseConfig } from "../../modules/config/mod.ts";
import { connect } from "../../modules/pg/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { recordedObjects, writeLake } from "./_fixture.ts";

// Real DuckDB and PostgreSQL work on a shared 2-core machine: seconds, not milliseconds.
setDefaultTimeout(60_000);

const MAIN = join(import.meta.dir, "main.ts");
const schema = uniqueName("etl_main").replaceAll("-", "_");
let root: string;

beforeAll(async () => {
  servicesUp("postgres");
  root = await mkdtemp(join(tmpdir(), "etl-main-test-"));
});

afterAll(async () => {
  const sql = connect(databaseConfig());
  await sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await sql.end();
  await rm(root, { recursive: true, force: true });
});

function etl(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

test("main.ts --help describes the options and the environment", () => {
  const result = etl(["--help"]);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("make etl");
  for (const name of ["LAKE_DIR", "ETL_SOURCE", "ETL_POSTGRES", "ETL_PG_SCHEMA", "--no-postgres"]) {
    expect(result.stdout).toContain(name);
  }
});

test("main.ts stops with one line naming a bad setting, exit status 2", () => {
  const result = etl([], { ETL_SOURCE: "ftp" });
  expect(result.status).toBe(2);
  expect(result.stderr.trim()).toBe('Invalid ETL_SOURCE="ftp": expected one of local, s3');
  const missingBucket = etl([], { ETL_SOURCE: "s3", S3_BUCKET: "" });
  expect(missingBucket.status).toBe(2);
  expect(missingBucket.stderr).toContain("S3_BUCKET");
  expect(etl(["--bogus"]).status).toBe(2);
});

test("main.ts logs every stage and ends with the summary, exit status 0", async () => {
  const lakeDir = join(root, "lake");
  await writeLake(lakeDir, recordedObjects());
  const result = etl([], { LAKE_DIR: lakeDir, ETL_PG_SCHEMA: schema });
  expect(result.status).toBe(0);
  const logs = result.stderr
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const stages = logs.filter((l) => l.msg === "stage done").map((l) => l.stage);
  expect(stages).toEqual([
    "stage raw",
    "build 3nf parquet",
    "check parquet",
    "checksum parquet",
    "load postgres",
  ]);
  expect(logs.at(-1)).toMatchObject({ msg: "etl summary", ok: true, orphans: 0, mismatched: [] });
  expect(result.stdout).toContain("rsvps rows = distinct rsvp_ids in raw: 2384 = 2384");
  expect(result.stdout).toMatch(/rsvps\s+2384\s+2384\s+equal/);
  expect(result.stdout).toContain("orphan foreign keys: 0 in Parquet, 0 in PostgreSQL");
  expect(result.stdout).toContain("result: OK");

  const parquetOnly = etl(["--no-postgres"], { LAKE_DIR: lakeDir });
  expect(parquetOnly.status).toBe(0);
  expect(parquetOnly.stdout).toMatch(/rsvps\s+2384\s+-\s+-/);
});
