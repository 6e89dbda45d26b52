/**
 * Typed ring-buffer windows over event time: fixed rings of time slots whose counters are
 * typed arrays, sliding windows kept incrementally (the closing slot added, the evicted one
 * subtracted), keyed counts with exact top-k and a bound on keys per slot (overflow counted),
 * and a clock with watermark, allowed lateness and idle advance. Time is always passed in.
 *
 * - {@linkcode SlidingWindow}: everything wired, with final and live views.
 * - {@linkcode KeyedRing}, {@linkcode CounterRing}: the rings, addressed by absolute slot.
 * - {@linkcode EventClock}: latest time, watermark, closed slots, idle advance.
 * - {@linkcode KeyTable}: string keys interned as recycled dense ids.
 *
 * @module
 */

export type { SlotRange } from "./_slots.ts";
export * from "./counter_ring.ts";
export * from "./event_clock.ts";
export * from "./key_table.ts";
export * from "./keyed_ring.ts";
export * from "./sliding_window.ts";
