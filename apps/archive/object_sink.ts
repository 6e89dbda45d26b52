import {
  type ObjectStore,
  parseRawObjectName,
  rawHourPrefix,
  rawObjectKey,
  rawPartitionNamePrefix,
} from "../../modules/lake/mod.ts";
import type { Chunk } from "./partition_buffer.ts";
import { type RetryPolicy, retryUntilDone } from "./retry.ts";
import type { ArchivedRange, ArchiveSink, SinkSignals } from "./sink.ts";

/**
 * The local-lake and S3 sink: each chunk becomes one whole object named after its offset range
 * (`raw/YYYY/MM/DD/HH/<topic>+p003+<first>-<last>.jsonl`), so writing it again after a crash
 * replaces it rather than adding a copy, and a restart can list what is already there.
 */
export class ObjectSink implements ArchiveSink {
  readonly kind: string;
  readonly location: string;
  readonly #store: ObjectStore;
  readonly #retry: (operation: string) => RetryPolicy;

  /**
   * @param store The lake directory or bucket prefix.
   * @param options `kind` for logs; `retry` gives the policy for an operation (`put`, `list`).
   */
  constructor(
    store: ObjectStore,
    options: { kind: string; retry: (operation: string) => RetryPolicy },
  ) {
    this.#store = store;
    this.kind = options.kind;
    this.location = store.location;
    this.#retry = options.retry;
  }

  async write(chunk: Chunk, signals: SinkSignals): Promise<void> {
    const key = rawObjectKey(chunk, chunk.hourMs);
    const body = Buffer.concat(chunk.lines, chunk.bytes);
    await retryUntilDone(
      () => this.#store.put(key, body, { signal: signals.abort }),
      this.#retry("put"),
      signals.stop,
    );
  }

  async archivedRanges(
    topic: string,
    partition: number,
    hourMs: number,
    signals: SinkSignals,
  ): Promise<ArchivedRange[]> {
    const prefix = `${rawHourPrefix(hourMs)}${rawPartitionNamePrefix(topic, partition)}`;
    return await retryUntilDone(
      async () => {
        const ranges: ArchivedRange[] = [];
        for await (const { key } of this.#store.list(prefix, { signal: signals.abort })) {
          const range = parseRawObjectName(key);
          if (range !== undefined && range.topic === topic && range.partition === partition) {
            ranges.push({ firstOffset: range.firstOffset, lastOffset: range.lastOffset });
          }
        }
        return ranges;
      },
      this.#retry("list"),
      signals.stop,
    );
  }
}
