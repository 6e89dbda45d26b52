/** How a sink retries a failed call: exponential back-off with jitter, without a count limit. */
export interface RetryPolicy {
  /** The first delay, in ms. */
  delayMs: number;
  /** The delay doubles after each failure up to this, in ms. */
  delayMsMax: number;
  /** Called before each back-off; awaited, so it may heartbeat the consumer group. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  /** The clock's sleep, injected so tests do not wait. @default {an abortable setTimeout} */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for jitter. @default {Math.random} */
  random?: () => number;
}

/**
 * The delay before retry `attempt` (1-based): `delayMs * 2^(attempt-1)` capped at `delayMsMax`,
 * then scaled by a random factor in [0.5, 1) so that many archivers recovering from the same
 * outage do not retry in lockstep.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const exponential = policy.delayMs * 2 ** Math.min(attempt - 1, 30);
  return Math.round(Math.min(policy.delayMsMax, exponential) * (0.5 + random() / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `action` until it succeeds. The archive never drops data, so the number of attempts is
 * not bounded; what is bounded is the delay between them (`delayMsMax`), and the caller bounds
 * memory by not reading more while this waits. `stop` ends the loop: before each attempt and
 * during each back-off, an aborted `stop` rejects with its reason.
 *
 * @example Retry a write until it goes through or the archive shuts down
 * ```ts
 * await retryUntilDone(() => store.put(key, body), { delayMs: 250, delayMsMax: 30_000 }, stop);
 * ```
 */
export async function retryUntilDone<T>(
  action: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  stop: AbortSignal,
): Promise<T> {
  const sleep = policy.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    stop.throwIfAborted();
    try {
      return await action(attempt);
    } catch (error) {
      stop.throwIfAborted();
      const delayMs = backoffDelayMs(policy, attempt, policy.random);
      await policy.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, stop);
    }
  }
}
