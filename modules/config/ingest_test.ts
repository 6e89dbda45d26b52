import { expect, test } from "bun:test";
import { ConfigError } from "./config_error.ts";
import { ingestConfig } from "./ingest.ts";

test("ingestConfig() defaults to the local replay stream with bounded buffers", () => {
  const config = ingestConfig({});
  expect(config.streamUrl).toBe("ws://127.0.0.1:8090/2/rsvps");
  expect(config.sinceCount).toBe(0);
  expect(config.batchBytesMax).toBeLessThan(1024 * 1024);
  expect(config.bufferRecordsMax).toBe(50_000);
  expect(config.bufferBytesMax).toBe(64 * 1024 * 1024);
  expect(config.metricsPort).toBe(9464);
});

test("ingestConfig() reads every variable", () => {
  const config = ingestConfig({
    RSVP_STREAM_URL: "wss://stream.example/2/rsvps",
    INGEST_SINCE_COUNT: "42",
    INGEST_BATCH_RECORDS_MAX: "10",
    INGEST_BATCH_LINGER_MS: "0",
    INGEST_BUFFER_RECORDS_MAX: "10",
    INGEST_METRICS_PORT: "0",
  });
  expect(config.streamUrl).toBe("wss://stream.example/2/rsvps");
  expect(config.sinceCount).toBe(42);
  expect(config.batchLingerMs).toBe(0);
  expect(config.bufferRecordsMax).toBe(10);
  expect(config.metricsPort).toBe(0);
});

test("ingestConfig() names the variable of a bad or contradictory value", () => {
  expect(() => ingestConfig({ RSVP_STREAM_URL: "http://x/2/rsvps" })).toThrow(
    'Invalid RSVP_STREAM_URL="http://x/2/rsvps": expected a URL (ws: or wss:)',
  );
  expect(() => ingestConfig({ INGEST_BUFFER_RECORDS_MAX: "0" })).toThrow(ConfigError);
  expect(() =>
    ingestConfig({ INGEST_BATCH_RECORDS_MAX: "500", INGEST_BUFFER_RECORDS_MAX: "100" }),
  ).toThrow('Invalid INGEST_BUFFER_RECORDS_MAX="100": expected at least INGEST_BATCH_RECORDS_MAX');
  expect(() =>
    ingestConfig({ INGEST_BATCH_BYTES_MAX: "2000000", INGEST_BUFFER_BYTES_MAX: "1000000" }),
  ).toThrow("INGEST_BUFFER_BYTES_MAX");
});
