import type { Kafka } from "kafkajs";
import type { IngestConfig, KafkaConfig } from "../../modules/config/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { RecordBuffer } from "./buffer.ts";
import { connectKafkaSink, type KafkaSink } from "./kafka_sink.ts";
import { type IngestMetrics, ingestMetrics } from "./metrics.ts";
import { Pump } from "./pump.ts";
import { type IngestRecord, toRecord } from "./record.ts";
import { StreamClient } from "./stream_client.ts";

/**
 * Ingest stops reading the socket once the buffer fills to this fraction of either bound; the
 * rest is headroom for frames the client had already received. Only if those overflow it too
 * does ingest disconnect (and later resume with since_count).
 */
export const BUFFER_HOLD_RATIO = 0.9;

/** Back-pressure ends once the buffer has drained to this fraction of both bounds. */
export const BUFFER_RESUME_RATIO = 0.5;

/**
 * Batches handed to the producer thread and not yet acknowledged. Kafka still sees one
 * request at a time; the second batch waits, packed, in the producer thread, which sends it
 * the moment the first is acknowledged instead of after the acknowledgement has crossed back
 * to a busy main thread and a new batch has been packed (a third of each round trip at max
 * rate).
 */
const BATCHES_IN_FLIGHT_MAX = 2;

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
  const metrics = options.metrics ?? ingestMetrics();
  const { kafka, kafkaConfig, log } = options;
  const sink = await connectKafkaSink(kafka, kafkaConfig, log, (notice) => {
    // The client retries by itself, without limit; each retry is counted and said.
    const { operation, attempt, delayMs, error } = notice;
    metrics.produceErrors.inc();
    log.warn("kafka request failed; retrying", { operation, attempt, delayMs, error });
  });
  const run = new IngestRun({ ...options, metrics }, sink);
  run.start();
  return run;
}

/** One ingest: the stream client, the buffer and the pump, wired together. */
class IngestRun implements Ingest {
  readonly metrics: IngestMetrics;
  readonly done: Promise<void>;
  #options: StartIngestOptions;
  #sink: KafkaSink;
  #now: () => number;
  #buffer: RecordBuffer<IngestRecord>;
  #pump: Pump<IngestRecord>;
  #pumping: Promise<void> | undefined;
  #client: StreamClient;
  #position: number;
  #pausedAt: number | undefined;
  // The per-message counters are plain numbers, copied into the registry when it is read: a
  // registry update per message cost a few percent of the whole ingest's CPU.
  #received = 0;
  #receivedBytes = 0;
  #settle = Promise.withResolvers<void>();

  constructor(options: StartIngestOptions, sink: KafkaSink) {
    const { config } = options;
    this.#options = options;
    this.#sink = sink;
    this.#now = options.now ?? Date.now;
    const random = options.random ?? Math.random;
    this.metrics = options.metrics ?? ingestMetrics();
    this.#position = config.sinceCount;
    this.#buffer = new RecordBuffer<IngestRecord>({
      recordsMax: config.bufferRecordsMax,
      bytesMax: config.bufferBytesMax,
    });
    this.#pump = new Pump<IngestRecord>(
      this.#buffer,
      (batch, chained) => sink.send(batch, chained),
      {
        batchRecordsMax: config.batchRecordsMax,
        batchBytesMax: config.batchBytesMax,
        // The broker bounds each partition's batch (message.max.bytes), not the request.
        groupOf: (record) => record.partition,
        lingerMs: config.batchLingerMs,
        retry: PRODUCE_RETRY,
        inFlightMax: BATCHES_IN_FLIGHT_MAX,
        now: this.#now,
        sleep: (ms) => Bun.sleep(ms),
        random,
      },
      {
        acked: (batch, sendMs) => this.#acked(batch, sendMs),
        failed: (...args) => this.#sendFailed(...args),
      },
    );
    this.#client = new StreamClient({
      url: config.streamUrl,
      reconnect: { msMin: config.reconnectMsMin, msMax: config.reconnectMsMax },
      idleTimeoutMs: config.idleTimeoutMs,
      position: () => this.#position,
      onMessage: (data) => this.#receive(data),
      onEvent: (event) =>
        (event === "idle" ? this.metrics.idleTimeouts : this.metrics.reconnects).inc(),
      log: options.log,
      now: this.#now,
      random,
    });
    this.done = this.#settle.promise;
    // Rejections surface through `done`; this keeps an unobserved one from crashing the process.
    this.done.catch(() => {});
  }

  start(): void {
    this.#pumping = this.#pump.run();
    this.#pumping.then(
      () => this.#settle.resolve(),
      (error: unknown) => {
        this.#client.stop();
        this.#settle.reject(error);
      },
    );
    this.#client.start();
    const { config, kafkaConfig } = this.#options;
    this.#options.log.info("ingesting", {
      url: config.streamUrl,
      sinceCount: this.#position,
      raw: kafkaConfig.raw.name,
      dlq: kafkaConfig.dlq.name,
      rawPartitions: this.#sink.rawPartitions,
    });
  }

  position(): number {
    return this.#position;
  }

  durablePosition(): number {
    return this.#position - this.#buffer.size;
  }

  render(): string {
    this.#readGauges();
    return this.metrics.registry.render();
  }

  snapshot(): Record<string, number> {
    this.#readGauges();
    return this.metrics.registry.snapshot();
  }

  async stop(timeoutMs: number): Promise<boolean> {
    this.#client.stop();
    this.#pump.drain();
    const flushed = await Promise.race([
      (this.#pumping ?? Promise.resolve()).then(
        () => true,
        () => false,
      ),
      Bun.sleep(timeoutMs).then(() => false),
    ]);
    await this.#sink
      .disconnect()
      .catch((error: unknown) => this.#options.log.warn("disconnect failed", { error }));
    return flushed;
  }

  #receive(data: string | Uint8Array): void {
    const record = toRecord(data, this.#now(), this.#sink.rawPartitions);
    if (!this.#buffer.push(record)) {
      // Not taken and not counted: the next connection's since_count asks for it again.
      this.#overflow();
      return;
    }
    this.#position++;
    this.#received++;
    this.#receivedBytes += record.valueBytes;
    if (record.reason !== undefined) this.metrics.rejected.inc(1, { reason: record.reason });
    this.#pump.notify();
    if (this.#pausedAt === undefined && this.#buffer.above(BUFFER_HOLD_RATIO)) this.#hold();
  }

  #acked(batch: readonly IngestRecord[], sendMs: number): void {
    const ackedAt = this.#now();
    this.metrics.sendLatency.add(sendMs);
    let raw = 0;
    for (const record of batch) {
      if (record.kind === "raw") raw++;
      this.metrics.produceLatency.add(ackedAt - record.receivedAt);
    }
    const { raw: rawTopic, dlq: dlqTopic } = this.#options.kafkaConfig;
    if (raw > 0) this.metrics.produced.inc(raw, { topic: rawTopic.name });
    if (raw < batch.length) this.metrics.produced.inc(batch.length - raw, { topic: dlqTopic.name });
    if (this.#pausedAt !== undefined && this.#buffer.below(BUFFER_RESUME_RATIO)) this.#resume();
  }

  #sendFailed(error: unknown, attempt: number, delayMs: number): void {
    this.metrics.produceErrors.inc();
    this.#options.log.warn("produce failed; retrying", {
      error,
      attempt,
      delayMs,
      buffered: this.#buffer.size,
    });
  }

  /** Back-pressure: stop reading the socket; the server sees TCP back-pressure. */
  #hold(): void {
    this.#pausedAt = this.#now();
    this.metrics.backpressurePauses.inc();
    this.#options.log.warn("back-pressure: buffer nearly full, stopped reading the stream", {
      bufferRecords: this.#buffer.size,
      bufferBytes: this.#buffer.bytes,
      bounds: this.#buffer.bounds,
      sinceCount: this.#position,
    });
    this.#client.hold();
  }

  /** Frames received before the hold took effect overflowed the headroom: disconnect. */
  #overflow(): void {
    this.#pausedAt ??= this.#now();
    this.metrics.backpressureDisconnects.inc();
    this.#options.log.warn("back-pressure: buffer full, disconnecting from the stream", {
      bufferRecords: this.#buffer.size,
      bufferBytes: this.#buffer.bytes,
      sinceCount: this.#position,
    });
    this.#client.hold();
    this.#client.disconnect("ingest back-pressure: buffer full");
  }

  #resume(): void {
    this.#options.log.info("back-pressure released, reading the stream again", {
      pausedMs: this.#now() - (this.#pausedAt ?? this.#now()),
      bufferRecords: this.#buffer.size,
      sinceCount: this.#position,
    });
    this.#pausedAt = undefined;
    this.#client.release();
    this.#client.reconnect();
  }

  /** Gauges are read when metrics are rendered, so they are never stale. */
  #readGauges(): void {
    const metrics = this.metrics;
    metrics.refreshQuantiles();
    metrics.received.set(this.#received);
    metrics.receivedBytes.set(this.#receivedBytes);
    metrics.bufferRecords.set(this.#buffer.size);
    metrics.bufferBytes.set(this.#buffer.bytes);
    metrics.position.set(this.#position);
    metrics.paused.set(this.#pausedAt === undefined ? 0 : 1);
    metrics.connected.set(this.#client.connected ? 1 : 0);
  }
}
