import type { IHeaders } from "kafkajs";

/** The header ingest puts on every raw message: ingest time in epoch ms, as a decimal string. */
export const RECEIVED_AT_HEADER = "received_at";

/** Earliest and latest plausible ingest times: 2000-01-01 and 2100-01-01 (UTC). */
const TIME_MS_MIN = Date.UTC(2000, 0, 1);
const TIME_MS_MAX = Date.UTC(2100, 0, 1);

function parseMs(value: Buffer | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.toString().trim();
  if (!/^\d{1,15}$/.test(text)) return undefined;
  const ms = Number(text);
  return ms >= TIME_MS_MIN && ms < TIME_MS_MAX ? ms : undefined;
}

/**
 * A raw message's ingest time, which picks its hour directory: the `received_at` header, or,
 * when that is missing or not a plausible epoch-ms decimal, the Kafka message timestamp.
 *
 * @returns Epoch ms, or `undefined` when neither is usable.
 */
export function ingestTimeMs(headers: IHeaders | undefined, timestamp: string): number | undefined {
  const header = headers?.[RECEIVED_AT_HEADER];
  const first = Array.isArray(header) ? header[0] : header;
  return parseMs(first) ?? parseMs(timestamp);
}
