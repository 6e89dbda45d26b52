/**
 * One stage-one thread: a {@linkcode Splitter} with its own Kafka client, a member of the raw
 * topic's consumer group exactly like another instance would be. Parsing the raw RSVPs is most
 * of the stream's CPU; threads spread it over the cores of one process.
 */
import type { KafkaConfig, StreamConfig } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { type ForwardedLog, forwardingLogger } from "../../modules/log/mod.ts";
import { Registry } from "../../modules/metrics/mod.ts";
import { compressionType } from "./kafka_io.ts";
import { Splitter } from "./splitter.ts";

/** Messages from the main thread. */
export type ToSplitterThread =
  | { type: "start"; index: number; kafka: KafkaConfig; stream: StreamConfig }
  | { type: "stop" };

/** What a thread reports: where it stands, with its counters and metrics. */
export interface SplitterThreadStatus {
  partitions: number[];
  counters: Record<string, number>;
  metrics: Record<string, number>;
}

/** Replies and reports to the main thread. */
export type FromSplitterThread =
  | ({ type: "status" } & SplitterThreadStatus)
  | { type: "started" }
  | ({ type: "stopped" } & SplitterThreadStatus)
  | { type: "failed"; message: string }
  | { type: "fatal"; message: string }
  | ForwardedLog;

/** How often a thread reports its status while running. */
const STATUS_INTERVAL_MS = 500;

declare const self: Worker;
const post = (message: FromSplitterThread) => self.postMessage(message);
const metrics = new Registry();
let splitter: Splitter | undefined;
let timer: ReturnType<typeof setInterval> | undefined;

function status(): SplitterThreadStatus {
  return {
    partitions: splitter?.partitions ?? [],
    counters: splitter?.workerCounters() ?? {},
    metrics: metrics.snapshot(),
  };
}

async function start(index: number, kafkaSettings: KafkaConfig, stream: StreamConfig) {
  const log = forwardingLogger("stream", post);
  const kafka = createKafka(kafkaSettings, { clientSuffix: `stream-t${index}`, logger: log });
  splitter = new Splitter({
    kafka,
    rawTopic: kafkaSettings.raw.name,
    partialsTopic: stream.partialsTopic,
    stream,
    compression: compressionType(kafkaSettings.compression),
    log,
    metrics,
    now: Date.now,
    onFatal: (error) => post({ type: "fatal", message: error.message }),
  });
  await splitter.start();
  timer = setInterval(() => post({ type: "status", ...status() }), STATUS_INTERVAL_MS);
}

self.onmessage = async (event: MessageEvent<ToSplitterThread>) => {
  const message = event.data;
  if (message.type === "start") {
    await start(message.index, message.kafka, message.stream).then(
      () => post({ type: "started" }),
      (error: unknown) => post({ type: "failed", message: String((error as Error)?.message) }),
    );
    return;
  }
  if (timer !== undefined) clearInterval(timer);
  await splitter?.stop();
  post({ type: "stopped", ...status() });
};
