import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { awsConfig, databaseConfig, type EtlConfig, etlConfig } from "../../modules/config/mod.ts";
import { DuckDBRunner } from "../../modules/lake/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { connect, type Sql } from "../../modules/pg/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import {
  type ExpectedLake,
  expectedLake,
  type LakeObject,
  PARQUET_ROWS_SQL,
  type Row,
  recordedObjects,
  writeLake,
} from "./_fixture.ts";
import { lakeChecksums, parquetPath, prepareLake, stateDatabasePath } from "./duckdb_steps.ts";
import { type EtlSummary, runEtl } from "./etl.ts";
import { postgresChecksums, useSchema } from "./postgres_load.ts";
import { TABLES } from "./tables.ts";

// Real DuckDB and PostgreSQL work on a shared 2-core machine: seconds, not milliseconds.
setDefaultTimeout(60_000);

const log = createLogger("etl-test", { level: "warn" });
const schemas: string[] = [];
let root: string;
let sql: Sql;

beforeAll(async () => {
  servicesUp("postgres");
  root = await mkdtemp(join(tmpdir(), "etl-test-"));
  sql = connect(databaseConfig());
});

afterAll(async () => {
  for (const schema of schemas) await sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await sql.end();
  await rm(root, { recursive: true, force: true });
});

/** A fresh lake directory and PostgreSQL schema, both unique to this test run. */
function setup(name: string, postgres = true): EtlConfig {
  const schema = uniqueName(`etl_${name}`).replaceAll("-", "_");
  schemas.push(schema);
  return {
    ...etlConfig({}),
    lakeDir: join(root, name),
    postgres,
    pgSchema: schema,
    duckdbMemoryLimit: "1GB",
  };
}

function run(config: EtlConfig): Promise<EtlSummary> {
  return runEtl(config, { log, database: databaseConfig(), aws: awsConfig() });
}

async function parquetRows(lakeDir: string, table: string): Promise<Map<string, Row>> {
  const { key, select } = PARQUET_ROWS_SQL[table]!;
  const runner = await DuckDBRunner.open(":memory:");
  try {
    const path = parquetPath(lakeDir, table as (typeof TABLES)[number]).replaceAll("'", "''");
    const rows = await runner.query(`select ${select} from read_parquet('${path}')`);
    return new Map(
      rows.map((row) => {
        const values = Object.fromEntries(
          Object.entries(row).map(([column, value]) => [
            column,
            typeof value === "bigint" ? Number(value) : (value as Row[string]),
          ]),
        );
        return [key.map((column) => String(values[column])).join("|"), values];
      }),
    );
  } finally {
    runner.close();
  }
}

/** Compares whole tables; coordinates are decimal(9, 6), so they agree to 1e-6. */
async function expectTables(lakeDir: string, expected: ExpectedLake): Promise<void> {
  for (const table of TABLES) {
    const actual = await parquetRows(lakeDir, table);
    const wanted = expected.tables[table]!;
    expect({ table, rows: actual.size }).toEqual({ table, rows: wanted.size });
    for (const [key, row] of wanted) {
      const got = actual.get(key);
      expect({ table, key, found: got !== undefined }).toEqual({ table, key, found: true });
      for (const [column, value] of Object.entries(row)) {
        const actualValue = got?.[column];
        if (typeof value === "number" && (column === "lat" || column === "lon")) {
          expect(Math.abs((actualValue as number) - value)).toBeLessThanOrEqual(1.0000001e-6);
        } else {
          expect({ table, key, column, value: actualValue }).toEqual({ table, key, column, value });
        }
      }
    }
  }
}

async function fileHashes(lakeDir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const table of TABLES) {
    const bytes = await readFile(parquetPath(lakeDir, table));
    hashes[table] = createHash("sha256").update(bytes).digest("hex");
  }
  return hashes;
}

describe("runEtl() over the recorded files", () => {
  const objects = recordedObjects();
  const expected = expectedLake(objects);
  let config: EtlConfig;
  let first: EtlSummary;

  beforeAll(async () => {
    config = setup("recorded");
    await writeLake(config.lakeDir, objects);
    first = await run(config);
  });

  test("the recorded files hold what their README says", () => {
    // Independent facts from ../shared/data/rsvps/README.md: 1,541 + 1,386 + 1 records and one
    // truncated line; 18-25% of messages repeat an rsvp_id.
    expect(expected.lines).toBe(1542 + 1386 + 1);
    expect(expected.rejected).toBe(1);
    const repeated = 1 - expected.distinctRsvpIds / (expected.lines - expected.rejected);
    expect(repeated).toBeGreaterThan(0.15);
    expect(repeated).toBeLessThan(0.25);
  });

  test("builds exactly the 3NF tables computed from the raw lines", async () => {
    expect(first.ok).toBe(true);
    expect(first.stage).toMatchObject({
      objectsStaged: objects.length,
      objectsTotal: objects.length,
      linesStaged: expected.lines,
      linesRejected: expected.rejected,
    });
    for (const table of TABLES) {
      expect({ table, rows: first.parquet.get(table)?.rows }).toEqual({
        table,
        rows: expected.tables[table]?.size,
      });
    }
    await expectTables(config.lakeDir, expected);
  });

  test("reports rsvps rows = distinct rsvp_ids, no orphans and no duplicate keys", () => {
    const check = (name: string) => first.checks.find((c) => c.name === name);
    expect(check("raw: distinct rsvp_ids = rsvps rows")).toMatchObject({
      value: expected.distinctRsvpIds,
      expected: expected.distinctRsvpIds,
      ok: true,
    });
    const mustBeZero = first.checks.filter((c) => /^(orphans|duplicate keys):/.test(c.name));
    expect(mustBeZero.length).toBe(6 + 7);
    expect(mustBeZero.every((c) => c.value === 0 && c.ok)).toBe(true);
    expect(first.postgres?.checks.filter((c) => c.name.startsWith("orphans:")).length).toBe(6);
    expect(first.postgres?.checks.every((c) => c.ok)).toBe(true);
  });

  test("quarantines the truncated line with its place and reason", async () => {
    const rejects = (await readFile(join(config.lakeDir, "etl", "rejects.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    // The 2017 file's last line (1,542nd) is line 142 of its third 700-line object.
    expect(rejects).toEqual([
      {
        object_key: objects[2]!.key,
        line_number: 142,
        reason: "not-json",
        line: objects[2]!.lines[141],
      },
    ]);
  });

  test("loads PostgreSQL with the same rows as the Parquet files", () => {
    expect(first.postgres?.migrate).toEqual({ version: 1, applied: ["001_3nf_schema"] });
    expect(first.mismatched).toEqual([]);
    for (const table of TABLES) {
      expect(first.postgres?.checksums.get(table)).toEqual(first.parquet.get(table)!);
      expect(first.postgres?.load.tables.get(table)?.copied).toBe(expected.tables[table]?.size);
    }
  });

  test("a second run changes nothing: same Parquet bytes, no PostgreSQL writes", async () => {
    const before = await fileHashes(config.lakeDir);
    const second = await run(config);
    expect(second.ok).toBe(true);
    expect(second.stage.objectsStaged).toBe(0);
    expect(await fileHashes(config.lakeDir)).toEqual(before);
    expect(second.postgres?.migrate.applied).toEqual([]);
    for (const table of TABLES) {
      expect({ table, ...second.postgres?.load.tables.get(table) }).toEqual({
        table,
        copied: expected.tables[table]!.size,
        upserted: 0,
        deleted: 0,
        bulk: false,
      });
    }
  });

  test("a PostgreSQL row changed behind its back shows in the checksums and is repaired", async () => {
    const schema = config.pgSchema;
    const [victim] = await sql.unsafe(`select member_id from "${schema}".members limit 1`);
    await sql.unsafe(
      `update "${schema}".members set member_name = 'tampered' where member_id = $1`,
      [victim!.member_id],
    );
    const conn = await sql.reserve();
    try {
      await useSchema(conn, schema);
      const tampered = await postgresChecksums(conn);
      expect(tampered.get("members")?.rows).toBe(first.parquet.get("members")?.rows);
      expect(tampered.get("members")?.checksum).not.toBe(first.parquet.get("members")?.checksum);
      expect(tampered.get("rsvps")).toEqual(first.parquet.get("rsvps")!);
    } finally {
      conn.release();
    }
    const repaired = await run(config);
    expect(repaired.ok).toBe(true);
    expect(repaired.postgres?.load.tables.get("members")?.upserted).toBe(1);
    const [row] = await sql.unsafe(
      `select member_name from "${schema}".members where member_id = $1`,
      [victim!.member_id],
    );
    expect(row?.member_name).toBe(
      expected.tables.members!.get(String(victim!.member_id))?.member_name,
    );
  });

  test("PostgreSQL refuses rows that break the keys and checks", async () => {
    const schema = config.pgSchema;
    const [rsvp] = await sql.unsafe(`select * from "${schema}".rsvps limit 1`);
    const attempts: [string, RegExp][] = [
      [`insert into "${schema}".rsvps select * from "${schema}".rsvps limit 1`, /duplicate key/],
      [
        `insert into "${schema}".rsvps values (1, 'no-such-event', ${rsvp!.member_id}, true, 0, 'public', now())`,
        /foreign key/,
      ],
      [
        `update "${schema}".rsvps set guests = -1 where rsvp_id = ${rsvp!.rsvp_id}`,
        /check constraint/,
      ],
      [`update "${schema}".rsvps set is_yes = null where rsvp_id = ${rsvp!.rsvp_id}`, /not-null/],
      [`update "${schema}".groups set country = 'USA' where true`, /check constraint/],
      [`update "${schema}".venues set lat = null where lat is not null`, /venues_position_check/],
      [`delete from "${schema}".events`, /foreign key/],
    ];
    for (const [statement, error] of attempts) {
      await expect(sql.unsafe(statement)).rejects.toThrow(error);
    }
  });
});

describe("runEtl() incrementally", () => {
  const objects = recordedObjects();

  test("gives the same tables as one run over everything, also when objects change", async () => {
    const incremental = setup("incremental");
    const full = setup("full", false);
    // Run 1 sees the first objects; run 2 the rest; run 3 a rewritten object and a removed one.
    await writeLake(incremental.lakeDir, objects.slice(0, 3));
    expect((await run(incremental)).ok).toBe(true);
    await writeLake(incremental.lakeDir, objects.slice(3));
    const second = await run(incremental);
    expect(second.ok).toBe(true);
    expect(second.stage.objectsStaged).toBe(objects.length - 3);
    const rewritten: LakeObject = { ...objects[3]!, lines: objects[3]!.lines.slice(0, 100) };
    await writeLake(incremental.lakeDir, [rewritten]);
    await rm(join(incremental.lakeDir, objects[0]!.key));
    const third = await run(incremental);
    expect(third.ok).toBe(true);
    expect(third.stage.objectsStaged).toBe(1);

    const final = [rewritten, ...objects.slice(1).filter((o) => o.key !== rewritten.key)];
    await writeLake(full.lakeDir, final);
    const once = await run(full);
    expect(once.ok).toBe(true);
    expect(third.parquet).toEqual(once.parquet);
    expect(third.postgres?.checksums).toEqual(once.parquet);
    await expectTables(incremental.lakeDir, expectedLake(final));
  });
});

describe("runEtl() in staging batches", () => {
  test("one object per batch gives the same tables as one batch", async () => {
    const objects = recordedObjects();
    const small = { ...setup("batches", false), stageBatchBytes: 1 };
    await writeLake(small.lakeDir, objects);
    const summary = await run(small);
    expect(summary.ok).toBe(true);
    expect(summary.stage).toMatchObject({
      batches: objects.length,
      objectsStaged: objects.length,
      linesRejected: 1,
    });
    await expectTables(small.lakeDir, expectedLake(objects));
  });
});

/** Every constraint and index of a schema, with the schema's name taken out. */
async function catalog(schema: string): Promise<string[]> {
  const rows = await sql.unsafe(
    `select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) as item
      from pg_constraint where connamespace = $1::text::regnamespace
    union all
    select indexname || ' ' || indexdef from pg_indexes where schemaname = $1::text`,
    [schema],
  );
  return rows.map((row) => String(row.item).replaceAll(`${schema}.`, "")).sort();
}

describe("runEtl() in bulk mode", () => {
  test("rebuilds indexes and foreign keys exactly as they were, with the same rows", async () => {
    const objects = recordedObjects();
    const bulk = { ...setup("bulk"), pgBulkRowsMin: 0 };
    const rowByRow = { ...setup("rowbyrow"), pgBulkRowsMin: 1_000_000 };
    await writeLake(bulk.lakeDir, objects);
    await writeLake(rowByRow.lakeDir, objects);
    const bulkRun = await run(bulk);
    const rowByRowRun = await run(rowByRow);
    expect(bulkRun.ok && rowByRowRun.ok).toBe(true);
    expect([...bulkRun.postgres!.load.tables.values()].every((t) => t.bulk)).toBe(true);
    expect([...rowByRowRun.postgres!.load.tables.values()].some((t) => t.bulk)).toBe(false);
    expect(bulkRun.postgres?.checksums).toEqual(rowByRowRun.postgres!.checksums);
    const items = await catalog(bulk.pgSchema);
    expect(items.filter((item) => item.includes("FOREIGN KEY")).length).toBe(6);
    expect(items.filter((item) => item.includes("CREATE INDEX")).length).toBe(6);
    expect(items).toEqual(await catalog(rowByRow.pgSchema));
    const again = await run(bulk);
    expect([...again.postgres!.load.tables.values()].some((t) => t.bulk)).toBe(false);
  });
});

describe("runEtl() on bad input", () => {
  test("quarantines each bad line with its reason and keeps the good ones", async () => {
    const config = setup("bad", false);
    const [good] = recordedObjects()[3]!.lines;
    const message = JSON.parse(good!);
    const variant = (patch: (m: Record<string, unknown>) => void, rsvpId: number) => {
      const copy = structuredClone(message);
      copy.rsvp_id = rsvpId;
      patch(copy);
      return JSON.stringify(copy);
    };
    const lines = [
      good!,
      "",
      "   ",
      '{"rsvp_id": 1, "mti',
      "[1, 2]",
      variant((m) => {
        m.response = "maybe";
      }, 2),
      variant((m) => {
        m.guests = 1.5;
      }, 3),
      variant((m) => {
        delete (m.group as Record<string, unknown>).group_topics;
      }, 4),
      variant((m) => {
        (m.group as Record<string, unknown>).group_country = "USA";
      }, 5),
      variant((m) => {
        m.venue = { venue_id: 7, venue_name: "Nowhere", lat: 91, lon: 0 };
      }, 6),
      variant((m) => {
        m.rsvp_id = "12a";
      }, 7),
      variant((m) => {
        delete m.venue;
      }, 8),
      variant((m) => {
        (m.group as Record<string, unknown>).group_topics = [{ topic_name: "No key" }];
      }, 10),
    ];
    const key = "raw/2024/01/01/00/meetup.rsvps.raw+p000+000000000000-000000000012.jsonl";
    await writeLake(config.lakeDir, [{ key, lines }]);
    // A byte that is not UTF-8 spoils one line of its object, not the object.
    const broken = "raw/2024/01/01/00/firehose-broken";
    await writeFile(
      join(config.lakeDir, broken),
      Buffer.concat([
        Buffer.from('{"rsvp_id": "\xff'),
        Buffer.from([0xff, 0x0a]),
        Buffer.from(`${variant(() => {}, 9)}\n`),
      ]),
    );
    const summary = await run(config);
    expect(summary.stage).toMatchObject({ linesStaged: 13, linesRejected: 10 });
    const rejects = (await readFile(join(config.lakeDir, "etl", "rejects.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(
      rejects.map((r) => [r.object_key === key ? "object" : "broken", r.line_number, r.reason]),
    ).toEqual([
      ["broken", 1, "not-utf8"],
      ["object", 4, "not-json"],
      ["object", 5, "not-object"],
      ["object", 6, 'schema: response is not "yes" or "no"'],
      ["object", 7, "schema: guests is missing or not a count"],
      ["object", 8, "schema: group.group_topics is missing or not an array"],
      ["object", 9, "schema: group.group_country is not a lower-case ISO-2 code"],
      ["object", 10, "schema: venue.lat is missing or not a latitude"],
      ["object", 11, "schema: rsvp_id is not an integer"],
      ["object", 13, "schema: group.group_topics has an entry without urlkey or topic_name"],
    ]);
    const rsvps = await parquetRows(config.lakeDir, "rsvps");
    expect([...rsvps.keys()].sort()).toEqual([String(message.rsvp_id), "8", "9"].sort());
    expect(
      (await parquetRows(config.lakeDir, "events")).get(message.event.event_id)?.venue_id,
    ).toBe(
      // Both good messages of this event; the later line (no venue) wins the mtime tie.
      null,
    );
  });

  test("keeps the latest mtime, and on a tie the later line, then the later object", async () => {
    const config = setup("ties", false);
    const message = JSON.parse(recordedObjects()[3]!.lines[0]!);
    const version = (rsvpId: number, mtime: number, guests: number) =>
      JSON.stringify({ ...message, rsvp_id: rsvpId, mtime, guests });
    const partition = "raw/2024/01/01/00/meetup.rsvps.raw+p000+";
    await writeLake(config.lakeDir, [
      {
        key: `${partition}000000000000-000000000005.jsonl`,
        lines: [
          version(1, 2000, 1),
          version(1, 1000, 2),
          version(2, 1000, 1),
          version(2, 1000, 2),
          version(3, 1000, 1),
          version(3, 1000, 2),
        ],
      },
      {
        // Sorts after the first object: its tie wins; its older version loses.
        key: `${partition}000000000006-000000000007.jsonl`,
        lines: [version(2, 1000, 3), version(1, 1999, 4)],
      },
    ]);
    await run(config);
    const rsvps = await parquetRows(config.lakeDir, "rsvps");
    expect(rsvps.get("1")).toMatchObject({ guests: 1, modified_at: 2000 });
    expect(rsvps.get("2")).toMatchObject({ guests: 3, modified_at: 1000 });
    expect(rsvps.get("3")).toMatchObject({ guests: 2, modified_at: 1000 });
  });

  test("a state database of another layout version is rebuilt from raw/", async () => {
    const config = setup("old-state", false);
    const objects = recordedObjects().slice(3, 4);
    await writeLake(config.lakeDir, objects);
    await prepareLake(config.lakeDir);
    const old = await DuckDBRunner.open(stateDatabasePath(config.lakeDir));
    await old.query(
      "create table raw_objects (object_key varchar); create table state_version as select 1 as version",
    );
    old.close();
    const summary = await run(config);
    expect(summary.ok).toBe(true);
    expect(summary.stage.objectsStaged).toBe(1);
    expect(summary.parquet.get("rsvps")?.rows).toBe(expectedLake(objects).distinctRsvpIds);
  });

  test("checksums over the Parquet files of an empty lake are zero", async () => {
    const config = setup("empty", false);
    const summary = await run(config);
    expect(summary.ok).toBe(true);
    expect(summary.stage.objectsTotal).toBe(0);
    const runner = await DuckDBRunner.open(join(config.lakeDir, "etl", "state.duckdb"));
    try {
      const sums = await lakeChecksums(runner, config.lakeDir);
      expect([...sums.values()].every((c) => c.rows === 0 && c.checksum === "0")).toBe(true);
    } finally {
      runner.close();
    }
  });
});
