/** What several benchmarks need: the synthetic input, a free port, processes' CPU time. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";

/** /proc reports CPU time in clock ticks; Linux's USER_HZ is 100 on every common build. */
export const CLOCK_TICKS_PER_SECOND = 100;
/** Generating the synthetic file takes ~15 s per million RSVPs; past this it has hung. */
const GENERATE_TIMEOUT_MS = 10 * 60_000;

/**
 * The JSONL file of `records` synthetic RSVPs from the replay server's seeded generator
 * (`apps/replay --write`), written once into `dir` and reused by later runs.
 */
export function syntheticFile(records: number, dir = join(PROJECT_ROOT, "data", "bench")): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `synthetic-${records}.jsonl`);
  if (existsSync(file)) return file;
  console.error(`writing ${records} synthetic RSVPs to ${file} (once)`);
  const result = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, "apps/replay/main.ts"), "--write", String(records), "--out", file],
    { cwd: PROJECT_ROOT, stdio: ["ignore", "inherit", "inherit"], timeout: GENERATE_TIMEOUT_MS },
  );
  if (result.status !== 0) throw new Error(`Cannot generate ${records} synthetic RSVPs`);
  return file;
}

/** A TCP port free on loopback right now. */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** CPU seconds (user + system) process `pid` has used so far, from /proc; 0 if it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * Watches the CPU time of processes while they run: sampled every 100 ms, each process's last
 * reading kept (a process that has exited reads 0). `stop()` samples once more and gives the
 * sum, in seconds.
 */
export function cpuWatch(pids: number[]): { stop(): number } {
  const seconds = new Map<number, number>();
  const sample = () => {
    for (const pid of pids) seconds.set(pid, Math.max(seconds.get(pid) ?? 0, cpuSeconds(pid)));
  };
  // Never what keeps a benchmark alive when it fails half-way.
  const timer = setInterval(sample, 100).unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...seconds.values()].reduce((sum, s) => sum + s, 0);
    },
  };
}
