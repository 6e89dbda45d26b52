import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import {
  assertObjectKey,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCallOptions,
} from "./object_store.ts";

/**
 * The directory under the root where objects are written before they are renamed into place.
 * It sits outside `raw/` so readers that take every file under `raw/` never see a partial one,
 * and on the same file system as the objects so the rename is atomic.
 */
export const LOCAL_TEMP_DIR = ".tmp";

/** Options for {@linkcode LocalObjectStore}. */
export interface LocalObjectStoreOptions {
  /**
   * `fsync` each object and its directory before `put` resolves, so a power cut cannot lose an
   * object whose Kafka offset was committed. Tests and benchmarks may turn it off.
   * @default {true}
   */
  fsync?: boolean;
}

/**
 * An {@linkcode ObjectStore} in a local directory: key `a/b/c` is the file `<root>/a/b/c`.
 * Writes go to a temporary file in `<root>/.tmp/`, are flushed, then renamed into place.
 *
 * @example
 * ```ts
 * const lake = new LocalObjectStore(pathsConfig().lakeDir);
 * await lake.put("raw/2017/03/19/12/x.jsonl", bytes);
 * ```
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  readonly #fsync: boolean;

  constructor(root: string, options: LocalObjectStoreOptions = {}) {
    this.location = resolve(root);
    this.#fsync = options.fsync ?? true;
  }

  /** The file path of `key`. */
  uri(key: string): string {
    assertObjectKey(key);
    return join(this.location, key);
  }

  async put(key: string, body: Uint8Array, options: ObjectStoreCallOptions = {}): Promise<void> {
    const target = this.uri(key);
    options.signal?.throwIfAborted();
    const tempDir = join(this.location, LOCAL_TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const suffix = randomBytes(4).toString("hex");
    const temp = join(tempDir, `${basename(key)}.${process.pid}.${suffix}.tmp`);
    try {
      const file = await open(temp, "w");
      try {
        await file.writeFile(body);
        if (this.#fsync) await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new Error(`Cannot write ${target}: ${(error as Error).message}`, { cause: error });
    }
    // The rename is only durable once the directory entry is.
    if (this.#fsync) await syncDirectory(dirname(target));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.uri(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    yield* this.#walk("", prefix);
  }

  /** Depth-first in S3 key order: a directory sorts as its name followed by `/`. */
  async *#walk(dirKey: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.location, dirKey), { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw error;
    }
    const named = entries
      .filter((entry) => !(dirKey === "" && entry.name === LOCAL_TEMP_DIR))
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { entry, sortKey } of named) {
      const key = `${dirKey}${sortKey}`;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(key)) yield* this.#walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const { size } = await stat(join(this.location, key));
        yield { key, size };
      }
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.uri(key), { force: true });
  }

  /**
   * Removes temporary files left by processes that died mid-write (kill -9, power cut). Files
   * of live processes are left alone, so several writers may share one root.
   *
   * @returns How many files were removed.
   */
  async sweepTemporary(): Promise<number> {
    const tempDir = join(this.location, LOCAL_TEMP_DIR);
    let names: string[];
    try {
      names = await readdir(tempDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const pid = Number(/\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
      await rm(join(tempDir, name), { force: true });
      removed++;
    }
    return removed;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
