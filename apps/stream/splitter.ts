import type {
  Admin,
  CompressionTypes,
  Consumer,
  EachBatchPayload,
  Kafka,
  Message,
  Producer,
} from "kafkajs";
import type { StreamConfig } from "../../modules/config/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import type { Registry } from "../../modules/metrics/mod.ts";
import { committedOffsets, receivedAtOf, sendInChunks } from "./kafka_io.ts";
import { encodePartial, type PartialMessage } from "./partials.ts";
import { PartitionWorker, readCheckpoint } from "./partition_worker.ts";

/** Closed slots queued across partitions before a batch waits for them to be sent. */
const CLOSED_SLOTS_QUEUED_MAX = 512;
/** Attempts at reading a new partition's checkpoint before the process gives up. */
const LOAD_ATTEMPTS_MAX = 5;
const LOAD_RETRY_MS = 500;
/** Commits of the raw offsets, at most this often (a restart re-reads from the window start anyway). */
const COMMIT_INTERVAL_MS = 1000;
/**
 * Fetch sizes of the raw consumer. kafkajs fetches one response at a time and processes it
 * before the next, and copies each response into one buffer: larger fetches save round trips,
 * smaller ones copying (read alone here, one consumer: 5.6 µs of CPU per record and 215,000
 * records/s at 8 MiB per partition and 48 MiB per fetch; 4.2 µs and 265,000/s at 2 and 12).
 */
export const FETCH_BYTES_PER_PARTITION_MAX = 2 * 1024 * 1024;
export const FETCH_BYTES_MAX = 12 * 1024 * 1024;
/** A partition further behind than this many records keeps no live deltas (catch-up). */
const LIVE_LAG_RECORDS_MAX = 5000;

/** Options for {@linkcode Splitter}. */
export interface SplitterOptions {
  kafka: Kafka;
  rawTopic: string;
  partialsTopic: string;
  stream: StreamConfig;
  compression: CompressionTypes;
  log: Logger;
  metrics: Registry;
  now: () => number;
  /** Called when the consumer crashed and kafkajs will not restart it. */
  onFatal?: (error: Error) => void;
}

/**
 * The Kafka side of stage one: a consumer group on the raw topic, one
 * {@linkcode PartitionWorker} per assigned partition, and a flush every `STREAM_EMIT_MS` that
 * sends the workers' output to the partials topic and only then commits, per partition, the
 * offset a restart must re-read from (the start of the window) with the position reached and
 * the clock in the commit metadata.
 */
export class Splitter {
  #o: SplitterOptions;
  #consumer: Consumer;
  #producer: Producer;
  #admin: Admin;
  #workers = new Map<number, PartitionWorker>();
  #loading = new Map<number, Promise<PartitionWorker | undefined>>();
  #caughtUp = new Map<number, boolean>();
  #lastRecordAt = new Map<number, number>();
  #instanceMax = Number.NEGATIVE_INFINITY;
  #instanceAnchor = Number.NEGATIVE_INFINITY;
  #chain: Promise<void> = Promise.resolve();
  #timers: ReturnType<typeof setInterval>[] = [];
  #generation = 0;
  #batch: Promise<void> = Promise.resolve();
  #lastCommit = Number.NEGATIVE_INFINITY;

  constructor(options: SplitterOptions) {
    this.#o = options;
    const { kafka, stream } = options;
    this.#consumer = kafka.consumer({
      groupId: stream.group,
      sessionTimeout: stream.sessionTimeoutMs,
      heartbeatInterval: Math.floor(stream.sessionTimeoutMs / 10),
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: FETCH_BYTES_PER_PARTITION_MAX,
      maxBytes: FETCH_BYTES_MAX,
    });
    this.#producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.#admin = kafka.admin();
  }

  /** Connects, joins the group and starts consuming and flushing. */
  async start(): Promise<void> {
    const { stream } = this.#o;
    await Promise.all([this.#producer.connect(), this.#admin.connect(), this.#consumer.connect()]);
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      this.#o.log.error("consumer crashed", { error: payload.error, restart: payload.restart });
      if (!payload.restart) this.#o.onFatal?.(payload.error);
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#assign(payload.memberAssignment[this.#o.rawTopic] ?? []);
    });
    await this.#consumer.subscribe({
      topic: this.#o.rawTopic,
      fromBeginning: stream.start === "earliest",
    });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => {
        this.#batch = this.#eachBatch(payload);
        return this.#batch;
      },
    });
    this.#timers.push(
      setInterval(() => void this.flush().catch(() => {}), stream.emitMs),
      setInterval(() => this.#idle(), Math.max(10, Math.min(250, stream.idleMs / 4))),
    );
  }

  /** Stops consuming, sends what is queued, commits, and disconnects. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    // Pause first and commit while still in the group: after stop() commits are refused.
    this.#consumer.pause([{ topic: this.#o.rawTopic }]);
    await this.#batch;
    await this.flush({ commit: true }).catch((error) => {
      this.#o.log.warn("final flush failed", { error });
    });
    await this.#consumer.stop();
    for (const worker of this.#workers.values()) worker.close();
    await Promise.allSettled([
      this.#consumer.disconnect(),
      this.#producer.disconnect(),
      this.#admin.disconnect(),
    ]);
  }

  /** Partitions this instance owns now. */
  get partitions(): number[] {
    return [...this.#workers.keys()].sort((a, b) => a - b);
  }

  /** Counters summed over the owned partitions' workers. */
  workerCounters(): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const worker of this.#workers.values()) {
      for (const [name, value] of Object.entries(worker.counters))
        sum[name] = (sum[name] ?? 0) + value;
    }
    return sum;
  }

  #assign(partitions: number[]): void {
    const generation = ++this.#generation;
    const owned = new Set(partitions);
    for (const partition of [...this.#workers.keys(), ...this.#loading.keys()]) {
      if (owned.has(partition)) continue;
      // Its native cache is freed now rather than when the collector finds the worker.
      this.#workers.get(partition)?.close();
      this.#workers.delete(partition);
      this.#loading.delete(partition);
    }
    const added = partitions.filter((p) => !this.#workers.has(p) && !this.#loading.has(p));
    this.#o.log.info("partitions assigned", { partitions, added });
    this.#o.metrics
      .gauge("stream_partitions_assigned", "Raw partitions owned")
      .set(partitions.length);
    if (added.length === 0) return;
    const loaded = this.#loadWithRetries(added, generation);
    for (const partition of added) {
      this.#loading.set(
        partition,
        loaded.then((workers) => workers.get(partition)),
      );
    }
  }

  /**
   * {@linkcode #load} with bounded retries (a broker restart, metadata not there yet); after
   * the last failure the process is told to stop, so its supervisor restarts it.
   */
  async #loadWithRetries(
    partitions: number[],
    generation: number,
  ): Promise<Map<number, PartitionWorker>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#load(partitions, generation);
      } catch (error) {
        this.#o.log.warn("opening partitions failed", { partitions, attempt, error });
        if (attempt >= LOAD_ATTEMPTS_MAX) {
          this.#o.onFatal?.(error as Error);
          return new Map();
        }
        await Bun.sleep(LOAD_RETRY_MS * attempt);
      }
    }
  }

  /** Creates the workers of newly assigned partitions from their committed checkpoints. */
  async #load(partitions: number[], generation: number): Promise<Map<number, PartitionWorker>> {
    const { rawTopic, stream } = this.#o;
    const [committed, ends] = await Promise.all([
      committedOffsets(this.#admin, stream.group, rawTopic),
      this.#admin.fetchTopicOffsets(rawTopic),
    ]);
    const workers = new Map<number, PartitionWorker>();
    for (const partition of partitions) {
      const end = ends.find((entry) => entry.partition === partition);
      const high = Number(end?.high ?? 0);
      const entry = committed.get(partition);
      const checkpoint = readCheckpoint(entry?.metadata);
      const offset = entry?.offset ?? (stream.start === "earliest" ? Number(end?.low ?? 0) : high);
      const worker = new PartitionWorker(
        { ...stream, partition, windowSlots: stream.windowMs / stream.slotMs },
        { offset, replayUntil: checkpoint?.pos, maxTime: checkpoint?.maxTime },
      );
      workers.set(partition, worker);
      // A rebalance while loading may have taken the partition away again.
      if (generation !== this.#generation && !this.#loading.has(partition)) continue;
      this.#workers.set(partition, worker);
      this.#caughtUp.set(partition, high <= offset);
      this.#lastRecordAt.set(partition, this.#o.now());
      this.#o.log.info("partition opened", {
        partition,
        offset,
        replayUntil: checkpoint?.pos ?? null,
        high,
      });
    }
    return workers;
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const partition = batch.partition;
    const worker = await this.#loading.get(partition);
    if (worker === undefined || this.#workers.get(partition) !== worker) return;
    const now = this.#o.now();
    const records = this.#o.metrics.counter("stream_records_total", "Raw records read");
    const lag = Number(batch.highWatermark) - Number(batch.firstOffset() ?? batch.highWatermark);
    worker.live = lag <= LIVE_LAG_RECORDS_MAX;
    // Offsets are resolved once per batch, for the last record processed: each kafkajs call
    // parses and adds 64-bit offsets held as strings, work that only the last one needs.
    let processed: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      worker.process(
        {
          offset: Number(message.offset),
          value: message.value ?? new Uint8Array(0),
          receivedAt: receivedAtOf(message.headers),
          timestamp: Number(message.timestamp),
        },
        now,
      );
      processed = message.offset;
    }
    if (processed !== undefined) resolveOffset(processed);
    if (!isRunning() || isStale()) return;
    records.inc(batch.messages.length);
    if (batch.messages.length > 0) this.#lastRecordAt.set(partition, now);
    this.#caughtUp.set(partition, Number(batch.lastOffset()) + 1 >= Number(batch.highWatermark));
    if (worker.clock.maxTime > this.#instanceMax) {
      this.#instanceMax = worker.clock.maxTime;
      this.#instanceAnchor = now;
    }
    await heartbeat();
    let queued = 0;
    for (const w of this.#workers.values()) queued += w.closedQueued;
    if (queued > CLOSED_SLOTS_QUEUED_MAX) await this.flush();
  }

  /**
   * Lets the clocks of caught-up, quiet partitions run on: to the newest time of this
   * instance's partitions, and past it at wall-clock speed when all of them are quiet.
   */
  #idle(): void {
    const { idleMs } = this.#o.stream;
    const now = this.#o.now();
    if (!Number.isFinite(this.#instanceMax)) return;
    const quietFor = now - this.#instanceAnchor;
    const time = this.#instanceMax + (quietFor >= idleMs ? quietFor : 0);
    for (const [partition, worker] of this.#workers) {
      if (!this.#caughtUp.get(partition) || worker.replaying) continue;
      if (now - (this.#lastRecordAt.get(partition) ?? now) < idleMs) continue;
      worker.advanceTo(time);
    }
  }

  /** Sends every worker's closed and live slots and progress, then commits. Serialised. */
  flush(options: { commit?: boolean } = {}): Promise<void> {
    this.#chain = this.#chain.then(() => this.#flush(options.commit ?? false));
    return this.#chain;
  }

  async #flush(forceCommit: boolean): Promise<void> {
    const messages: Message[] = [];
    const commits: { topic: string; partition: number; offset: string; metadata: string }[] = [];
    const push = (message: PartialMessage) =>
      messages.push({ key: String(message.partition), value: encodePartial(message) });
    for (const [partition, worker] of this.#workers) {
      for (const { slot, data } of worker.takeClosed()) {
        push({ v: 1, type: "slot", partition, slot, data });
      }
      if (worker.replaying) continue;
      for (const { slot, data } of worker.takeLive()) {
        push({ v: 1, type: "live", partition, slot, data });
      }
      const caughtUp = this.#caughtUp.get(partition) ?? false;
      push({ v: 1, type: "progress", ...worker.progress(), caughtUp });
      const { offset, metadata } = worker.checkpoint();
      commits.push({ topic: this.#o.rawTopic, partition, offset: String(offset), metadata });
    }
    if (messages.length > 0) {
      await sendInChunks(this.#producer, this.#o.partialsTopic, messages, {
        compression: this.#o.compression,
      });
      this.#o.metrics
        .counter("stream_partials_sent_total", "Partial messages sent")
        .inc(messages.length);
    }
    const now = this.#o.now();
    if (commits.length === 0 || (!forceCommit && now - this.#lastCommit < COMMIT_INTERVAL_MS)) {
      return;
    }
    this.#lastCommit = now;
    try {
      // Only after the sends: a restart then re-reads whatever these slots depend on.
      await this.#consumer.commitOffsets(commits);
    } catch (error) {
      // A rebalance moved the partitions: their new owner rebuilds from the last commit.
      this.#o.log.warn("commit failed", { error });
    }
  }
}
