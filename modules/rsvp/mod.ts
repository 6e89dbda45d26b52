/**
 * The RSVP model: the Meetup stream's message schema (valibot) and a parser that turns bytes
 * into a typed RSVP or a typed rejection, never throwing on input.
 *
 * @module
 */
export { isRsvp } from "./_is_rsvp.ts";
export { decodeUtf8 } from "./_utf8.ts";
export * from "./parse.ts";
export * from "./schema.ts";
