import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../config/mod.ts";

/** A local service that tests may need. */
export type ServiceName = "kafka" | "postgres" | "moto";

/**
 * Starts services through the same script users run (`bun scripts/services.ts up ...`), which
 * is a no-op for those already up. Throws with the script's own one-line error otherwise.
 */
export function servicesUp(...names: ServiceName[]): void {
  const result = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, "scripts/services.ts"), "up", ...names],
    {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      timeout: 180_000,
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `services up ${names.join(" ")} failed: ${(result.stderr || result.stdout).trim()}`,
    );
  }
}

/** A name no other test run uses, for topics, consumer groups, buckets and schemas. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
