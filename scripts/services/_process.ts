import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";

/** Thrown for an expected operating failure; `main` prints its message as one line. */
export class ServiceError extends Error {
  override name = "ServiceError";
}

/** Whether a process with this pid is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded in `<runDir>/<name>.pid` if that process is alive. */
export function runningPid(runDir: string, name: string): number | undefined {
  const file = join(runDir, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Fails with one line when a port we are about to bind is already taken by someone else. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (await portOpen(port)) {
    throw new ServiceError(`${what}: port ${port} on 127.0.0.1 is taken by another process`);
  }
}

/**
 * Starts a long-running process detached from this one, its output appended to
 * `<runDir>/<name>.log` and its pid in `<runDir>/<name>.pid`.
 */
export function startDetached(
  runDir: string,
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined> = process.env,
): number {
  mkdirSync(runDir, { recursive: true });
  const logFd = openSync(join(runDir, `${name}.log`), "a");
  const child = spawn(command, args, { detached: true, stdio: ["ignore", logFd, logFd], env });
  if (child.pid === undefined) throw new ServiceError(`${name}: could not start ${command}`);
  child.unref();
  writeFileSync(join(runDir, `${name}.pid`), `${child.pid}\n`);
  return child.pid;
}

/** Sends SIGTERM, waits up to `timeoutMs`, then SIGKILL; removes the pid file. */
export async function stopPid(runDir: string, name: string, timeoutMs = 30_000): Promise<boolean> {
  const pid = runningPid(runDir, name);
  rmSync(join(runDir, `${name}.pid`), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await Bun.sleep(100);
  if (alive(pid)) process.kill(pid, "SIGKILL");
  return true;
}

/** Polls `check` every 250 ms until it resolves true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  hint = "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(250);
  }
  throw new ServiceError(
    `${what} not healthy after ${timeoutMs / 1000} s${hint ? `; ${hint}` : ""}`,
  );
}

/** Runs a command to completion; throws a one-line ServiceError with its stderr on failure. */
export function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error) throw new ServiceError(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ");
    throw new ServiceError(`${what} failed (exit ${result.status}): ${detail}`);
  }
  return result.stdout;
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 5): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join(" | ");
}
