import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, type ReplayConfig } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { startReplayServer } from "../replay/server.ts";
import { sourceFromConfig } from "../replay/source.ts";
import {
  consumeAll,
  expectExactlyOnce,
  freePort,
  RECORDED_FILES,
  recordedLines,
  testIngestConfig,
  testKafkaConfig,
  waitUntil,
} from "./_testing.ts";
import { startIngest } from "./ingest.ts";

/**
 * This test stops a broker, so it runs its own: a second KRaft broker on free ports with its
 * own data dir, started and stopped through the same script users run. The shared broker on
 * 9092 is never touched.
 */
const port = freePort();
const env = {
  ...process.env,
  KAFKA_PORT: String(port),
  KAFKA_CONTROLLER_PORT: String(freePort()),
  MEETUP_DATA_DIR: mkdtempSync(join(tmpdir(), "ingest-broker-")),
};
/** kafkajs (topic admin, the test's consumers) logs refused connections at error level. */
const log = createLogger("ingest-broker-test", {
  level: "error",
  write: (line) => {
    if (!line.includes('"msg":"kafkajs: ')) process.stderr.write(`${line}\n`);
  },
});
/** How long the broker stays down, as the issue asks. */
const OUTAGE_MS = 10_000;

/** Runs the services script without blocking the event loop (ingest keeps running meanwhile). */
async function services(command: "up" | "down"): Promise<void> {
  const child = Bun.spawn([process.execPath, "scripts/services.ts", command, "kafka"], {
    cwd: PROJECT_ROOT,
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill(), 180_000);
  const status = await child.exited;
  clearTimeout(timer);
  if (status !== 0) {
    throw new Error(`services ${command} kafka: ${await new Response(child.stderr).text()}`);
  }
}

beforeAll(() => services("up"), 180_000);
afterAll(async () => {
  await services("down");
  rmSync(env.MEETUP_DATA_DIR, { recursive: true, force: true });
}, 120_000);

test("the broker stopped for 10 s mid-stream and restarted: nothing lost, nothing repeated", async () => {
  const lines = recordedLines();
  const kafkaSettings = testKafkaConfig("broker", [`127.0.0.1:${port}`]);
  const kafka = createKafka(kafkaSettings, { clientSuffix: "ingest-test", logger: log });
  const replayConfig: ReplayConfig = {
    host: "127.0.0.1",
    port: 0,
    source: { kind: "files", patterns: RECORDED_FILES },
    // ~12 s of stream, so the outage falls in the middle of it.
    rate: { kind: "fixed", perSecond: 250 },
    keepTime: true,
    loop: false,
    clientBufferBytesMax: 4 * 1024 * 1024,
  };
  const { server } = startReplayServer(replayConfig, sourceFromConfig(replayConfig), log);
  // The buffer holds less than the outage brings, so ingest must also pause and resume.
  const config = testIngestConfig(`ws://127.0.0.1:${server.port}/2/rsvps`, {
    bufferRecordsMax: 1000,
    batchRecordsMax: 200,
  });
  const ingest = await startIngest({ config, kafkaConfig: kafkaSettings, kafka, log });
  try {
    await waitUntil(
      "the stream under way",
      () => ingest.durablePosition() >= 300,
      60_000,
      ingest.done,
    );
    await services("down");
    const stoppedAt = ingest.durablePosition();
    await Bun.sleep(OUTAGE_MS);
    // Nothing became durable while the broker was down, and the buffer stayed bounded.
    expect(ingest.durablePosition()).toBe(stoppedAt);
    expect(ingest.position() - ingest.durablePosition()).toBeLessThanOrEqual(1000);
    await services("up");
    await waitUntil(
      "every record durable",
      () => ingest.durablePosition() === lines.length,
      90_000,
      ingest.done,
    );
    expect(await ingest.stop(10_000)).toBe(true);
    const counters = ingest.snapshot();
    expect(counters.ingest_backpressure_pauses_total).toBeGreaterThan(0);
    // The client retried by itself through the outage, and each retry was counted.
    expect(counters.ingest_produce_errors_total).toBeGreaterThan(0);

    const raw = await consumeAll(kafka, kafkaSettings.raw.name, lines.length - 1);
    const dlq = await consumeAll(kafka, kafkaSettings.dlq.name, 1);
    expectExactlyOnce(lines, raw, dlq, new Map([[1541, "not-json"]]));
  } finally {
    server.stop(true);
  }
}, 240_000);
