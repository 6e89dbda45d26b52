/**
 * A hand-written structural check of a `JSON.parse` result against the RSVP schema: the same
 * verdict as `v.safeParse(rsvpSchema, value).success` (schema.ts stays the source of truth, and
 * the property tests in is_rsvp_test.ts compare the two), about ten times faster and allocating
 * nothing. `parse()` runs it first and asks valibot only when it says no, for the message.
 *
 * Each check mirrors a valibot rule exactly:
 * - `v.object`: any non-null object (arrays too); unknown keys are allowed; an optional key may
 *   be absent. valibot reports a required key that is not `in` the object; here reading it
 *   gives undefined, which fails its type check just the same (a `JSON.parse` object inherits
 *   nothing with these names).
 * - `v.record`: every own enumerable key except `__proto__`, `prototype` and `constructor`
 *   (valibot skips those three).
 * - `v.number`: a number that is not NaN; `v.safeInteger`, `v.finite`, `v.minValue(0)` as
 *   `Number.isSafeInteger`, `Number.isFinite`, `>= 0`.
 */
import type { Rsvp } from "./schema.ts";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null;
}

function isInt(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value);
}

function isCoordinate(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value);
}

/** `v.optional(x)`: absent (or undefined, which JSON cannot produce) or `x`. */
function isOptionalString(object: Json, key: string): boolean {
  const value = object[key];
  return value === undefined || typeof value === "string";
}

function isOtherServices(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || key === "__proto__" || key === "prototype") continue;
    if (key === "constructor") continue;
    const service = value[key];
    if (!isObject(service) || typeof service.identifier !== "string") return false;
  }
  return true;
}

function isMember(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (!isInt(value.member_id)) return false;
  if (typeof value.member_name !== "string") return false;
  if (!isOptionalString(value, "photo")) return false;
  if (value.other_services === undefined) return true;
  return isOtherServices(value.other_services);
}

function isEvent(value: unknown): boolean {
  if (!isObject(value)) return false;
  const id = value.event_id;
  if (typeof id !== "string" || id.length < 1) return false;
  if (typeof value.event_name !== "string") return false;
  if (typeof value.event_url !== "string") return false;
  return value.time === undefined || isInt(value.time);
}

/** `/^[a-z]{2}$/` without a regular expression. */
function isCountry(value: unknown): boolean {
  if (typeof value !== "string" || value.length !== 2) return false;
  const a = value.charCodeAt(0);
  const b = value.charCodeAt(1);
  return a >= 0x61 && a <= 0x7a && b >= 0x61 && b <= 0x7a;
}

function isTopics(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const topic: unknown = value[i];
    if (!isObject(topic)) return false;
    if (typeof topic.urlkey !== "string") return false;
    if (typeof topic.topic_name !== "string") return false;
  }
  return true;
}

function isGroup(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (!isInt(value.group_id)) return false;
  if (typeof value.group_name !== "string") return false;
  if (typeof value.group_city !== "string") return false;
  if (!isCountry(value.group_country)) return false;
  if (!isOptionalString(value, "group_state")) return false;
  if (typeof value.group_urlname !== "string") return false;
  if (!isCoordinate(value.group_lat)) return false;
  if (!isCoordinate(value.group_lon)) return false;
  return isTopics(value.group_topics);
}

function isVenue(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (!isInt(value.venue_id)) return false;
  if (typeof value.venue_name !== "string") return false;
  if (!isCoordinate(value.lat)) return false;
  return isCoordinate(value.lon);
}

/**
 * Whether `value` (a `JSON.parse` result) is an RSVP by `rsvpSchema`. Unlike valibot's output,
 * an accepted value keeps any unknown keys (valibot copies the known ones into a new object).
 */
export function isRsvp(value: unknown): value is Rsvp {
  if (!isObject(value)) return false;
  if (!isInt(value.rsvp_id)) return false;
  if (!isInt(value.mtime)) return false;
  const response = value.response;
  if (response !== "yes" && response !== "no") return false;
  const guests = value.guests;
  if (!isInt(guests) || !((guests as number) >= 0)) return false;
  if (typeof value.visibility !== "string") return false;
  if (!isMember(value.member)) return false;
  if (!isEvent(value.event)) return false;
  if (!isGroup(value.group)) return false;
  return value.venue === undefined || isVenue(value.venue);
}
