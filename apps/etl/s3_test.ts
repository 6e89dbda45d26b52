import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { databaseConfig, etlConfig, servicesConfig } from "../../modules/config/mod.ts";
import { LocalObjectStore, S3ObjectStore } from "../../modules/lake/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import { expectedLake, recordedObjects } from "./_fixture.ts";
import { runEtl } from "./etl.ts";
import { syncObjects } from "./sync_s3.ts";

// Real DuckDB and PostgreSQL work on a shared 2-core machine: seconds, not milliseconds.
setDefaultTimeout(60_000);

const bucket = uniqueName("etl-sync").toLowerCase();
const aws = { region: "us-east-1", endpoint: `http://127.0.0.1:${servicesConfig().moto.port}` };
const log = createLogger("etl-s3-test", { level: "warn" });
let root: string;
let store: S3ObjectStore;

beforeAll(async () => {
  servicesUp("moto");
  process.env.AWS_ACCESS_KEY_ID ??= "test";
  process.env.AWS_SECRET_ACCESS_KEY ??= "test";
  root = await mkdtemp(join(tmpdir(), "etl-s3-test-"));
  store = new S3ObjectStore({ bucket, prefix: "archive", aws });
  await store.client.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const { key, lines } of recordedObjects()) {
    await store.put(key, new TextEncoder().encode(lines.map((line) => `${line}\n`).join("")));
  }
  // Outside raw/: the sync must leave it alone.
  await store.put("other/readme.txt", new TextEncoder().encode("not a raw object"));
});

afterAll(async () => {
  for await (const { key } of store.list("")) await store.delete(key);
  await store.client.send(new DeleteBucketCommand({ Bucket: bucket }));
  store.client.destroy();
  await rm(root, { recursive: true, force: true });
});

test("syncObjects() copies new and resized objects under raw/ only, like aws s3 sync", async () => {
  const target = new LocalObjectStore(join(root, "mirror"), { fsync: false });
  const objects = recordedObjects();
  const first = await syncObjects(store, target, { concurrency: 3 });
  expect(first).toMatchObject({ listed: objects.length, copied: objects.length });
  const again = await syncObjects(store, target);
  expect(again).toMatchObject({ listed: objects.length, copied: 0, bytes: 0 });
  const changed = objects[0]!;
  await store.put(changed.key, new TextEncoder().encode(`${changed.lines[0]}\n`));
  const third = await syncObjects(store, target);
  expect(third).toMatchObject({ copied: 1, bytes: changed.lines[0]!.length + 1 });
  expect(new TextDecoder().decode(await target.get(changed.key))).toBe(`${changed.lines[0]}\n`);
  expect(await target.get("other/readme.txt")).toBeUndefined();
  await store.put(
    changed.key,
    new TextEncoder().encode(changed.lines.map((l) => `${l}\n`).join("")),
  );
  await expect(syncObjects(store, target, { concurrency: 0 })).rejects.toThrow(/concurrency/);
});

test("runEtl() with ETL_SOURCE=s3 syncs the bucket first and builds the same tables", async () => {
  const config = etlConfig({
    LAKE_DIR: join(root, "lake"),
    ETL_SOURCE: "s3",
    S3_BUCKET: bucket,
    S3_PREFIX: "archive/",
    ETL_POSTGRES: "0",
  });
  const summary = await runEtl(config, { log, database: databaseConfig(), aws });
  expect(summary.ok).toBe(true);
  const objects = recordedObjects();
  expect(summary.sync).toMatchObject({ listed: objects.length, copied: objects.length });
  const expected = expectedLake(objects);
  expect(summary.parquet.get("rsvps")?.rows).toBe(expected.distinctRsvpIds);
  expect(summary.parquet.get("members")?.rows).toBe(expected.tables.members!.size);
  const again = await runEtl(config, { log, database: databaseConfig(), aws });
  expect(again.sync?.copied).toBe(0);
  expect(again.stage.objectsStaged).toBe(0);
  expect(again.parquet).toEqual(summary.parquet);
});
