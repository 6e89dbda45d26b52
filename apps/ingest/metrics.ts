import { type Metric, Registry, SampleRing } from "../../modules/metrics/mod.ts";

/** Latency quantiles published as gauges with a `quantile` label. */
const QUANTILES = [0.5, 0.99] as const;

/** The ingest's counters and gauges, and the latency samples behind its quantiles. */
export interface IngestMetrics {
  registry: Registry;
  received: Metric;
  receivedBytes: Metric;
  produced: Metric;
  rejected: Metric;
  reconnects: Metric;
  idleTimeouts: Metric;
  backpressurePauses: Metric;
  backpressureDisconnects: Metric;
  paused: Metric;
  connected: Metric;
  bufferRecords: Metric;
  bufferBytes: Metric;
  position: Metric;
  produceErrors: Metric;
  /** Receive to broker acknowledgement, per record. */
  produceLatency: SampleRing;
  /** One produce request, per batch. */
  sendLatency: SampleRing;
  /** Sets the quantile gauges from the samples; call before rendering. */
  refreshQuantiles(): void;
}

/**
 * Registers the ingest's metrics.
 *
 * @param latencySamplesMax How many recent samples each latency quantile is computed over.
 */
export function ingestMetrics(
  registry = new Registry(),
  latencySamplesMax = 10_000,
): IngestMetrics {
  const produceLatency = new SampleRing(latencySamplesMax);
  const sendLatency = new SampleRing(latencySamplesMax);
  const produceQuantiles = registry.gauge(
    "ingest_produce_latency_ms",
    "Receive to Kafka acknowledgement per record, ms, over recent records",
  );
  const sendQuantiles = registry.gauge(
    "ingest_send_latency_ms",
    "Duration of one produce request (batch), ms, over recent batches",
  );
  const gauge = (name: string, help: string) => registry.gauge(name, help);
  const counter = (name: string, help: string) => registry.counter(name, help);
  return {
    registry,
    received: counter("ingest_received_total", "Messages received from the stream"),
    receivedBytes: counter("ingest_received_bytes_total", "Message bytes received"),
    produced: counter("ingest_produced_total", "Messages acknowledged by Kafka, by topic"),
    rejected: counter("ingest_rejected_total", "Messages sent to the dead-letter topic, by reason"),
    reconnects: counter("ingest_reconnects_total", "Reconnects to the stream after a failure"),
    idleTimeouts: counter("ingest_idle_timeouts_total", "Connections replaced for being silent"),
    backpressurePauses: counter(
      "ingest_backpressure_pauses_total",
      "Times the buffer filled and ingest stopped reading the stream",
    ),
    backpressureDisconnects: counter(
      "ingest_backpressure_disconnects_total",
      "Times frames already received overflowed the buffer and ingest disconnected instead",
    ),
    paused: gauge("ingest_paused", "1 while back-pressure holds the stream off"),
    connected: gauge("ingest_connected", "1 while a stream connection is open"),
    bufferRecords: gauge("ingest_buffer_records", "Records received and not yet acknowledged"),
    bufferBytes: gauge("ingest_buffer_bytes", "Bytes received and not yet acknowledged"),
    position: gauge("ingest_stream_position", "Stream records taken (the next since_count)"),
    produceErrors: counter("ingest_produce_errors_total", "Failed produce requests (retried)"),
    produceLatency,
    sendLatency,
    refreshQuantiles() {
      for (const q of QUANTILES) {
        const labels = { quantile: String(q) };
        produceQuantiles.set(round(produceLatency.quantile(q)), labels);
        sendQuantiles.set(round(sendLatency.quantile(q)), labels);
      }
    },
  };
}

function round(value: number): number {
  return Number.isNaN(value) ? 0 : Math.round(value * 10) / 10;
}
