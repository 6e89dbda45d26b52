/** One stored object, as a listing returns it. */
export interface ObjectInfo {
  /** The key relative to the store's root, e.g. `raw/2017/03/19/12/x.jsonl`. */
  key: string;
  /** Size in bytes. */
  size: number;
}

/** Per-call options of an {@linkcode ObjectStore}. */
export interface ObjectStoreCallOptions {
  /** Abandons the call (the object is then either wholly written or not at all). */
  signal?: AbortSignal;
}

/**
 * A flat key -> bytes store with whole-object writes: a local directory or an S3 bucket
 * prefix. Keys use `/` separators, never start with `/` and never contain `.` or `..` segments.
 * A `put` is atomic: readers see the old object, or the new one, never a part.
 */
export interface ObjectStore {
  /** Where the store lives, for logs: a directory path or `s3://bucket/prefix/`. */
  readonly location: string;
  /** Writes a whole object, replacing any object with the same key. */
  put(key: string, body: Uint8Array, options?: ObjectStoreCallOptions): Promise<void>;
  /** Reads a whole object, or `undefined` when there is none with this key. */
  get(key: string, options?: ObjectStoreCallOptions): Promise<Uint8Array | undefined>;
  /** Every object whose key starts with `prefix`, in key order, one page at a time. */
  list(prefix: string, options?: ObjectStoreCallOptions): AsyncIterable<ObjectInfo>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string, options?: ObjectStoreCallOptions): Promise<void>;
  /** The address another tool (DuckDB, the duckdb CLI, aws s3) reads the object at. */
  uri(key: string): string;
}

/**
 * Checks that `key` is a relative `/`-separated object key.
 *
 * @throws {TypeError} When the key is empty, absolute, or has an empty, `.` or `..` segment.
 */
export function assertObjectKey(key: string): void {
  const segments = key.split("/");
  if (
    key === "" ||
    key.includes("\\") ||
    key.includes("\0") ||
    segments.some((segment) => segment === "" || segment === "." || segment === "..")
  ) {
    throw new TypeError(
      `Cannot use object key as it must be a relative path without empty, '.' or '..' segments: current value is ${JSON.stringify(key)}`,
    );
  }
}
