import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeLakeFixture } from "./_lake_fixture.ts";
import { QueryError, QueryService } from "./query.ts";

let root: string;
let tablesDir: string;
let service: QueryService;

async function refused(sql: string): Promise<QueryError> {
  try {
    await service.run(sql);
  } catch (error) {
    expect(error).toBeInstanceOf(QueryError);
    const message = (error as QueryError).message;
    expect(message).not.toMatch(/\n\s+at /); // never a stack trace
    return error as QueryError;
  }
  throw new Error(`expected ${JSON.stringify(sql)} to be refused`);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "dashboard-query-"));
  writeLakeFixture(join(root, "lake"));
  tablesDir = join(root, "lake", "3nf");
  service = await QueryService.open({
    tablesDir,
    timeoutMs: 500,
    rowsMax: 100,
    memoryMbMax: 128,
    concurrencyMax: 2,
  });
}, 60_000);

afterAll(() => {
  service.close();
  rmSync(root, { recursive: true, force: true });
});

describe("QueryService.run()", () => {
  test("answers a SELECT over the views named like the tables", async () => {
    const result = await service.run(
      "select m.member_name, count(*) filter (where r.is_yes) as yes from rsvps r join members m using (member_id) group by all order by yes desc, 1 limit 2",
    );
    expect(result.columns.map((c) => c.name)).toEqual(["member_name", "yes"]);
    expect(result.rows).toHaveLength(2);
    expect(result.truncated).toBe(false);
    expect(result.tables.map((t) => t.table).sort()).toEqual([
      "events",
      "group_topics",
      "groups",
      "members",
      "rsvps",
      "topics",
    ]);
  });

  test("refuses writes, DDL, SET and PRAGMA as not SELECT statements", async () => {
    for (const sql of [
      "create table t as select 1",
      "insert into rsvps (rsvp_id) values (1)",
      "drop view rsvps",
      "set enable_external_access = true",
      "set lock_configuration = false",
      "pragma enable_profiling",
    ]) {
      expect((await refused(sql)).message).toMatch(/read-only|locked|Refused/);
    }
    expect((await service.run("select count(*) as n from rsvps")).rows).toEqual([["50"]]);
  });

  test("refuses COPY ... TO, even into the lake it may read", async () => {
    const target = join(tablesDir, "stolen.csv");
    expect((await refused(`copy rsvps to '${target}'`)).message).toMatch(/read-only/);
    expect((await refused(`copy (select 1) to '/tmp/x.csv'`)).message).toMatch(/Refused/);
    expect(existsSync(target)).toBe(false);
  });

  test("refuses ATTACH, INSTALL and LOAD", async () => {
    expect((await refused(`attach '${join(root, "x.db")}' as x`)).message).toMatch(/Refused/);
    expect((await refused("install httpfs")).message).toMatch(/Refused/);
    expect((await refused("load httpfs")).message).toMatch(/Refused/);
    expect(existsSync(join(root, "x.db"))).toBe(false);
  });

  test("refuses reading files outside the 3NF directory, /etc/passwd included", async () => {
    for (const sql of [
      "select * from read_csv('/etc/passwd', sep = ':')",
      "select * from read_text('/etc/passwd')",
      `select * from read_text('${tablesDir}/../../../../../../etc/passwd')`,
      "select * from glob('/etc/*')",
    ]) {
      const error = await refused(sql);
      expect(error.message).toMatch(/^Refused: only the lake's 3NF tables can be read/);
      expect(error.message).not.toMatch(/root:x:0:0/);
    }
  });

  test("refuses more than one statement", async () => {
    expect((await refused("select 1; select 2")).message).toMatch(/exactly one/);
    expect((await refused("select 1; drop view rsvps")).message).toMatch(/read-only/);
    expect((await refused("   ")).message).toMatch(/one SELECT/);
  });

  test("interrupts a query that would run forever at the timeout", async () => {
    const error = await refused(
      "with recursive t(n) as (select 1 union all select n + 1 from t) select count(*) from t",
    );
    expect(error.status).toBe(408);
    expect(error.message).toMatch(/stopped after 500 ms/);
    // The engine is still usable afterwards.
    expect((await service.run("select 42 as x")).rows).toEqual([[42]]);
  });

  test("cuts a huge result at the row limit and says so", async () => {
    const result = await service.run("select * from range(1000000000)");
    expect(result.rows).toHaveLength(100);
    expect(result.truncated).toBe(true);
    expect(result.rowsMax).toBe(100);
  });

  test("cuts one huge cell", async () => {
    const result = await service.run("select repeat('x', 100000) as big");
    const cell = result.rows[0]?.[0] as string;
    expect(cell.length).toBeLessThan(2_100);
    expect(cell.endsWith("…")).toBe(true);
  });

  test("answers 429 beyond the concurrency bound", async () => {
    const slow = "select count(*) from range(100000000000)";
    const outcomes = await Promise.allSettled([
      service.run(slow),
      service.run(slow),
      service.run(slow),
    ]);
    const statuses = outcomes.map((o) =>
      o.status === "rejected" ? (o.reason as QueryError).status : 200,
    );
    expect(statuses.sort()).toEqual([408, 408, 429]);
  });

  test("explains a missing table and a syntax error without a stack trace", async () => {
    expect((await refused("select * from venues")).message).toMatch(/make etl/);
    expect((await refused("selec 1")).message).toMatch(/Parser Error/);
  });
});
