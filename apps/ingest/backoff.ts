/** Bounds of an exponential backoff, in ms. */
export interface BackoffBounds {
  /** The first delay (before jitter). */
  msMin: number;
  /** No delay is longer than this. */
  msMax: number;
}

/**
 * The delay before retry number `attempt` (0 first): `msMin * 2^attempt`, capped at `msMax`,
 * with "equal jitter": half of it fixed and half random, so that many clients restarted at once
 * spread out yet none retries at once in a tight loop.
 *
 * @param attempt How many retries came before this one (0, 1, 2, ...).
 * @param bounds The smallest and largest delay.
 * @param random A source of numbers in [0, 1); injected so tests are exact.
 * @returns The delay in whole ms, within `[msMin / 2, msMax]`.
 *
 * @example
 * ```ts
 * backoffMs(3, { msMin: 250, msMax: 30_000 }, () => 0.5); // 1500
 * ```
 */
export function backoffMs(
  attempt: number,
  bounds: BackoffBounds,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(
      `Cannot compute backoff as 'attempt' must be a non-negative integer: current value is ${attempt}`,
    );
  }
  // 2^attempt overflows to Infinity past ~1024; Math.min keeps the cap exact either way.
  const capped = Math.min(bounds.msMax, bounds.msMin * 2 ** Math.min(attempt, 60));
  return Math.round(capped / 2 + (capped / 2) * random());
}
