import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import type { ArchiveConfig } from "../../modules/config/mod.ts";
import { encodeRawLine, HOUR_MS } from "../../modules/lake/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { Notifier } from "./_notifier.ts";
import { ingestTimeMs } from "./ingest_time.ts";
import type { ArchiveMetrics } from "./metrics.ts";
import { type Chunk, PartitionBuffer } from "./partition_buffer.ts";
import { type RetryPolicy, retryUntilDone } from "./retry.ts";
import type { ArchivedRange, ArchiveSink, SinkSignals } from "./sink.ts";

/** Consumer restarts allowed within {@linkcode RESTART_WINDOW_MS} before the process gives up. */
export const RESTARTS_MAX = 5;
const RESTART_WINDOW_MS = 10 * 60_000;
/** How often a waiting batch handler heartbeats, so the group does not rebalance under it. */
const HEARTBEAT_WAIT_MS = 1_000;
/** A fetch waits at most this long for new messages. */
const FETCH_WAIT_MS_MAX = 1_000;
/** How often open chunks are checked against the flush age. */
const TICK_MS_MAX = 1_000;
/** Commits awaited at shutdown (one may be in flight, one queued, one retried). */
const SHUTDOWN_COMMIT_ROUNDS_MAX = 4;

/** What {@linkcode Archiver} needs. */
export interface ArchiverOptions {
  kafka: Kafka;
  /** The raw topic. */
  topic: string;
  config: ArchiveConfig;
  sink: ArchiveSink;
  metrics: ArchiveMetrics;
  log: Logger;
  /** The clock for flush ages. @default {Date.now} */
  now?: () => number;
}

interface PartitionState {
  buffer: PartitionBuffer;
  /** The next offset expected; lower ones are re-deliveries. */
  nextOffset: number | undefined;
  /** Still looking for objects a previous run wrote but did not commit. */
  recovering: boolean;
  /** The archived ranges of the hour last looked up. */
  archived: { hour: number; ranges: ArchivedRange[] } | undefined;
  /** Offsets up to here are already in an object. */
  skipThrough: number;
}

/** One consumer-group generation: a rebalance voids everything read but not yet durable. */
interface Generation {
  id: number;
  /** Aborted when the generation ends: no more retries for its chunks. */
  stop: AbortController;
  partitions: Map<number, PartitionState>;
}

/**
 * Consumes the raw topic in its own consumer group and archives every message to a sink.
 *
 * Reads are buffered per partition into chunks (see {@linkcode PartitionBuffer}); one writer
 * makes chunks durable in order, and only then commits the offset after each. After a restart
 * or a rebalance, each partition first lists the objects of the hour it resumes in and skips
 * offsets an object already holds (written, but killed before the commit), so local and S3
 * archives hold every message exactly once. Firehose lists nothing: at least once.
 */
export class Archiver {
  readonly #options: ArchiverOptions;
  readonly #now: () => number;
  readonly #consumer: Consumer;
  readonly #admin: Admin;
  #gen: Generation = { id: 0, stop: new AbortController(), partitions: new Map() };
  #queue: Chunk[] = [];
  #inFlight: { chunk: Chunk; settled: Promise<void> } | undefined;
  #buffered = 0;
  readonly #work = new Notifier();
  readonly #progress = new Notifier();
  readonly #pendingCommits = new Map<number, number>();
  #committing: Promise<void> | undefined;
  #commitAgain = false;
  /** Aborted at the shutdown deadline: requests in flight are abandoned too. */
  readonly #abort = new AbortController();
  #stopping = false;
  #closed = false;
  #stopped: Promise<void> | undefined;
  #writer: Promise<void> | undefined;
  #timers: ReturnType<typeof setInterval>[] = [];
  #restarts: number[] = [];
  #fail!: (error: unknown) => void;
  /** Rejects when the archive cannot go on (the consumer gave up, or a bug); never resolves. */
  readonly failed: Promise<never>;

  constructor(options: ArchiverOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const { kafka, config } = options;
    this.failed = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.failed.catch(() => {});
    this.#consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(config.sessionTimeoutMs / 3)),
      // Leaving the group waits for the fetch in flight; a short long-poll keeps shutdown quick.
      maxWaitTimeInMs: FETCH_WAIT_MS_MAX,
      retry: { restartOnFailure: async (error) => this.#mayRestart(error) },
    });
    this.#admin = kafka.admin();
  }

  /** Joins the group and starts archiving; resolves once consuming has started. */
  async start(): Promise<void> {
    const { topic, config, log, sink } = this.#options;
    const events = this.#consumer.events;
    this.#consumer.on(events.GROUP_JOIN, ({ payload }) =>
      this.#newGeneration(payload.memberAssignment[topic] ?? []),
    );
    this.#consumer.on(events.REBALANCING, () => this.#gen.stop.abort(new Error("rebalancing")));
    this.#consumer.on(events.CRASH, ({ payload }) => {
      if (!payload.restart) this.#fail(payload.error);
    });
    await this.#admin.connect();
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [topic], fromBeginning: true });
    this.#writer = this.#writeLoop().catch((error) => this.#fail(error));
    const tickMs = Math.min(TICK_MS_MAX, Math.ceil((config.flushSeconds * 1000) / 4));
    this.#timers.push(setInterval(() => this.#tick(), tickMs));
    this.#timers.push(setInterval(() => void this.#logStats(), config.statsSeconds * 1000));
    log.info("archiving", {
      topic,
      group: config.groupId,
      sink: sink.kind,
      location: sink.location,
      flushBytes: config.flushBytes,
      flushSeconds: config.flushSeconds,
    });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  /**
   * Stops reading, writes what is buffered and commits it, then leaves the group. Gives up on
   * writes still failing after `ARCHIVE_SHUTDOWN_SECONDS`; their offsets stay uncommitted, so
   * the next run reads them again.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  #mayRestart(error: Error): boolean {
    const now = this.#now();
    this.#restarts = [...this.#restarts.filter((at) => now - at < RESTART_WINDOW_MS), now];
    const restart = this.#restarts.length <= RESTARTS_MAX && !this.#stopping;
    this.#options.log.warn(restart ? "consumer failed; restarting" : "consumer failed; giving up", {
      error,
      restarts: this.#restarts.length,
      restartsMax: RESTARTS_MAX,
    });
    return restart;
  }

  #newGeneration(partitions: number[]): void {
    this.#gen.stop.abort(new Error("rebalanced"));
    this.#gen = { id: this.#gen.id + 1, stop: new AbortController(), partitions: new Map() };
    // Everything read in the last generation and not yet durable is read again from the
    // committed offsets, by whichever member now owns its partition.
    this.#queue = [];
    this.#pendingCommits.clear();
    this.#setBuffered(this.#inFlight?.chunk.bytes ?? 0);
    this.#progress.notify();
    this.#options.log.info("partitions assigned", {
      generation: this.#gen.id,
      partitions: [...partitions].sort((a, b) => a - b),
    });
  }

  #state(gen: Generation, partition: number): PartitionState {
    let state = gen.partitions.get(partition);
    if (state === undefined) {
      const { topic, config } = this.#options;
      const hints = { flushBytes: config.flushBytes, flushMs: config.flushSeconds * 1000 };
      state = {
        buffer: new PartitionBuffer(topic, partition, gen.id, hints),
        nextOffset: undefined,
        recovering: true,
        archived: undefined,
        skipThrough: -1,
      };
      gen.partitions.set(partition, state);
    }
    return state;
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const gen = this.#gen;
    try {
      for (const message of batch.messages) {
        if (this.#stopping || gen !== this.#gen || !isRunning() || isStale()) return;
        await this.#accept(gen, batch.partition, message, heartbeat);
        // Resolving only moves the fetch position; with autoCommit off nothing is committed.
        resolveOffset(message.offset);
        await this.#waitWhile(
          () => this.#buffered >= this.#options.config.bufferBytesMax && gen === this.#gen,
          heartbeat,
        );
      }
    } catch (error) {
      // A lookup stopped by a rebalance or a shutdown: the unresolved rest is read again.
      if (gen.stop.signal.aborted || this.#stopping) return;
      throw error;
    }
    await heartbeat();
  }

  async #accept(
    gen: Generation,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const offset = Number(message.offset);
    const state = this.#state(gen, partition);
    if (state.nextOffset !== undefined && offset < state.nextOffset) return;
    state.nextOffset = offset + 1;
    const value = message.value;
    if (value === null || value.byteLength === 0) {
      this.#options.metrics.skipped.inc(1, { reason: "empty" });
      return;
    }
    const hour = Math.floor(this.#ingestTime(partition, message) / HOUR_MS);
    if (
      state.recovering &&
      (await this.#archivedAlready(gen, state, partition, hour, offset, heartbeat))
    ) {
      this.#options.metrics.recovered.inc();
      return;
    }
    if (gen !== this.#gen) return;
    const line = encodeRawLine(value);
    this.#setBuffered(this.#buffered + line.byteLength);
    for (const chunk of state.buffer.add({ offset, hour, line }, this.#now())) this.#enqueue(chunk);
  }

  #ingestTime(partition: number, message: KafkaMessage): number {
    const timeMs = ingestTimeMs(message.headers, message.timestamp);
    if (timeMs !== undefined) return timeMs;
    // Deterministic, so that a restart looks for the message's object in the same place.
    this.#options.log.warn(
      "message has no usable received_at header or timestamp; filed under 1970",
      {
        partition,
        offset: message.offset,
      },
    );
    return 0;
  }

  /** Whether `offset` is already in an object; looks objects up by the message's hour. */
  async #archivedAlready(
    gen: Generation,
    state: PartitionState,
    partition: number,
    hour: number,
    offset: number,
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    if (offset <= state.skipThrough) return true;
    if (state.archived?.hour !== hour) {
      // A write of the previous generation may still land; look only once it has settled.
      await this.#waitWhile(
        () => this.#inFlight !== undefined && this.#inFlight.chunk.generation !== gen.id,
        heartbeat,
      );
      const { topic, sink } = this.#options;
      const signals = this.#signals(gen);
      const ranges = await retryUntilDone(
        () => sink.archivedRanges(topic, partition, hour * HOUR_MS, signals),
        this.#retryPolicy("list", heartbeat),
        gen.stop.signal,
      );
      state.archived = { hour, ranges };
    }
    const found = state.archived.ranges.find(
      (range) => range.firstOffset <= offset && offset <= range.lastOffset,
    );
    if (found === undefined) {
      state.recovering = false;
      state.archived = undefined;
      return false;
    }
    state.skipThrough = found.lastOffset;
    this.#markDurable(gen, partition, found.lastOffset + 1);
    this.#options.log.info("skipping offsets an object already holds", {
      partition,
      fromOffset: offset,
      throughOffset: found.lastOffset,
    });
    return true;
  }

  /** Waits, heartbeating, while `condition` holds and the archive is not stopping. */
  async #waitWhile(condition: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    while (condition() && !this.#stopping) {
      await this.#progress.wait(HEARTBEAT_WAIT_MS);
      await heartbeat();
    }
  }

  #signals(gen: Generation): SinkSignals {
    return { stop: gen.stop.signal, abort: this.#abort.signal };
  }

  /** The back-off policy for an operation; retries are counted, logged, and may heartbeat. */
  #retryPolicy(operation: string, heartbeat?: () => Promise<void>): RetryPolicy {
    const { config, metrics, log } = this.#options;
    return {
      delayMs: config.retryDelayMs,
      delayMsMax: config.retryDelayMsMax,
      onRetry: async (error, attempt, delayMs) => {
        metrics.retries.inc(1, { operation });
        log.warn(`${operation} failed; retrying`, { error, attempt, delayMs });
        await heartbeat?.();
      },
    };
  }

  #setBuffered(bytes: number): void {
    this.#buffered = bytes;
    this.#options.metrics.buffered.set(bytes);
  }

  #enqueue(chunk: Chunk): void {
    this.#queue.push(chunk);
    this.#work.notify();
  }

  #tick(): void {
    const now = this.#now();
    for (const state of this.#gen.partitions.values()) {
      const chunk = state.buffer.sealIfDue(now);
      if (chunk !== undefined) this.#enqueue(chunk);
    }
    if (this.#pendingCommits.size > 0) this.#scheduleCommit();
  }

  /** Writes chunks one at a time, in order, so a partition's commits follow its writes. */
  async #writeLoop(): Promise<void> {
    while (!this.#closed) {
      const chunk = this.#queue.shift();
      if (chunk === undefined) {
        await this.#work.wait();
        continue;
      }
      const gen = this.#gen;
      if (chunk.generation !== gen.id) continue;
      const written = this.#options.sink.write(chunk, this.#signals(gen));
      this.#inFlight = {
        chunk,
        settled: written.then(
          () => {},
          () => {},
        ),
      };
      let durable = false;
      try {
        await written;
        durable = true;
      } catch (error) {
        // Only a rebalance or the shutdown deadline stops a write; anything else is a bug.
        if (!gen.stop.signal.aborted && !this.#abort.signal.aborted) throw error;
      } finally {
        this.#inFlight = undefined;
        this.#setBuffered(Math.max(0, this.#buffered - chunk.bytes));
      }
      if (durable) this.#written(gen, chunk);
      this.#progress.notify();
    }
  }

  #written(gen: Generation, chunk: Chunk): void {
    const { metrics } = this.#options;
    metrics.records.inc(chunk.lines.length);
    metrics.bytes.inc(chunk.bytes);
    metrics.objects.inc();
    this.#markDurable(gen, chunk.partition, chunk.lastOffset + 1);
  }

  #markDurable(gen: Generation, partition: number, offset: number): void {
    if (gen !== this.#gen) return;
    if (offset > (this.#pendingCommits.get(partition) ?? -1)) {
      this.#pendingCommits.set(partition, offset);
    }
    this.#scheduleCommit();
  }

  /** One commit at a time; offsets marked meanwhile go in the next one. */
  #scheduleCommit(): void {
    if (this.#committing !== undefined) {
      this.#commitAgain = true;
      return;
    }
    this.#committing = this.#commitPending().finally(() => {
      this.#committing = undefined;
      if (this.#commitAgain) {
        this.#commitAgain = false;
        this.#scheduleCommit();
      }
    });
  }

  async #commitPending(): Promise<void> {
    const { topic, metrics, log } = this.#options;
    const gen = this.#gen;
    const offsets = [...this.#pendingCommits].map(([partition, offset]) => ({
      topic,
      partition,
      offset: String(offset),
    }));
    this.#pendingCommits.clear();
    if (offsets.length === 0) return;
    try {
      await this.#consumer.commitOffsets(offsets);
      metrics.commits.inc();
    } catch (error) {
      metrics.commitFailures.inc();
      log.warn("offset commit failed; it goes with the next one", { error });
      if (gen !== this.#gen) return;
      for (const { partition, offset } of offsets) {
        if (Number(offset) > (this.#pendingCommits.get(partition) ?? -1)) {
          this.#pendingCommits.set(partition, Number(offset));
        }
      }
    }
  }

  async #logStats(): Promise<void> {
    const { topic, config, metrics, log } = this.#options;
    try {
      const [ends, groups] = await Promise.all([
        this.#admin.fetchTopicOffsets(topic),
        this.#admin.fetchOffsets({ groupId: config.groupId, topics: [topic] }),
      ]);
      const committed = new Map(
        (groups[0]?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]),
      );
      let lag = 0;
      for (const { partition, high, low } of ends) {
        const from = committed.get(partition) ?? -1;
        lag += Math.max(0, Number(high) - (from >= 0 ? from : Number(low)));
      }
      metrics.lag.set(lag);
    } catch (error) {
      log.warn("cannot measure lag", { error });
    }
    log.info("stats", metrics.registry.snapshot());
  }

  async #shutdown(): Promise<void> {
    const { topic, config, log, metrics } = this.#options;
    this.#stopping = true;
    this.#progress.notify();
    this.#consumer.pause([{ topic }]);
    const gen = this.#gen;
    for (const state of gen.partitions.values()) {
      const chunk = state.buffer.sealNow();
      if (chunk !== undefined) this.#enqueue(chunk);
    }
    const deadline = setTimeout(() => {
      log.warn("shutdown deadline passed; unwritten data stays uncommitted", {
        queued: this.#queue.length,
      });
      gen.stop.abort(new Error("shutdown deadline"));
      this.#abort.abort(new Error("shutdown deadline"));
      this.#progress.notify();
    }, config.shutdownSeconds * 1000);
    while (
      (this.#queue.length > 0 || this.#inFlight !== undefined) &&
      !this.#abort.signal.aborted
    ) {
      await this.#progress.wait(HEARTBEAT_WAIT_MS);
    }
    for (let round = 0; round < SHUTDOWN_COMMIT_ROUNDS_MAX; round++) {
      if (this.#committing === undefined && this.#pendingCommits.size > 0) this.#scheduleCommit();
      if (this.#committing === undefined) break;
      await this.#committing;
    }
    clearTimeout(deadline);
    this.#closed = true;
    this.#work.notify();
    for (const timer of this.#timers) clearInterval(timer);
    await this.#writer;
    await this.#logStats();
    await this.#consumer.disconnect();
    await this.#admin.disconnect();
    log.info("stopped", { records: metrics.records.get(), objects: metrics.objects.get() });
  }
}
