import type { SlotData } from "./slot_data.ts";

/**
 * Messages from the partition workers to the merge stage, on the internal partials topic
 * (one partition, so the merge stage reads every worker's messages in the order each sent
 * them). Internal: versioned so a mixed deployment fails loudly instead of merging garbage.
 */
export type PartialMessage =
  /** A closed slot of one partition: exact, deterministic, sent once per slot (or again after a restart). */
  | { v: 1; type: "slot"; partition: number; slot: number; data: SlotData }
  /** New data of an open slot since the last live message: for snapshots only. */
  | { v: 1; type: "live"; partition: number; slot: number; data: SlotData }
  /** Where one partition's worker stands; sent with every flush. */
  | {
      v: 1;
      type: "progress";
      partition: number;
      nextOffset: number;
      closedEnd: number | null;
      maxTime: number | null;
      caughtUp: boolean;
    };

const decoder = new TextDecoder();

/** Encodes a partial message as its Kafka value. */
export function encodePartial(message: PartialMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/**
 * Decodes a partial message, or says why it cannot.
 *
 * @returns The message, or a string naming the problem (the merge stage logs and skips it).
 */
export function decodePartial(value: Uint8Array | null): PartialMessage | string {
  if (value === null) return "empty value";
  let message: unknown;
  try {
    message = JSON.parse(decoder.decode(value));
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const m = message as Partial<Record<string, unknown>>;
  if (typeof m !== "object" || m === null || m.v !== 1) {
    return `unsupported version ${JSON.stringify(m?.v)}`;
  }
  if (!Number.isSafeInteger(m.partition)) return "partition is not an integer";
  if (m.type === "slot" || m.type === "live") {
    const data = m.data as Partial<SlotData> | undefined;
    if (!Number.isSafeInteger(m.slot)) return "slot is not an integer";
    if (
      !Array.isArray(data?.counts) ||
      !Array.isArray(data?.keys) ||
      !Array.isArray(data?.removes)
    ) {
      return "slot data is malformed";
    }
    return message as PartialMessage;
  }
  if (m.type === "progress") {
    if (!Number.isSafeInteger(m.nextOffset)) return "nextOffset is not an integer";
    return message as PartialMessage;
  }
  return `unknown type ${JSON.stringify(m.type)}`;
}
