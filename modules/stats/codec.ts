import * as v from "valibot";
import { STATS_KINDS, STATS_VERSION, type Stats, statsSchema } from "./schema.ts";

/** Why a stats message was not accepted. */
export type StatsRejectReason =
  /** Not UTF-8 JSON, or not an object. */
  | "not-json"
  /** A version or kind this code does not know: skip it (a newer producer), do not crash. */
  | "unsupported"
  /** The right version and kind, but a field breaks the schema. */
  | "schema";

/** The result of {@linkcode parseStats}. */
export type ParseStatsResult =
  | { ok: true; stats: Stats }
  | { ok: false; reason: StatsRejectReason; message: string };

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * Parses and validates one stats message value (as consumed from `meetup.rsvps.stats`).
 * Never throws on input.
 *
 * @param input The Kafka message value: bytes or text.
 * @returns `{ ok: true, stats }` or `{ ok: false, reason, message }`; `reason` is
 * `"unsupported"` for another version or an unknown kind, which consumers should skip.
 *
 * @example Read the 5-minute count
 * ```ts
 * const result = parseStats(message.value);
 * if (result.ok) console.log(result.stats.counts.rsvps);
 * ```
 */
export function parseStats(input: Uint8Array | string): ParseStatsResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof input === "string" ? input : decoder.decode(input));
  } catch (error) {
    return {
      ok: false,
      reason: "not-json",
      message: `not UTF-8 JSON: ${(error as Error).message}`,
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "not-json", message: "stats message is not a JSON object" };
  }
  const { v: version, kind } = value as { v?: unknown; kind?: unknown };
  if (version !== STATS_VERSION) {
    return {
      ok: false,
      reason: "unsupported",
      message: `stats version ${JSON.stringify(version)} is not ${STATS_VERSION}`,
    };
  }
  if (!(STATS_KINDS as readonly unknown[]).includes(kind)) {
    return {
      ok: false,
      reason: "unsupported",
      message: `stats kind ${JSON.stringify(kind)} is not one of ${STATS_KINDS.join(", ")}`,
    };
  }
  const result = v.safeParse(statsSchema, value);
  if (result.success) return { ok: true, stats: result.output };
  const first = result.issues[0];
  const path = (first && v.getDotPath(first)) ?? "(root)";
  return { ok: false, reason: "schema", message: `${path}: ${first?.message ?? "invalid"}` };
}

/**
 * Validates and encodes a stats message as the Kafka message value (UTF-8 JSON).
 *
 * @param stats The message; checked against the schema so a producer bug never reaches
 * consumers.
 * @returns The bytes to produce.
 * @throws {TypeError} When `stats` does not match the schema (a programming error).
 *
 * @example
 * ```ts
 * await producer.send({ topic, messages: [{ value: Buffer.from(encodeStats(stats)) }] });
 * ```
 */
export function encodeStats(stats: Stats): Uint8Array {
  const result = v.safeParse(statsSchema, stats);
  if (!result.success) {
    const first = result.issues[0];
    const path = (first && v.getDotPath(first)) ?? "(root)";
    throw new TypeError(
      `Cannot encode stats message as ${path} is invalid: ${first?.message ?? "invalid"}`,
    );
  }
  return encoder.encode(JSON.stringify(stats));
}
