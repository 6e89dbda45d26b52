import type { Kafka } from "kafkajs";
import type { KafkaConfig } from "../../modules/config/mod.ts";
import { ensureTopics, projectTopics } from "../../modules/kafka/mod.ts";
import { type Logger, writeForwarded } from "../../modules/log/mod.ts";
import { packBatch, transferables } from "./_batch_codec.ts";
import type { FromWorker, ToWorker } from "./_producer_worker.ts";
import type { IngestRecord } from "./record.ts";

/** Where ingest's batches go. */
export interface KafkaSink {
  /** Partitions of the raw topic, for the key partitioner. */
  readonly rawPartitions: number;
  /**
   * Produces one batch (raw and dead-letter records together), resolving once acknowledged.
   * A `chained` batch is produced only after the batch sent before it succeeded; if that one
   * failed, this one fails unsent (retriable), so partitions stay in order.
   */
  send(batch: readonly IngestRecord[], chained: boolean): Promise<void>;
  disconnect(): Promise<void>;
}

/** A request the producer's client is about to retry (it retries without limit). */
export interface RetryNotice {
  /** The client's operation: `produce`, `metadata`, `initProducerId`... */
  operation: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** What failed, as one line. */
  error: string;
}

/** How long the producer thread may take to connect or to disconnect. */
const WORKER_REPLY_MS_MAX = 60_000;

/** A send error as the producer thread reported it, with its verdict on retrying. */
export class SendError extends Error {
  override name = "SendError";
  /** Read by the pump: false stops ingest (see `isRetriable`). */
  readonly retriable: boolean;

  constructor(name: string, message: string, retriable: boolean) {
    super(`${name}: ${message}`);
    this.retriable = retriable;
  }
}

/**
 * Creates the project's topics with kafkajs's admin client (explicit partitions and
 * replication, never broker auto-create), reads the raw topic's partition count and starts the
 * producer thread with an idempotent, `acks=all` `@platformatic/kafka` producer. Its log lines
 * go to `log`; each retry of a failed request is reported to `onRetry`.
 *
 * @throws When Kafka cannot be reached or a topic has fewer partitions than configured.
 */
export async function connectKafkaSink(
  kafka: Kafka,
  config: KafkaConfig,
  log: Logger,
  onRetry: (notice: RetryNotice) => void = () => {},
): Promise<KafkaSink> {
  await ensureTopics(kafka, projectTopics(config), config.replicationFactor);
  const rawPartitions = await partitionCount(kafka, config.raw.name);
  const thread = new ProducerThread(log, onRetry);
  await thread.call({ type: "init", config }, "ready").catch((error: unknown) => {
    thread.terminate();
    throw error;
  });
  return {
    rawPartitions,
    send: (batch, chained) => thread.send(batch, chained),
    async disconnect() {
      await thread.call({ type: "disconnect" }, "closed").catch(() => {});
      thread.terminate();
    },
  };
}

/** The worker running the producer, and the requests waiting for its replies. */
class ProducerThread {
  #worker = new Worker(new URL("./_producer_worker.ts", import.meta.url).href);
  /** Sends by id; the pump has one in flight, but shutdown may overlap it with a disconnect. */
  #sends = new Map<number, (reply: FromWorker) => void>();
  #lifecycle: ((reply: FromWorker) => void) | undefined;
  #nextId = 0;

  constructor(log: Logger, onRetry: (notice: RetryNotice) => void) {
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const reply = event.data;
      if (reply.type === "log") return writeForwarded(log, reply);
      if (reply.type === "retry") return onRetry(reply);
      const id = "id" in reply ? reply.id : undefined;
      const waiter = id === undefined ? this.#lifecycle : this.#sends.get(id);
      if (id === undefined) this.#lifecycle = undefined;
      else this.#sends.delete(id);
      waiter?.(reply);
    };
    // A crashed producer thread fails what waits for good: the process exits non-zero.
    this.#worker.onerror = (event: ErrorEvent) => {
      const crash: FromWorker = {
        type: "failed",
        name: "WorkerError",
        message: event.message,
        retriable: false,
      };
      for (const waiter of [...this.#sends.values(), this.#lifecycle]) waiter?.(crash);
      this.#sends.clear();
      this.#lifecycle = undefined;
    };
  }

  /** Sends one batch, resolving once Kafka acknowledged it. */
  send(batch: readonly IngestRecord[], chained: boolean): Promise<void> {
    const id = this.#nextId++;
    const packed = packBatch(batch);
    return new Promise((resolve, reject) => {
      this.#sends.set(id, (reply) => {
        if (reply.type === "sent") resolve();
        else reject(reply.type === "failed" ? errorOf(reply) : new Error(`got ${reply.type}`));
      });
      const message: ToWorker = { type: "send", id, batch: packed, chained };
      this.#worker.postMessage(message, transferables(packed));
    });
  }

  /** A lifecycle request (init, disconnect), answered by `expect` within a bound. */
  call(message: ToWorker, expect: FromWorker["type"]): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#lifecycle = undefined;
        reject(new Error(`Producer thread gave no ${expect} within ${WORKER_REPLY_MS_MAX} ms`));
      }, WORKER_REPLY_MS_MAX);
      this.#lifecycle = (reply) => {
        clearTimeout(timer);
        if (reply.type === expect) resolve();
        else reject(reply.type === "failed" ? errorOf(reply) : new Error(`got ${reply.type}`));
      };
      this.#worker.postMessage(message);
    });
  }

  /** Stops the thread; sends still waiting fail (not retriable: nothing will answer them). */
  terminate(): void {
    this.#worker.terminate();
    const stopped: FromWorker = {
      type: "failed",
      name: "WorkerStopped",
      message: "the producer thread was stopped before Kafka acknowledged the batch",
      retriable: false,
    };
    for (const waiter of this.#sends.values()) waiter(stopped);
    this.#sends.clear();
  }
}

function errorOf(reply: Extract<FromWorker, { type: "failed" }>): SendError {
  return new SendError(reply.name, reply.message, reply.retriable);
}

async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics.find((entry) => entry.name === topic)?.partitions.length ?? 0;
    if (count < 1) throw new Error(`Cannot read the partitions of topic ${topic}: none found`);
    return count;
  } finally {
    await admin.disconnect();
  }
}
