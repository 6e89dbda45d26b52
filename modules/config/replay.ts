import { join } from "node:path";
import { bool, type Env, int, list, port, raw } from "./_env.ts";
import { ConfigError } from "./config_error.ts";
import { pathsConfig } from "./paths.ts";

/** How fast the replay server sends. */
export type ReplayRate =
  | { kind: "realtime"; speed: number }
  | { kind: "fixed"; perSecond: number }
  | { kind: "max" };

/** `apps/replay` settings. */
export interface ReplayConfig {
  /** `REPLAY_HOST`, default `127.0.0.1`. */
  host: string;
  /** `REPLAY_PORT`, default 8090. */
  port: number;
  /** `REPLAY_SOURCE`: JSONL paths or globs, or `synthetic`; default all recorded files. */
  source: { kind: "files"; patterns: string[] } | { kind: "synthetic"; seed: number };
  /** `REPLAY_RATE`: `realtime`, `realtime:<speed>`, `<N>` per second, or `max`. */
  rate: ReplayRate;
  /** `REPLAY_KEEP_TIME=1` sends the original bytes and times unchanged. */
  keepTime: boolean;
  /** `REPLAY_LOOP`, default on: start again at the end of the files. */
  loop: boolean;
  /** `REPLAY_CLIENT_BUFFER_BYTES`, default 4 MiB: a client further behind is dropped. */
  clientBufferBytesMax: number;
}

/** Parses a `REPLAY_RATE` value, throwing a {@linkcode ConfigError} naming it. */
export function parseRate(value: string, variable = "REPLAY_RATE"): ReplayRate {
  if (value === "max") return { kind: "max" };
  if (value === "realtime") return { kind: "realtime", speed: 1 };
  const speed = /^realtime:(\d+(?:\.\d+)?)$/.exec(value)?.[1];
  if (speed !== undefined && Number(speed) > 0) return { kind: "realtime", speed: Number(speed) };
  if (/^\d+$/.test(value) && Number(value) > 0 && Number(value) <= 10_000_000) {
    return { kind: "fixed", perSecond: Number(value) };
  }
  throw new ConfigError(variable, value, "realtime, realtime:<speed>, <N> per second, or max");
}

/** Reads {@linkcode ReplayConfig} from the environment. */
export function replayConfig(env: Env = process.env): ReplayConfig {
  const sources = list(env, "REPLAY_SOURCE", [join(pathsConfig(env).rsvpDataDir, "*.jsonl")]);
  return {
    host: raw(env, "REPLAY_HOST") ?? "127.0.0.1",
    port: port(env, "REPLAY_PORT", 8090),
    source:
      sources.length === 1 && sources[0] === "synthetic"
        ? { kind: "synthetic", seed: int(env, "REPLAY_SEED", 42, 0, 2 ** 31 - 1) }
        : { kind: "files", patterns: sources },
    rate: parseRate(raw(env, "REPLAY_RATE") ?? "realtime"),
    keepTime: bool(env, "REPLAY_KEEP_TIME", false),
    loop: bool(env, "REPLAY_LOOP", true),
    clientBufferBytesMax: int(env, "REPLAY_CLIENT_BUFFER_BYTES", 4 * 1024 * 1024, 1024, 2 ** 30),
  };
}
