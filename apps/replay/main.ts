#!/usr/bin/env bun
/**
 * apps/replay: a Meetup-compatible RSVP stream server. Replays the recorded real RSVPs (default)
 * or a seeded synthetic stream at ws://HOST:PORT/2/rsvps and as HTTP chunked JSON lines at the
 * same path. Also writes synthetic JSONL files for benchmarks.
 */
import { commandLine, exitOnConfigError, replayConfig } from "../../modules/config/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { STREAM_PATH, startReplayServer } from "./server.ts";
import { sourceFromConfig } from "./source.ts";
import { writeSynthetic } from "./write.ts";

const HELP = `Usage: bun apps/replay/main.ts [options]        (make replay)

Serves a Meetup-compatible RSVP stream: WebSocket at ws://REPLAY_HOST:REPLAY_PORT${STREAM_PATH}
and HTTP chunked JSON lines at http://REPLAY_HOST:REPLAY_PORT${STREAM_PATH}. Every connection
replays the source from its start; ?since_count=N resumes after the first N records.

Options (each overrides the environment variable named):
  --port N            REPLAY_PORT         (default 8090)
  --source S          REPLAY_SOURCE       JSONL paths/globs, comma-separated, or "synthetic"
                                          (default: ../shared/data/rsvps/*.jsonl, in file order)
  --rate R            REPLAY_RATE         realtime | realtime:<speed> | <N> per second | max
                                          (default realtime)
  --keep-time         REPLAY_KEEP_TIME=1  send original bytes and mtimes (default: re-stamp
                                          mtime to now, keeping the offsets between records)
  --no-loop           REPLAY_LOOP=0       stop at the end of the files (the stream goes quiet)
  --seed N            REPLAY_SEED         synthetic seed (default 42)
  --write N           write N synthetic RSVPs to --out and exit (no server)
  --out FILE          file for --write (default data/synthetic-N.jsonl)
  -h, --help          this text

Also: REPLAY_HOST (127.0.0.1), REPLAY_CLIENT_BUFFER_BYTES (4194304: a client further behind
is dropped in timed modes; at max rate the server waits for it instead). /healthz, /metrics.`;

function main(): void {
  const cli = commandLine({
    help: HELP,
    flags: {
      port: { env: "REPLAY_PORT", type: "string" },
      source: { env: "REPLAY_SOURCE", type: "string" },
      rate: { env: "REPLAY_RATE", type: "string" },
      "keep-time": { env: "REPLAY_KEEP_TIME", type: "boolean", value: "1" },
      "no-loop": { env: "REPLAY_LOOP", type: "boolean", value: "0" },
      seed: { env: "REPLAY_SEED", type: "string" },
    },
    extra: { write: { type: "string" }, out: { type: "string" } },
  });
  if (cli === undefined) return;
  const { env, values } = cli;
  if (typeof values.write === "string") {
    env.REPLAY_SOURCE = "synthetic";
    return void writeFile(values.write, values.out as string | undefined, env);
  }
  const log = createLogger("replay");
  const config = exitOnConfigError(() => replayConfig(env));
  const source = exitOnConfigError(() => sourceFromConfig(config));
  const { server, metrics } = startReplayServer(config, source, log);
  log.info("serving", {
    url: `ws://${config.host}:${server.port}${STREAM_PATH}`,
    source: source.description,
    rate: config.rate,
    keepTime: config.keepTime,
  });
  const timer = setInterval(() => log.info("metrics", metrics.snapshot()), 30_000);
  const stop = (signal: string) => {
    log.info("stopping", { signal, ...metrics.snapshot() });
    clearInterval(timer);
    server.stop(true);
    process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

async function writeFile(
  countText: string,
  out: string | undefined,
  env: Record<string, string | undefined>,
) {
  const count = Number(countText);
  if (!/^\d+$/.test(countText) || count < 1) {
    console.error(`Invalid --write=${JSON.stringify(countText)}: expected a positive integer`);
    process.exit(2);
  }
  const config = exitOnConfigError(() => replayConfig(env));
  const seed = config.source.kind === "synthetic" ? config.source.seed : 42;
  const path = out ?? `data/synthetic-${count}.jsonl`;
  await Bun.write(path, "");
  const started = performance.now();
  const bytes = await writeSynthetic(path, count, seed, (written) =>
    console.error(`replay: wrote ${written}/${count} records`),
  );
  const seconds = (performance.now() - started) / 1000;
  console.error(
    `replay: ${count} records, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s -> ${path}`,
  );
}

main();
