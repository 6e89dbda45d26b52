/**
 * Consumes `meetup.rsvps.stats` for the live view. Every dashboard process reads the whole
 * topic for itself (a group of its own that never commits), starting `historyMs` back so the
 * live chart is full as soon as the page opens.
 */
import { hostname } from "node:os";
import type { Consumer, Kafka } from "kafkajs";
import type { Logger } from "../../modules/log/mod.ts";
import { parseStats, type Stats, type StatsRejectReason } from "../../modules/stats/mod.ts";

/** Options for {@linkcode startStatsConsumer}. */
export interface StatsConsumerOptions {
  kafka: Kafka;
  topic: string;
  /** How far back to start reading, in ms. */
  historyMs: number;
  log: Logger;
  /** A valid message, with the dashboard's clock at arrival. */
  onStats: (stats: Stats, receivedAt: number) => void;
  /** A message that was not accepted (counted; `unsupported` ones come from newer producers). */
  onReject: (reason: StatsRejectReason, message: string) => void;
  /** The consumer stopped for good (restarts exhausted): the process should exit non-zero. */
  onFatal: (error: unknown) => void;
  /** @default {Date.now} */
  now?: () => number;
  /** Restarts after a crash before giving up. @default {5} */
  restartsMax?: number;
}

/** A running stats consumer. */
export interface StatsConsumer {
  /** True between a successful start and stop or a fatal crash. */
  readonly running: boolean;
  stop(): Promise<void>;
}

/** Rejections logged at most this often (they are all counted). */
const REJECT_LOG_INTERVAL_MS = 10_000;

/**
 * Connects, subscribes, seeks back `historyMs` on every partition and starts consuming.
 *
 * @throws {Error} When Kafka cannot be reached or the topic cannot be read at start.
 */
export async function startStatsConsumer(options: StatsConsumerOptions): Promise<StatsConsumer> {
  const now = options.now ?? Date.now;
  const restartsMax = options.restartsMax ?? 5;
  let restarts = 0;
  const groupId = `meetup-dashboard-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    // A crash is retried a bounded number of times, then the process exits for its supervisor.
    retry: { retries: 8, restartOnFailure: async () => ++restarts <= restartsMax },
  });
  const state = { running: false };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    options.log.error("stats consumer crashed", { error: payload.error, restart: payload.restart });
    if (!payload.restart) {
      state.running = false;
      options.onFatal(payload.error);
    }
  });
  const starts = await startOffsets(options.kafka, options.topic, now() - options.historyMs);
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: false });
  let lastRejectLog = 0;
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const result = parseStats(message.value ?? new Uint8Array());
      if (result.ok) return options.onStats(result.stats, now());
      options.onReject(result.reason, result.message);
      if (now() - lastRejectLog >= REJECT_LOG_INTERVAL_MS) {
        lastRejectLog = now();
        options.log.warn("stats message skipped", {
          reason: result.reason,
          message: result.message,
          offset: message.offset,
        });
      }
    },
  });
  for (const { partition, offset } of starts)
    consumer.seek({ topic: options.topic, partition, offset });
  state.running = true;
  options.log.info("consuming stats", { topic: options.topic, groupId, from: starts });
  return {
    get running() {
      return state.running;
    },
    async stop() {
      state.running = false;
      await consumer.disconnect();
      // The group is this process's alone and never committed: leave nothing behind.
      const admin = options.kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([groupId]);
      } catch (error) {
        options.log.warn("could not delete the dashboard's consumer group", { groupId, error });
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/** Per partition, the first offset at or after `since` (the end when there is none). */
async function startOffsets(kafka: Kafka, topic: string, since: number) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, since);
    const ends = await admin.fetchTopicOffsets(topic);
    return byTime.map(({ partition, offset }) => {
      // Kafka answers -1 when no message is that recent: start at the end.
      const end = ends.find((e) => e.partition === partition)?.high ?? "0";
      return { partition, offset: Number(offset) < 0 ? end : offset };
    });
  } finally {
    await admin.disconnect();
  }
}
