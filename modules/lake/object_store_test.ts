import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { servicesConfig } from "../config/mod.ts";
import { servicesUp, uniqueName } from "../testing/mod.ts";
import { assertObjectKey, type ObjectStore } from "./object_store.ts";
import { LOCAL_TEMP_DIR, LocalObjectStore } from "./object_store_local.ts";
import { S3ObjectStore } from "./object_store_s3.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const { key } of store.list(prefix)) found.push(key);
  return found;
}

/** The same behaviour is asserted on both stores. */
function contract(name: string, open: () => ObjectStore) {
  describe(name, () => {
    test("put() then get() returns the same bytes; a missing key is undefined", async () => {
      const store = open();
      const body = bytes('{"a":"Zoë"}\n{"b":2}\n');
      await store.put("raw/2017/03/19/12/a.jsonl", body);
      expect(Buffer.compare((await store.get("raw/2017/03/19/12/a.jsonl"))!, body)).toBe(0);
      expect(await store.get("raw/2017/03/19/12/missing.jsonl")).toBeUndefined();
      await store.put("raw/2017/03/19/12/a.jsonl", bytes("second\n"));
      expect(new TextDecoder().decode(await store.get("raw/2017/03/19/12/a.jsonl"))).toBe(
        "second\n",
      );
    });

    test("list() yields keys under a prefix in key order, with sizes", async () => {
      const store = open();
      for (const key of [
        "raw/2017/03/19/13/b",
        "raw/2017/03/19/12/t+p1",
        "raw/2017/03/19/12/t+p0",
        "raw/2017/03/19/12.x",
        "other/z",
      ]) {
        await store.put(key, bytes(key));
      }
      expect(await keys(store, "raw/")).toEqual([
        "raw/2017/03/19/12.x",
        "raw/2017/03/19/12/t+p0",
        "raw/2017/03/19/12/t+p1",
        "raw/2017/03/19/13/b",
      ]);
      expect(await keys(store, "raw/2017/03/19/12/t+")).toEqual([
        "raw/2017/03/19/12/t+p0",
        "raw/2017/03/19/12/t+p1",
      ]);
      expect(await keys(store, "raw/2099/")).toEqual([]);
      const sizes: number[] = [];
      for await (const { size } of store.list("other/")) sizes.push(size);
      expect(sizes).toEqual([7]);
      await store.delete("other/z");
      await store.delete("other/z");
      expect(await keys(store, "other/")).toEqual([]);
    });

    test("keys must be relative paths without . or .. segments", async () => {
      const store = open();
      for (const key of ["", "/abs", "a//b", "a/../b", "./a", "a\\b"]) {
        expect(() => assertObjectKey(key)).toThrow(TypeError);
        await expect(store.put(key, bytes("x"))).rejects.toThrow(TypeError);
      }
    });
  });
}

const tempRoot = mkdtempSync(join(tmpdir(), "lake-store-"));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));
let localCount = 0;
contract("LocalObjectStore", () => new LocalObjectStore(join(tempRoot, `lake${localCount++}`)));

test("LocalObjectStore.put() leaves no temporary file; sweepTemporary() removes dead writers' files", async () => {
  const root = join(tempRoot, "sweep");
  const store = new LocalObjectStore(root);
  await store.put("raw/x", bytes("x"));
  expect(readdirSync(join(root, LOCAL_TEMP_DIR))).toEqual([]);
  // pid 2^22+1 is above Linux's pid_max default, so no such process can be alive.
  writeFileSync(join(root, LOCAL_TEMP_DIR, "x.4194305.abcd.tmp"), "partial");
  writeFileSync(join(root, LOCAL_TEMP_DIR, `y.${process.pid}.abcd.tmp`), "mine");
  expect(await store.sweepTemporary()).toBe(1);
  expect(readdirSync(join(root, LOCAL_TEMP_DIR))).toEqual([`y.${process.pid}.abcd.tmp`]);
  expect(await keys(store, "")).toEqual(["raw/x"]);
});

describe("against moto", () => {
  const bucket = uniqueName("lake-store").toLowerCase();
  const stores: S3ObjectStore[] = [];
  beforeAll(async () => {
    servicesUp("moto");
    process.env.AWS_ACCESS_KEY_ID ??= "test";
    process.env.AWS_SECRET_ACCESS_KEY ??= "test";
    const probe = open();
    await probe.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    const store = new S3ObjectStore({ bucket, aws: aws() });
    for await (const { key } of store.list("")) await store.delete(key);
    await store.client.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
  const aws = () => ({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${servicesConfig().moto.port}`,
  });
  let count = 0;
  const open = () => {
    const store = new S3ObjectStore({ bucket, prefix: `/p${count++}/`, aws: aws() });
    stores.push(store);
    return store;
  };
  contract("S3ObjectStore", open);

  test("S3ObjectStore keeps keys under its prefix and names them as s3:// URIs", async () => {
    const store = new S3ObjectStore({ bucket, prefix: "deep/er", aws: aws() });
    await store.put("raw/k", bytes("v"));
    expect(store.uri("raw/k")).toBe(`s3://${bucket}/deep/er/raw/k`);
    const root = new S3ObjectStore({ bucket, aws: aws() });
    expect(await keys(root, "deep/")).toEqual(["deep/er/raw/k"]);
    expect(() => new S3ObjectStore({ bucket: "Bad_Bucket" })).toThrow(/bucket/);
  });
});
