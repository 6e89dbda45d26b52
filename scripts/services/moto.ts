import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ServicesConfig } from "../../modules/config/mod.ts";
import {
  assertPortFree,
  runningPid,
  ServiceError,
  startDetached,
  stopPid,
  tail,
  waitFor,
} from "./_process.ts";

/** Status line for the moto server (the S3 and Firehose endpoint for tests). */
export function motoStatus(config: ServicesConfig): string {
  const pid = runningPid(config.runDir, "moto");
  return pid === undefined
    ? "moto      stopped"
    : `moto      running  pid ${pid}  http://127.0.0.1:${config.moto.port}`;
}

/** Starts moto_server on loopback and waits until it answers HTTP. */
export async function motoUp(config: ServicesConfig): Promise<string> {
  if (runningPid(config.runDir, "moto") !== undefined) return "moto already up";
  const bin = join(config.paths.cacheDir, "venv", "bin", "moto_server");
  if (!existsSync(bin)) throw new ServiceError(`moto: ${bin} missing; run make setup`);
  await assertPortFree(config.moto.port, "moto");
  mkdirSync(config.moto.dataDir, { recursive: true });
  startDetached(config.runDir, "moto", bin, ["-H", "127.0.0.1", "-p", String(config.moto.port)]);
  const endpoint = `http://127.0.0.1:${config.moto.port}`;
  await waitFor(
    "moto",
    async () => (await fetch(`${endpoint}/moto-api/`)).ok,
    30_000,
    `log: ${tail(join(config.runDir, "moto.log"))}`,
  );
  return `moto up on ${endpoint}`;
}

/** Stops the moto server (its state is in memory only). */
export async function motoDown(config: ServicesConfig): Promise<string> {
  return (await stopPid(config.runDir, "moto")) ? "moto stopped" : "moto was not running";
}
