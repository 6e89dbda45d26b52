/**
 * The stats message contract: versioned JSON window results on `meetup.rsvps.stats`, produced
 * by `apps/stream` and validated by every consumer.
 *
 * Producers call {@linkcode encodeStats}; consumers call {@linkcode parseStats} and skip
 * messages whose `reason` is `"unsupported"` (a newer version or kind). `snapshot` messages are
 * the live, provisional view; `final` messages are exact and idempotent by `window.end`.
 *
 * @example Consume
 * ```ts
 * const result = parseStats(message.value);
 * if (result.ok && result.stats.kind === "final") chart.push(result.stats.counts.rsvps);
 * ```
 *
 * @module
 */
export * from "./codec.ts";
export * from "./empty.ts";
export * from "./schema.ts";
