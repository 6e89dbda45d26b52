import type { Kafka } from "kafkajs";
import type { KafkaConfig, StreamConfig } from "../../modules/config/mod.ts";
import { ensureTopics } from "../../modules/kafka/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { Registry } from "../../modules/metrics/mod.ts";
import { compressionType, ensurePartialsTopic, partitionCount } from "./kafka_io.ts";
import { MergeStage } from "./merge_stage.ts";
import { nativeBuild } from "./rsvp_scan.ts";
import { Splitter } from "./splitter.ts";
import { SplitterThreads } from "./splitter_threads.ts";

/** Attempts at creating topics: instances starting together race to create the same ones. */
const TOPIC_ATTEMPTS_MAX = 3;
const TOPIC_RETRY_MS = 500;

async function withRetries(create: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return;
    } catch (error) {
      // The loser of a creation race sees "already exists"; the next check finds the topic.
      if (attempt >= TOPIC_ATTEMPTS_MAX) throw error;
      await Bun.sleep(TOPIC_RETRY_MS * attempt);
    }
  }
}

/** Options for {@linkcode startStream}. */
export interface StreamOptions {
  kafka: Kafka;
  kafkaConfig: KafkaConfig;
  stream: StreamConfig;
  log: Logger;
  /** @default {a new registry} */
  metrics?: Registry;
  /** The wall clock. @default {Date.now} */
  now?: () => number;
  /** Called when a consumer crashed for good: the process should exit non-zero. */
  onFatal?: (error: Error) => void;
}

/** A running stream processor instance. */
export interface StreamProcessor {
  metrics: Registry;
  /** Raw partitions this instance owns. */
  partitions(): number[];
  /** Whether this instance is the active merger. */
  merging(): boolean;
  /** Per-record counters of this instance's workers (and, with threads, their metrics). */
  counters(): Record<string, number>;
  /** Stops consuming, sends and commits what is pending, disconnects. */
  stop(): Promise<void>;
}

/**
 * Starts one stream processor instance: stage one (partition workers) on the raw topic, on
 * `stream.threads` worker threads (or the main thread when 0), and stage two (the merger) on
 * the partials topic. Run any number of instances with the same
 * `STREAM_GROUP`: they share the raw partitions, one of them merges.
 *
 * @example
 * ```ts
 * const processor = await startStream({ kafka, kafkaConfig: kafkaConfig(), stream: streamConfig(), log });
 * process.on("SIGTERM", () => processor.stop());
 * ```
 */
export async function startStream(options: StreamOptions): Promise<StreamProcessor> {
  const { kafka, kafkaConfig, stream, log } = options;
  const metrics = options.metrics ?? new Registry();
  const now = options.now ?? Date.now;
  await withRetries(() =>
    ensureTopics(kafka, [kafkaConfig.raw, kafkaConfig.stats], kafkaConfig.replicationFactor),
  );
  await withRetries(() =>
    ensurePartialsTopic(
      kafka,
      stream.partialsTopic,
      kafkaConfig.replicationFactor,
      stream.partialsRetentionMs,
    ),
  );
  const rawPartitions = await partitionCount(kafka, kafkaConfig.raw.name);
  const compression = compressionType(kafkaConfig.compression);
  const common = { kafka, stream, compression, log, metrics, now, onFatal: options.onFatal };
  const splitter =
    stream.threads > 0
      ? new SplitterThreads({
          threads: stream.threads,
          kafka: kafkaConfig,
          stream,
          log,
          onFatal: options.onFatal,
        })
      : new Splitter({
          ...common,
          rawTopic: kafkaConfig.raw.name,
          partialsTopic: stream.partialsTopic,
        });
  const merge = new MergeStage({
    ...common,
    partialsTopic: stream.partialsTopic,
    statsTopic: kafkaConfig.stats.name,
    rawPartitions,
  });
  await merge.start();
  await splitter.start();
  log.info("stream started", {
    raw: kafkaConfig.raw.name,
    rawPartitions,
    stats: kafkaConfig.stats.name,
    partials: stream.partialsTopic,
    group: stream.group,
    timeBasis: stream.timeBasis,
    windowMs: stream.windowMs,
    slotMs: stream.slotMs,
    emitMs: stream.emitMs,
    threads: stream.threads,
    // The native fast path's build: gcc's shared object, or TinyCC's when gcc is missing.
    native: nativeBuild(),
  });
  return {
    metrics,
    partitions: () => splitter.partitions,
    merging: () => merge.active,
    counters: () => ({
      ...splitter.workerCounters(),
      ...(splitter instanceof SplitterThreads ? splitter.metrics() : {}),
    }),
    stop: async () => {
      await splitter.stop();
      await merge.stop();
      log.info("stream stopped", splitter.workerCounters());
    },
  };
}
