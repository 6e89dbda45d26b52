/**
 * The producer thread. kafkajs encodes record batches (copies, CRC32C) in JavaScript, which is
 * about half of ingest's CPU; here it runs beside the main thread, which keeps reading and
 * parsing the stream. One idempotent producer, one batch at a time, as the main thread sends.
 */
import { CompressionTypes, type Producer } from "kafkajs";
import type { KafkaConfig } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger, type LogLevel } from "../../modules/log/mod.ts";
import { type PackedBatch, unpackBatch } from "./_batch_codec.ts";
import { isRetriable } from "./pump.ts";

/** Messages from the main thread. */
export type ToWorker =
  | { type: "init"; config: KafkaConfig }
  | { type: "send"; id: number; batch: PackedBatch }
  | { type: "disconnect" };

/** Replies; `retriable` is judged here, where the kafkajs error and its causes live. */
export type FromWorker =
  | { type: "ready" }
  | { type: "sent"; id: number }
  | { type: "failed"; id?: number; name: string; message: string; retriable: boolean }
  | { type: "closed" }
  | { type: "log"; level: LogLevel; msg: string; fields: Record<string, unknown> };

/**
 * The producer's own retry schedule. Idempotent kafkajs producers retry retriable errors
 * without limit (with the same sequence numbers, so the broker drops a retried duplicate);
 * a short cap on the delay makes a restarted broker usable within about a second.
 */
const PRODUCER_RETRY = {
  retries: Number.MAX_SAFE_INTEGER,
  initialRetryTime: 100,
  maxRetryTime: 1_000,
};

/** The broker waits this long for in-sync replicas before answering a produce request. */
const PRODUCE_TIMEOUT_MS = 30_000;

declare const self: Worker;
let producer: Producer | undefined;
let settings: KafkaConfig | undefined;

/**
 * kafkajs's log lines go to the main thread, whose logger decides what is written (its level,
 * its destination), as they would if the producer ran there.
 */
const forward = createLogger("ingest", {
  level: "debug",
  write(line) {
    const { level, msg, time: _time, service: _service, ...fields } = JSON.parse(line);
    self.postMessage({ type: "log", level, msg, fields } satisfies FromWorker);
  },
});

function failure(error: unknown, id?: number): FromWorker {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  return { type: "failed", id, name, message, retriable: isRetriable(error) };
}

async function init(config: KafkaConfig): Promise<void> {
  settings = config;
  const kafka = createKafka(config, { clientSuffix: "ingest", logger: forward });
  // One request in flight: with idempotence this keeps every partition in order across retries.
  producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: PRODUCER_RETRY,
  });
  await producer.connect();
}

async function send(batch: PackedBatch): Promise<void> {
  if (producer === undefined || settings === undefined) {
    throw new Error("Cannot send a batch as the producer is not initialised");
  }
  const { raw, dlq } = unpackBatch(batch);
  const topicMessages = [];
  if (raw.length > 0) topicMessages.push({ topic: settings.raw.name, messages: raw });
  if (dlq.length > 0) topicMessages.push({ topic: settings.dlq.name, messages: dlq });
  const compression =
    settings.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
  await producer.sendBatch({ acks: -1, timeout: PRODUCE_TIMEOUT_MS, compression, topicMessages });
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  let reply: FromWorker;
  if (message.type === "init") {
    reply = await init(message.config).then(() => ({ type: "ready" }) as const, failure);
  } else if (message.type === "send") {
    reply = await send(message.batch).then(
      () => ({ type: "sent", id: message.id }) as const,
      (error: unknown) => failure(error, message.id),
    );
  } else {
    await producer?.disconnect().catch(() => {});
    reply = { type: "closed" };
  }
  self.postMessage(reply);
};
