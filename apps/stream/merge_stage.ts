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
import { encodeStats, type Stats } from "../../modules/stats/mod.ts";
import { committedOffsets, sendInChunks } from "./kafka_io.ts";
import { Merger, readMergerCheckpoint } from "./merger.ts";
import { decodePartial } from "./partials.ts";

/** Attempts at reading the merge checkpoint before the process gives up. */
const LOAD_ATTEMPTS_MAX = 5;
const LOAD_RETRY_MS = 500;
/** Upper bound of the gap between two snapshots. */
const SNAPSHOT_GAP_MS_MAX = 25;
/** Commits of the partials offset, at most this often unless finals were published. */
const COMMIT_INTERVAL_MS = 1000;

/** Options for {@linkcode MergeStage}. */
export interface MergeStageOptions {
  kafka: Kafka;
  partialsTopic: string;
  statsTopic: string;
  /** Partitions of the raw topic. */
  rawPartitions: number;
  stream: StreamConfig;
  compression: CompressionTypes;
  log: Logger;
  metrics: Registry;
  now: () => number;
  /** Called when the consumer crashed and kafkajs will not restart it. */
  onFatal?: (error: Error) => void;
}

/**
 * The Kafka side of stage two. Every instance runs it, in its own consumer group on the
 * one-partition partials topic, so exactly one instance merges at a time and another takes
 * over when it dies. It publishes finals and snapshots to the stats topic and then commits,
 * as the partials offset, where a restart must re-read from, with the running totals in the
 * commit metadata.
 */
export class MergeStage {
  #o: MergeStageOptions;
  #consumer: Consumer;
  #producer: Producer;
  #admin: Admin;
  #merger: Promise<Merger> | undefined;
  #replayUntil = 0;
  #nextInput = 0;
  #lastSnapshot = Number.NEGATIVE_INFINITY;
  #lastCommit = Number.NEGATIVE_INFINITY;
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: MergeStageOptions) {
    this.#o = options;
    const { kafka, stream } = options;
    this.#consumer = kafka.consumer({
      groupId: `${stream.group}-merge`,
      sessionTimeout: stream.sessionTimeoutMs,
      heartbeatInterval: Math.floor(stream.sessionTimeoutMs / 10),
      maxWaitTimeInMs: 500,
    });
    this.#producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.#admin = kafka.admin();
  }

  /**
   * The least wall-clock time between two snapshots. Workers already pace their live data at
   * `STREAM_EMIT_MS`; this only coalesces messages from several instances arriving together,
   * so it stays short (a longer gap would hold back the data that just arrived).
   */
  get #snapshotGapMs(): number {
    return Math.min(SNAPSHOT_GAP_MS_MAX, Math.max(1, this.#o.stream.emitMs / 4));
  }

  /** Whether this instance is the active merger now. */
  get active(): boolean {
    return this.#merger !== undefined;
  }

  async start(): Promise<void> {
    await Promise.all([this.#producer.connect(), this.#admin.connect(), this.#consumer.connect()]);
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      this.#o.log.error("consumer crashed", { error: payload.error, restart: payload.restart });
      if (!payload.restart) this.#o.onFatal?.(payload.error);
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = (payload.memberAssignment[this.#o.partialsTopic] ?? []).includes(0);
      this.#merger = mine ? this.#loadWithRetries() : undefined;
      this.#o.log.info("merge stage assignment", { active: mine });
      this.#o.metrics.gauge("stream_merge_active", "1 when this instance merges").set(mine ? 1 : 0);
    });
    await this.#consumer.subscribe({ topic: this.#o.partialsTopic, fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#timer = setInterval(() => void this.#maybeSnapshot(), this.#snapshotGapMs);
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#consumer.stop();
    await this.#chain.catch(() => {});
    await Promise.allSettled([
      this.#consumer.disconnect(),
      this.#producer.disconnect(),
      this.#admin.disconnect(),
    ]);
  }

  /**
   * {@linkcode #load} with bounded retries; after the last failure the process is told to
   * stop (and this instance merges nothing meanwhile).
   */
  async #loadWithRetries(): Promise<Merger> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#load();
      } catch (error) {
        this.#o.log.warn("opening the merge stage failed", { attempt, error });
        if (attempt >= LOAD_ATTEMPTS_MAX) {
          this.#o.onFatal?.(error as Error);
          return new Promise<Merger>(() => {}); // never resolves: the process is stopping
        }
        await Bun.sleep(LOAD_RETRY_MS * attempt);
      }
    }
  }

  /** A fresh merger, restored from the committed checkpoint when there is one. */
  async #load(): Promise<Merger> {
    const { stream } = this.#o;
    const committed = await committedOffsets(
      this.#admin,
      `${stream.group}-merge`,
      this.#o.partialsTopic,
    );
    const entry = committed.get(0);
    const saved = readMergerCheckpoint(entry?.metadata);
    const merger = new Merger({
      ...stream,
      partitions: this.#o.rawPartitions,
      windowSlots: stream.windowMs / stream.slotMs,
      liveSlotsMax: Math.ceil((stream.allowedLatenessMs + stream.idleMs) / stream.slotMs) + 8,
    });
    if (saved?.checkpoint !== undefined) merger.restore(saved.checkpoint);
    this.#replayUntil = saved?.pos ?? 0;
    this.#nextInput = entry?.offset ?? 0;
    this.#o.log.info("merge stage opened", {
      offset: entry?.offset ?? null,
      replayUntil: this.#replayUntil,
      closedEnd: saved?.checkpoint?.closedEnd ?? null,
    });
    return merger;
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const pending = this.#merger;
    if (pending === undefined) return;
    const merger = await pending;
    const finals: Stats[] = [];
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      const offset = Number(message.offset);
      const partial = decodePartial(message.value);
      if (typeof partial === "string") {
        this.#o.log.warn("skipping a partial message", { offset, reason: partial });
      } else if (partial.type === "slot") {
        merger.addSlot(partial.partition, partial.slot, partial.data, offset);
      } else if (partial.type === "live") {
        if (offset >= this.#replayUntil)
          merger.addLive(partial.partition, partial.slot, partial.data);
      } else {
        merger.addReport(partial);
        merger.close((stats) => finals.push(stats));
      }
      resolveOffset(message.offset);
      this.#nextInput = offset + 1;
    }
    merger.close((stats) => finals.push(stats));
    await heartbeat();
    this.#chain = this.#chain.then(() => this.#publish(merger, finals, true));
    await this.#chain;
  }

  async #maybeSnapshot(): Promise<void> {
    const pending = this.#merger;
    if (pending === undefined) return;
    const merger = await pending;
    if (!merger.liveChanged || this.#nextInput < this.#replayUntil) return;
    if (this.#o.now() - this.#lastSnapshot < this.#snapshotGapMs) return;
    this.#chain = this.#chain
      .then(() => this.#publish(merger, [], false))
      .catch((error) => {
        this.#o.log.warn("snapshot failed", { error });
      });
    await this.#chain;
  }

  /**
   * Sends finals (and a snapshot when due), then, for a consumed batch, commits the
   * checkpoint. A snapshot alone never commits: finals of a batch still being processed
   * would be counted as published.
   */
  async #publish(merger: Merger, finals: Stats[], commit: boolean): Promise<void> {
    const now = this.#o.now();
    const out = [...finals];
    const live = this.#nextInput >= this.#replayUntil;
    if (live && merger.liveChanged && now - this.#lastSnapshot >= this.#snapshotGapMs) {
      const snapshot = merger.snapshot();
      if (snapshot !== undefined) {
        out.push(snapshot);
        this.#lastSnapshot = now;
      }
    }
    if (out.length > 0) {
      const messages: Message[] = out.map((stats) => ({
        key: stats.kind,
        value: Buffer.from(encodeStats({ ...stats, emittedAt: now })),
      }));
      await sendInChunks(this.#producer, this.#o.statsTopic, messages, {
        compression: this.#o.compression,
      });
      const { metrics } = this.#o;
      metrics.counter("stream_finals_total", "Final stats messages sent").inc(finals.length);
      metrics
        .counter("stream_snapshots_total", "Snapshot stats messages sent")
        .inc(out.length - finals.length);
    }
    // Every final is followed by a commit; otherwise at most once a second, so the round trip
    // does not hold up the next batch.
    if (!commit || (finals.length === 0 && now - this.#lastCommit < COMMIT_INTERVAL_MS)) return;
    this.#lastCommit = now;
    const { offset, metadata } = merger.checkpoint(this.#nextInput);
    try {
      await this.#consumer.commitOffsets([
        { topic: this.#o.partialsTopic, partition: 0, offset: String(offset), metadata },
      ]);
    } catch (error) {
      this.#o.log.warn("merge commit failed", { error });
    }
  }
}
