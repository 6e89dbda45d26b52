/**
 * Reads a stage's Prometheus `/metrics` and sums its message counters into "in" and "out",
 * by the project's naming habit: `<stage>_<what>_total` counters whose `<what>` says received
 * (in) or produced (out). Anything else (bytes, errors, gauges) is ignored.
 */

/** Counter names counted as messages in. */
export const IN_COUNTER = /_(received|consumed|in|read)_total$/;
/** Counter names counted as messages out. */
export const OUT_COUNTER = /_(produced|sent|out|written|published|emitted|records)_total$/;

/** Bytes of a `/metrics` answer read at most. */
const METRICS_BYTES_MAX = 1024 * 1024;
/** A scrape gives up after this. */
const SCRAPE_TIMEOUT_MS = 2_000;

/** Sums the in/out counters of a Prometheus text exposition. */
export function sumCounters(text: string): { in: number; out: number } {
  let received = 0;
  let sent = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const name = match[1] ?? "";
    if (/bytes/.test(name)) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    if (IN_COUNTER.test(name)) received += value;
    else if (OUT_COUNTER.test(name)) sent += value;
  }
  return { in: received, out: sent };
}

/**
 * Fetches `url` and sums its counters.
 *
 * @throws {Error} When the endpoint does not answer 200 within the timeout or is too large.
 */
export async function scrapeCounters(
  url: string,
  fetchFn: typeof fetch = fetch,
): Promise<{ in: number; out: number }> {
  const response = await fetchFn(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > METRICS_BYTES_MAX) {
    throw new Error(`answer of ${text.length} bytes is over ${METRICS_BYTES_MAX}`);
  }
  return sumCounters(text);
}
