/**
 * The producer thread: one idempotent `@platformatic/kafka` producer, one batch at a time as
 * the main thread sends them. Encoding record batches (copies, CRC32C) costs a few µs per
 * RSVP; here it runs beside the main thread, which keeps reading and parsing the stream.
 */
import { ProduceAcks, Producer } from "@platformatic/kafka";
import type { KafkaConfig } from "../../modules/config/mod.ts";
import type { ForwardedLog } from "../../modules/log/mod.ts";
import { type PackedBatch, unpackBatch } from "./_batch_codec.ts";
import { backoffMs } from "./backoff.ts";
import { describeError, isRetriable } from "./pump.ts";

/** Messages from the main thread. */
export type ToWorker =
  | { type: "init"; config: KafkaConfig }
  | { type: "send"; id: number; batch: PackedBatch; chained: boolean }
  | { type: "disconnect" };

/** Replies; `retriable` is judged here, where the client's error and its causes live. */
export type FromWorker =
  | { type: "ready" }
  | { type: "sent"; id: number }
  | { type: "failed"; id?: number; name: string; message: string; retriable: boolean }
  | { type: "closed" }
  | { type: "retry"; operation: string; attempt: number; delayMs: number; error: string }
  | ForwardedLog;

/**
 * Delays between the client's own retries. They are without limit: the client keeps a retried
 * request's sequence numbers, so the broker drops a copy it already wrote, whereas after a
 * final failure it starts a new producer id and a re-send could be written twice. A short cap
 * makes a restarted broker usable within about a second.
 */
const CLIENT_RETRY = { msMin: 100, msMax: 1_000 };

/** The broker waits this long for in-sync replicas before answering a produce request. */
const PRODUCE_TIMEOUT_MS = 30_000;
/** The client gives up on an answer after this long (and retries): past the broker's wait. */
const REQUEST_TIMEOUT_MS = PRODUCE_TIMEOUT_MS + 10_000;
/** A broker that does not accept a connection within this long counts as down (retried). */
const CONNECT_TIMEOUT_MS = 3_000;

declare const self: Worker;
let producer: Producer | undefined;
let settings: KafkaConfig | undefined;
/** Set on disconnect: the connections closing then are expected. */
let closing = false;

function post(message: FromWorker): void {
  self.postMessage(message);
}

function failure(error: unknown, id?: number): FromWorker {
  const name = error instanceof Error ? error.name : "Error";
  return { type: "failed", id, name, message: describeError(error), retriable: isRetriable(error) };
}

function createProducer(config: KafkaConfig): Producer {
  const client = new Producer({
    clientId: `${config.clientId}-ingest`,
    bootstrapBrokers: config.brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: config.compression,
    autocreateTopics: false,
    retries: true,
    retryDelay: (_client, operation, attempt, _retries, error) => {
      const delayMs = backoffMs(attempt - 1, CLIENT_RETRY);
      post({ type: "retry", operation, attempt, delayMs, error: describeError(error) });
      return delayMs;
    },
    timeout: PRODUCE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  // Connections coming and going are worth a line; retries are reported on their own.
  client.on("client:broker:connect", (event: { broker?: unknown }) =>
    post({
      type: "log",
      level: "info",
      msg: "kafka: connected",
      fields: { broker: event?.broker },
    }),
  );
  client.on("client:broker:disconnect", (event: { broker?: unknown }) =>
    post({
      type: "log",
      level: closing ? "info" : "warn",
      msg: "kafka: disconnected",
      fields: { broker: event?.broker },
    }),
  );
  return client;
}

async function init(config: KafkaConfig): Promise<void> {
  settings = config;
  producer = createProducer(config);
  // Connects, gets the producer id and the topics' leaders now rather than on the first batch.
  await producer.initIdempotentProducer({});
  await producer.metadata({ topics: [config.raw.name, config.dlq.name] });
}

async function send(batch: PackedBatch): Promise<void> {
  if (producer === undefined || settings === undefined) {
    throw new Error("Cannot send a batch as the producer is not initialised");
  }
  const messages = unpackBatch(batch, settings.raw.name, settings.dlq.name);
  await producer.send({ messages });
}

/** Whether the last batch produced failed: a batch chained to it is then not sent. */
let lastFailed = false;

async function handle(message: ToWorker): Promise<FromWorker> {
  if (message.type === "init") {
    return init(message.config).then(() => ({ type: "ready" }) as const, failure);
  }
  if (message.type === "disconnect") {
    closing = true;
    await producer?.close().catch(() => {});
    return { type: "closed" };
  }
  const { id, chained } = message;
  if (chained && lastFailed) {
    // Sent behind a batch that failed: producing it now would put it before that one.
    return {
      type: "failed",
      id,
      name: "Unsent",
      message: "the batch before it failed",
      retriable: true,
    };
  }
  return send(message.batch).then(
    () => {
      lastFailed = false;
      return { type: "sent", id } as const;
    },
    (error: unknown) => {
      lastFailed = true;
      return failure(error, id);
    },
  );
}

/**
 * One message at a time, in arrival order: a batch is produced only once the one before it
 * is acknowledged (Kafka sees one request in flight, so a retried request cannot be
 * overtaken). A disconnect is not queued: it closes the client, which ends a send retrying
 * against a broker that is down.
 */
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "disconnect") {
    void handle(message).then(post);
    return;
  }
  // `handle` answers every failure itself; the catch keeps one surprise from stalling the queue.
  const id = message.type === "send" ? message.id : undefined;
  queue = queue
    .then(() => handle(message))
    .then(post, (error: unknown) => post(failure(error, id)));
};
