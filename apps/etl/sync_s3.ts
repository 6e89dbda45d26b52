import { type LocalObjectStore, type ObjectStore, RAW_ROOT } from "../../modules/lake/mod.ts";

/** What {@linkcode syncObjects} did. */
export interface SyncResult {
  /** Objects under the prefix in the source. */
  listed: number;
  /** Objects copied because the target lacked them or held another size. */
  copied: number;
  /** Bytes copied. */
  bytes: number;
  durationMs: number;
}

/** Options for {@linkcode syncObjects}. */
export interface SyncOptions {
  /** Only keys under this prefix. @default {"raw/"} */
  prefix?: string;
  /** Objects copied at once; each is held whole in memory while it is copied. @default {8} */
  concurrency?: number;
  signal?: AbortSignal;
  /** Called after each object copied. */
  onCopied?: (key: string, bytes: number) => void;
}

/**
 * Copies the objects of `source` under a prefix into `target` when the target lacks them or
 * holds another size, as `aws s3 sync` does; nothing is deleted. Archive objects are named by
 * their Kafka offsets and Firehose names are unique, so a key with the same size is the same
 * object. Each copy is an atomic `put`, so a reader of the target never sees part of one.
 */
export async function syncObjects(
  source: ObjectStore,
  target: LocalObjectStore,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const { prefix = RAW_ROOT, concurrency = 8, signal, onCopied } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot sync objects as 'concurrency' must be a positive integer: current value is ${concurrency}`,
    );
  }
  const started = performance.now();
  const present = new Map<string, number>();
  for await (const { key, size } of target.list(prefix)) present.set(key, size);
  const wanted: string[] = [];
  let listed = 0;
  for await (const { key, size } of source.list(prefix, { signal })) {
    listed++;
    if (present.get(key) !== size) wanted.push(key);
  }
  let bytes = 0;
  let copied = 0;
  let next = 0;
  const worker = async () => {
    while (next < wanted.length) {
      const key = wanted[next++] as string;
      const body = await source.get(key, { signal });
      // Deleted between the listing and now: the next sync will not list it either.
      if (body === undefined) continue;
      await target.put(key, body, { signal });
      bytes += body.byteLength;
      copied++;
      onCopied?.(key, body.byteLength);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, wanted.length) }, worker));
  return { listed, copied, bytes, durationMs: performance.now() - started };
}
