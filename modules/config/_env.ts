/**
 * Readers for environment variables. Each one either returns a typed value or throws a
 * {@linkcode ConfigError} whose message names the variable, the value and what was expected,
 * so a process can stop with exactly one line.
 */
import { ConfigError } from "./config_error.ts";

/** A read-only view of the environment, as `process.env` is. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Returns the trimmed value of `name`, or `undefined` when it is unset or empty. */
export function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A string setting with a default. */
export function str(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

/** An integer setting within `[min, max]`. */
export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, value, `an integer from ${min} to ${max}`);
  }
  return n;
}

/** A TCP port setting. */
export function port(env: Env, name: string, fallback: number): number {
  return int(env, name, fallback, 1, 65535);
}

/** A boolean setting: `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`. */
export function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (["1", "true", "yes", "on"].includes(lower)) return true;
  if (["0", "false", "no", "off"].includes(lower)) return false;
  throw new ConfigError(name, value, "1/true/yes/on or 0/false/no/off");
}

/** A setting that must be one of `choices`. */
export function oneOf<T extends string>(
  env: Env,
  name: string,
  fallback: T,
  choices: readonly T[],
): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(name, value, `one of ${choices.join(", ")}`);
  }
  return value as T;
}

/** A comma-separated list setting; empty items are dropped. */
export function list(env: Env, name: string, fallback: readonly string[]): string[] {
  const value = raw(env, name);
  if (value === undefined) return [...fallback];
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) throw new ConfigError(name, value, "a comma-separated, non-empty list");
  return items;
}

/** A URL setting whose protocol is one of `protocols` (for example `["ws:", "wss:"]`). */
export function url(
  env: Env,
  name: string,
  fallback: string,
  protocols: readonly string[],
): string {
  const value = raw(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, value, `a URL (${protocols.join(" or ")})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, value, `a URL (${protocols.join(" or ")})`);
  }
  return value;
}
