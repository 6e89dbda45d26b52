import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBRunner } from "./duckdb_runner.ts";

let dir: string;
let runner: DuckDBRunner;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "duckdb-runner-"));
  runner = await DuckDBRunner.open(":memory:", { threads: 1, memoryLimit: "256MB" });
});

afterAll(async () => {
  runner.close();
  await rm(dir, { recursive: true, force: true });
});

async function sqlFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test("DuckDBRunner.runFile() runs every statement and returns the last one's rows", async () => {
  const path = await sqlFile(
    "steps.sql",
    `create or replace temp table numbers as select range as n from range(5);
     insert into numbers values (10);
     select count(*) as count, sum(n) as total from numbers;`,
  );
  const seen: number[] = [];
  const result = await runner.runFile(path, { onStatement: (index) => seen.push(index) });
  expect(result.statements).toBe(3);
  expect(seen).toEqual([1, 2, 3]);
  expect(result.rows).toEqual([{ count: 6n, total: 20n }]);
});

test("DuckDBRunner.runFile() sets variables that override the file's own defaults", async () => {
  const path = await sqlFile(
    "variables.sql",
    `set variable lake_dir = coalesce(getvariable('lake_dir'), 'data/lake');
     select getvariable('lake_dir') as lake_dir, getvariable('rows') as rows,
       getvariable('strict') as strict;`,
  );
  const result = await runner.runFile(path, {
    variables: { lake_dir: "/tmp/it's here", rows: 3, strict: true },
  });
  expect(result.rows).toEqual([{ lake_dir: "/tmp/it's here", rows: 3, strict: true }]);
});

test("DuckDBRunner.setVariables() rejects names that are not identifiers", async () => {
  await expect(runner.setVariables({ "x; drop table t": 1 })).rejects.toThrow(
    /lower-case identifier: current value is "x; drop table t"/,
  );
  await expect(runner.setVariables({ x: Number.NaN })).rejects.toThrow(/not finite/);
});

test("DuckDBRunner.runFile() names the file and statement that failed, and rolls back", async () => {
  await runner.query("create or replace table kept (n integer)");
  const path = await sqlFile(
    "broken.sql",
    `begin transaction;
     insert into kept values (1);
     select * from no_such_table;
     commit;`,
  );
  await expect(runner.runFile(path)).rejects.toThrow(
    /broken\.sql statement 3 of 4: .*no_such_table/,
  );
  // The insert was rolled back with the transaction, and the connection still works.
  expect(await runner.query("select count(*) as n from kept")).toEqual([{ n: 0n }]);
});

test("DuckDBRunner.runFile() stops with the signal's reason when aborted", async () => {
  const path = await sqlFile("slow.sql", "select count(*) from range(10000000000);");
  const controller = new AbortController();
  const running = runner.runFile(path, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await expect(running).rejects.toThrow(/abort/i);
});

test("DuckDBRunner.open() says which file it could not open", async () => {
  await expect(DuckDBRunner.open(join(dir, "missing-dir", "x.duckdb"))).rejects.toThrow(
    /Cannot open DuckDB database .*missing-dir/,
  );
});
