import { afterAll, beforeAll, expect, test } from "bun:test";
import { databaseConfig } from "../config/mod.ts";
import { servicesUp, uniqueName } from "../testing/mod.ts";
import { connect, type Sql } from "./client.ts";

let sql: Sql;
const table = uniqueName("pg_test").replaceAll("-", "_");

beforeAll(() => {
  servicesUp("postgres");
  sql = connect(databaseConfig());
});

afterAll(async () => {
  await sql`drop table if exists ${sql(table)}`;
  await sql.end();
});

test("connect() queries the project-local PostgreSQL cluster", async () => {
  const [row] = await sql`select current_database() as db, version() as version`;
  expect(row?.db).toBe("meetup");
  expect(String(row?.version)).toMatch(/^PostgreSQL \d+/);
});

test("connect() round-trips rows with constraints enforced", async () => {
  await sql`create table ${sql(table)} (rsvp_id bigint primary key, is_yes boolean not null)`;
  await sql`insert into ${sql(table)} ${sql([{ rsvp_id: 1729035271, is_yes: true }])}`;
  const rows = await sql`select rsvp_id, is_yes from ${sql(table)}`;
  expect(rows.map((row) => [String(row.rsvp_id), row.is_yes])).toEqual([["1729035271", true]]);
  expect(
    sql`insert into ${sql(table)} ${sql([{ rsvp_id: 1729035271, is_yes: false }])}`,
  ).rejects.toThrow(/duplicate key/);
});
