import * as v from "valibot";
import { isRsvp } from "./_is_rsvp.ts";
import { decodeUtf8 } from "./_utf8.ts";
import { type Rsvp, rsvpSchema } from "./schema.ts";

/** Why a message was rejected; also the `reason` header on the dead-letter topic. */
export type RejectReason =
  | "empty"
  | "too-large"
  | "not-utf8"
  | "not-json"
  | "not-object"
  | "schema";

/** A message that is not an RSVP, with a machine-readable reason and a human message. */
export interface Rejection {
  ok: false;
  reason: RejectReason;
  message: string;
}

/** A message that is an RSVP. */
export interface Accepted {
  ok: true;
  /**
   * The parsed message. Keys outside the schema, which valibot's output would drop, are kept
   * (untyped); nothing in the project reads them.
   */
  rsvp: Rsvp;
}

export type ParseResult = Accepted | Rejection;

/** Options for {@linkcode parse}. */
export interface ParseOptions {
  /**
   * Largest message accepted, in bytes (UTF-8). Real RSVPs are 1-3 KiB.
   * @default {65536}
   */
  bytesMax?: number;
}

export const PARSE_BYTES_MAX_DEFAULT = 64 * 1024;

function reject(reason: RejectReason, message: string): Rejection {
  return { ok: false, reason, message };
}

/**
 * Parses one stream message into a typed RSVP, or says why it is not one. Never throws on input.
 *
 * @param input The message as received: bytes or text.
 * @returns `{ ok: true, rsvp }` or `{ ok: false, reason, message }`.
 *
 * @example Reject a truncated line
 * ```ts
 * const result = parse('{"rsvp_id": 1, "mti');
 * // result.ok === false && result.reason === "not-json"
 * ```
 */
export function parse(input: Uint8Array | string, options: ParseOptions = {}): ParseResult {
  const bytesMax = options.bytesMax ?? PARSE_BYTES_MAX_DEFAULT;
  let text: string;
  if (typeof input === "string") {
    // A JS string's UTF-8 size is at most 3 bytes per UTF-16 unit; only measure when it matters.
    if (input.length * 3 > bytesMax && Buffer.byteLength(input, "utf8") > bytesMax) {
      return reject("too-large", `message is ${Buffer.byteLength(input)} bytes; limit ${bytesMax}`);
    }
    text = input;
  } else {
    if (input.byteLength > bytesMax) {
      return reject("too-large", `message is ${input.byteLength} bytes; limit ${bytesMax}`);
    }
    const decoded = decodeUtf8(input);
    if (decoded === undefined) return reject("not-utf8", "message is not valid UTF-8");
    text = decoded;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Blank text is not JSON either; telling the two apart only on this path saves a scan.
    if (text.trim() === "") return reject("empty", "message is empty");
    return reject("not-json", `message is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return reject("not-object", `message is JSON but not an object: ${describe(value)}`);
  }
  // The hand-written check gives valibot's verdict without its cost (it allocates the whole
  // output tree); valibot runs only on a rejection, to say why. An accepted RSVP is then the
  // parsed object itself, unknown keys included, where valibot's output drops them.
  if (isRsvp(value)) return { ok: true, rsvp: value };
  const result = v.safeParse(rsvpSchema, value);
  if (result.success) return { ok: true, rsvp: result.output };
  return reject("schema", schemaMessage(result.issues));
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

function schemaMessage(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (first === undefined) return "message does not match the RSVP schema";
  const path = v.getDotPath(first) ?? "(root)";
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : "";
  return `${path}: ${first.message}${more}`;
}
