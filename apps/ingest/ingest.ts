import type { Kafka } from "kafkajs";
import type { IngestConfig, KafkaConfig } from "../../modules/config/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { RecordBuffer } from "./buffer.ts";
import { connectKafkaSink } from "./kafka_sink.ts";
import { type IngestMetrics, ingestMetrics } from "./metrics.ts";
import { Pump } from "./pump.ts";
import { type IngestRecord, toRecord } from "./record.ts";
import { StreamClient } from "./stream_client.ts";

/** Back-pressure ends once the buffer has drained to this fraction of both bounds. */
export const BUFFER_RESUME_RATIO = 0.5;

/** Delays between retries of a failed produce request. */
const PRODUCE_RETRY = { msMin: 100, msMax: 5_000 };

/** Options of {@linkcode startIngest}. */
export interface StartIngestOptions {
  config: IngestConfig;
  kafkaConfig: KafkaConfig;
  kafka: Kafka;
  log: Logger;
  /** @default {ingestMetrics()} */
  metrics?: IngestMetrics;
  /** @default {Date.now} */
  now?: () => number;
  /** @default {Math.random} */
  random?: () => number;
}

/** A running ingest. */
export interface Ingest {
  metrics: IngestMetrics;
  /** Stream records taken so far: the `since_count` a reconnect asks for. */
  position(): number;
  /** Stream records acknowledged by Kafka: everything before this position is durable. */
  durablePosition(): number;
  /** Every metric as Prometheus text, gauges read now. */
  render(): string;
  /** Every metric as a flat object for a JSON log line, gauges read now. */
  snapshot(): Record<string, number>;
  /** Rejects if producing fails for good (a non-retriable error); resolves after `stop`. */
  done: Promise<void>;
  /**
   * Stops reading, flushes the buffer and disconnects the producer.
   *
   * @returns Whether everything was flushed within `timeoutMs`.
   */
  stop(timeoutMs: number): Promise<boolean>;
}

/**
 * Starts ingesting: creates the topics, connects the producer, then reads the stream into the
 * bounded buffer while the pump produces it to Kafka.
 *
 * @throws When Kafka cannot be reached at start (the caller retries or exits).
 */
export async function startIngest(options: StartIngestOptions): Promise<Ingest> {
  const { config, log } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const metrics = options.metrics ?? ingestMetrics();
  const sink = await connectKafkaSink(options.kafka, options.kafkaConfig);
  const buffer = new RecordBuffer<IngestRecord>({
    recordsMax: config.bufferRecordsMax,
    bytesMax: config.bufferBytesMax,
  });
  let position = config.sinceCount;
  let pausedAt: number | undefined;
  // The two per-message counters are plain numbers, copied into the registry when it is read:
  // a registry update per message cost a few percent of the whole ingest's CPU.
  let received = 0;
  let receivedBytes = 0;

  const pump = new Pump<IngestRecord>(
    buffer,
    (batch) => sink.send(batch),
    {
      batchRecordsMax: config.batchRecordsMax,
      batchBytesMax: config.batchBytesMax,
      lingerMs: config.batchLingerMs,
      retry: PRODUCE_RETRY,
      now,
      sleep: (ms) => Bun.sleep(ms),
      random,
    },
    {
      acked(batch, sendMs) {
        const ackedAt = now();
        let raw = 0;
        for (const record of batch) {
          if (record.kind === "raw") raw++;
          metrics.produceLatency.add(ackedAt - record.receivedAt);
        }
        metrics.sendLatency.add(sendMs);
        if (raw > 0) metrics.produced.inc(raw, { topic: options.kafkaConfig.raw.name });
        if (raw < batch.length) {
          metrics.produced.inc(batch.length - raw, { topic: options.kafkaConfig.dlq.name });
        }
        if (pausedAt !== undefined && buffer.below(BUFFER_RESUME_RATIO)) resume();
      },
      failed(error, attempt, delayMs) {
        metrics.produceErrors.inc();
        log.warn("produce failed; retrying", { error, attempt, delayMs, buffered: buffer.size });
      },
    },
  );

  const client = new StreamClient({
    url: config.streamUrl,
    reconnect: { msMin: config.reconnectMsMin, msMax: config.reconnectMsMax },
    idleTimeoutMs: config.idleTimeoutMs,
    position: () => position,
    onMessage: receive,
    onEvent: (event) => (event === "idle" ? metrics.idleTimeouts : metrics.reconnects).inc(),
    log,
    now,
    random,
  });

  function receive(data: string | Uint8Array): void {
    const record = toRecord(data, now(), sink.rawPartitions);
    if (!buffer.push(record)) {
      // Not taken and not counted: the resumed connection's since_count asks for it again.
      pause();
      return;
    }
    position++;
    received++;
    receivedBytes += record.message.value?.length ?? 0;
    if (record.reason !== undefined) metrics.rejected.inc(1, { reason: record.reason });
    pump.notify();
  }

  function pause(): void {
    pausedAt = now();
    metrics.backpressurePauses.inc();
    log.warn("back-pressure: buffer full, disconnecting from the stream until it drains", {
      bufferRecords: buffer.size,
      bufferBytes: buffer.bytes,
      bounds: buffer.bounds,
      sinceCount: position,
    });
    client.pause("ingest back-pressure: buffer full");
  }

  function resume(): void {
    log.info("back-pressure released, resuming the stream", {
      pausedMs: now() - (pausedAt ?? now()),
      bufferRecords: buffer.size,
      sinceCount: position,
    });
    pausedAt = undefined;
    client.resume();
  }

  const pumping = pump.run();
  const done = pumping.catch((error: unknown) => {
    client.stop();
    throw error;
  });
  // Rejections surface through `done`; this keeps an unobserved one from crashing the process.
  done.catch(() => {});
  client.start();
  log.info("ingesting", {
    url: config.streamUrl,
    sinceCount: position,
    raw: options.kafkaConfig.raw.name,
    dlq: options.kafkaConfig.dlq.name,
    rawPartitions: sink.rawPartitions,
  });

  // Gauges are read when metrics are rendered, so they are never stale.
  const readGauges = () => {
    metrics.refreshQuantiles();
    metrics.received.set(received);
    metrics.receivedBytes.set(receivedBytes);
    metrics.bufferRecords.set(buffer.size);
    metrics.bufferBytes.set(buffer.bytes);
    metrics.position.set(position);
    metrics.paused.set(pausedAt === undefined ? 0 : 1);
    metrics.connected.set(client.connected ? 1 : 0);
  };
  const ingest: Ingest = {
    metrics,
    render() {
      readGauges();
      return metrics.registry.render();
    },
    snapshot() {
      readGauges();
      return metrics.registry.snapshot();
    },
    position: () => position,
    durablePosition: () => position - buffer.size,
    done,
    async stop(timeoutMs) {
      client.stop();
      pump.drain();
      const flushed = await Promise.race([
        pumping.then(
          () => true,
          () => false,
        ),
        Bun.sleep(timeoutMs).then(() => false),
      ]);
      await sink.disconnect().catch((error: unknown) => log.warn("disconnect failed", { error }));
      return flushed;
    },
  };
  return ingest;
}
