import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import type { Subprocess } from "bun";
import type { Kafka } from "kafkajs";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { servicesUp } from "../../modules/testing/mod.ts";
import {
  consumeAll,
  deleteTopics,
  expectExactlyOnce,
  freePort,
  RECORDED_FILES,
  recordedLines,
  testKafkaConfig,
  waitUntil,
} from "./_testing.ts";

/**
 * The whole process as users run it (`bun apps/ingest/main.ts`), against a replay server
 * process that is killed and started again mid-stream.
 */
const bun = process.execPath;
const log = createLogger("ingest-replay-test", { level: "error" });
const kafkaSettings = testKafkaConfig("replay");
const replayPort = freePort();
const metricsPort = freePort();
let kafka: Kafka;

function startReplay(): Subprocess {
  return Bun.spawn([bun, "apps/replay/main.ts"], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      REPLAY_PORT: String(replayPort),
      REPLAY_SOURCE: RECORDED_FILES.join(","),
      // ~10 s of stream, so the kill falls in the middle of it.
      REPLAY_RATE: "300",
      REPLAY_KEEP_TIME: "1",
      REPLAY_LOOP: "0",
      LOG_LEVEL: "error",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
}

async function metrics(): Promise<Record<string, number>> {
  const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
    (response) => response.text(),
    () => "",
  );
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{[^}]*\})? ([\d.]+)$/.exec(line);
    if (match) out[match[1] as string] = (out[match[1] as string] ?? 0) + Number(match[2]);
  }
  return out;
}

beforeAll(() => {
  servicesUp("kafka");
  kafka = createKafka(kafkaSettings, { clientSuffix: "ingest-test", logger: log });
});
afterAll(() => deleteTopics(kafka, kafkaSettings));

test("the replay server killed and restarted: ingest reconnects and continues where it stopped", async () => {
  const lines = recordedLines();
  let replay = startReplay();
  const ingest = Bun.spawn([bun, "apps/ingest/main.ts"], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      RSVP_STREAM_URL: `ws://127.0.0.1:${replayPort}/2/rsvps`,
      TOPIC_RAW: kafkaSettings.raw.name,
      TOPIC_DLQ: kafkaSettings.dlq.name,
      TOPIC_STATS: kafkaSettings.stats.name,
      INGEST_METRICS_PORT: String(metricsPort),
      INGEST_RECONNECT_MS_MIN: "100",
      INGEST_RECONNECT_MS_MAX: "1000",
      INGEST_LOG_INTERVAL_MS: "0",
    },
    stdout: "ignore",
    stderr: "pipe",
  });
  try {
    await waitUntil("the stream under way", async () => {
      return ((await metrics()).ingest_stream_position ?? 0) >= 600;
    });
    replay.kill("SIGKILL");
    await replay.exited;
    // While the server is down, ingest retries with backoff and stays disconnected.
    await waitUntil("ingest to notice", async () => (await metrics()).ingest_connected === 0);
    await Bun.sleep(1500);
    const stalled = await metrics();
    expect(stalled.ingest_reconnects_total).toBeGreaterThan(0);
    replay = startReplay();
    await waitUntil("every record durable", async () => {
      const now = await metrics();
      return now.ingest_stream_position === lines.length && now.ingest_buffer_records === 0;
    });
    ingest.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    const stderr = await new Response(ingest.stderr).text();
    expect(stderr).toContain('"msg":"stopping: flushing the buffer","why":"SIGTERM"');
    expect(stderr).toContain(`"sinceCount":${lines.length}`);
    expect(stderr).toContain('"msg":"connected","url":"ws://127.0.0.1');
    expect(stderr).toContain(`since_count=`);

    const raw = await consumeAll(kafka, kafkaSettings.raw.name, lines.length - 1);
    const dlq = await consumeAll(kafka, kafkaSettings.dlq.name, 1);
    expectExactlyOnce(lines, raw, dlq, new Map([[1541, "not-json"]]));
  } finally {
    replay.kill("SIGKILL");
    ingest.kill("SIGKILL");
  }
}, 120_000);

test("--help explains the settings; a bad one stops it with one line naming the variable", () => {
  const help = spawnSync(bun, ["apps/ingest/main.ts", "--help"], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain("INGEST_BUFFER_RECORDS_MAX");
  const bad = spawnSync(bun, ["apps/ingest/main.ts"], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, INGEST_RECONNECT_MS_MIN: "500", INGEST_RECONNECT_MS_MAX: "100" },
  });
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe(
    'Invalid INGEST_RECONNECT_MS_MAX="100": expected at least INGEST_RECONNECT_MS_MIN (500)',
  );
});
