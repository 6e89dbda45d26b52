import { type BackoffBounds, backoffMs } from "./backoff.ts";
import type { RecordBuffer, Sized } from "./buffer.ts";

/** A record the pump can batch: its size and when it arrived. */
export interface Pumped extends Sized {
  receivedAt: number;
}

/** How the pump batches and retries. */
export interface PumpOptions<T = unknown> {
  /** Records per send, at most. */
  batchRecordsMax: number;
  /** Bytes per send, at most (a single larger record goes alone); per group with `groupOf`. */
  batchBytesMax: number;
  /** The group (Kafka partition) a record's bytes count against; default one group. */
  groupOf?: (record: T) => number;
  /** The oldest record waits at most this long for a fuller batch. */
  lingerMs: number;
  /** Delays between retries of a failed send. */
  retry: BackoffBounds;
  /**
   * Batches sent and not yet acknowledged, at most (default 1). With 2, the next full batch
   * goes to the sender while one is in flight, `chained` to it: the sender must send it only
   * after the one before it succeeded, and fail it unsent otherwise.
   */
  inFlightMax?: number;
  /** The clock, the way to wait and the jitter; injected so tests need not sleep. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/** What the pump tells its owner. */
export interface PumpHooks<T> {
  /** A batch was acknowledged; `sendMs` is how long its (last) send took. */
  acked(batch: readonly T[], sendMs: number): void;
  /** A send failed and will be retried after `delayMs`. */
  failed(error: unknown, attempt: number, delayMs: number): void;
}

/** Programmer errors: retrying cannot help, so they stop the process. */
const BUG_ERRORS = new Set(["RangeError", "ReferenceError", "SyntaxError", "TypeError"]);

/** How deep nested errors (`cause`, `errors`) are followed. */
const ERROR_DEPTH_MAX = 8;
/** How many nested errors are looked at in all. */
const ERROR_NODES_MAX = 64;

type ErrorNode = {
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  canRetry?: unknown;
  retriable?: unknown;
  apiId?: unknown;
};

/** An error and the errors inside it (`cause`, an aggregate's `errors`), depth first, bounded. */
function errorTree(error: unknown): ErrorNode[] {
  const out: ErrorNode[] = [];
  const visit = (node: unknown, depth: number) => {
    if (node === null || typeof node !== "object" || out.length >= ERROR_NODES_MAX) return;
    if (out.includes(node as ErrorNode)) return;
    const current = node as ErrorNode;
    out.push(current);
    if (depth >= ERROR_DEPTH_MAX) return;
    if (Array.isArray(current.errors)) for (const inner of current.errors) visit(inner, depth + 1);
    visit(current.cause, depth + 1);
  };
  visit(error, 0);
  return out;
}

/**
 * Whether a send error is worth retrying. `@platformatic/kafka` marks each error it raises
 * with `canRetry` and nests them (a produce failure holds the broker's per-partition errors, a
 * request retried N times holds all N): like the client itself, an error is retriable only if
 * nothing in it says `canRetry: false` (a message too large for the broker, an authorization
 * failure, an out-of-order sequence, a closed client). A reply from the producer thread
 * carries that verdict as `retriable`. Programmer errors are never retried.
 */
export function isRetriable(error: unknown): boolean {
  if (error === null || typeof error !== "object") return true;
  for (const node of errorTree(error)) {
    if (node.canRetry === false || node.retriable === false) return false;
    if (BUG_ERRORS.has(String(node.name))) return false;
  }
  return true;
}

/** How long a described error may get. */
const DESCRIPTION_CHARS_MAX = 1_000;

/**
 * One line saying what went wrong: the error's message and those of the errors inside it
 * (the broker's error names, such as `MESSAGE_TOO_LARGE`, included), without repeats.
 */
export function describeError(error: unknown): string {
  if (error === null || typeof error !== "object") return String(error);
  const parts: string[] = [];
  for (const node of errorTree(error)) {
    const text = [node.apiId, node.message].filter((part) => typeof part === "string" && part);
    const line = text.join(": ");
    if (line !== "" && !parts.includes(line)) parts.push(line);
  }
  return parts.join(" <- ").slice(0, DESCRIPTION_CHARS_MAX);
}

/**
 * How long to wait before the next send: 0 when a full batch is waiting, when the oldest
 * record has lingered long enough, or when draining for shutdown; otherwise the rest of the
 * linger. Pure, so the batching policy is tested without a clock.
 */
export function sendDueInMs(
  buffered: { size: number; bytes: number; oldestAt: number | undefined },
  nowMs: number,
  options: Pick<PumpOptions, "batchRecordsMax" | "batchBytesMax" | "lingerMs">,
  draining: boolean,
): number {
  if (buffered.size === 0 || buffered.oldestAt === undefined) return Number.POSITIVE_INFINITY;
  if (draining) return 0;
  if (buffered.size >= options.batchRecordsMax || buffered.bytes >= options.batchBytesMax) return 0;
  return Math.max(0, buffered.oldestAt + options.lingerMs - nowMs);
}

/**
 * Moves records from the buffer to Kafka: a batch is the buffer's oldest records, sent, and
 * dropped from the buffer only once acknowledged, so "everything before position P is durable"
 * is exact. Batches are acknowledged in order: with `inFlightMax` 2 the next full batch is
 * handed over `chained` while one is in flight (the sender sends it only after that one
 * succeeded, which keeps each partition in order), so no round trip passes without a batch
 * ready; after a failure everything not acknowledged goes again, from the oldest.
 */
export class Pump<T extends Pumped> {
  #buffer: RecordBuffer<T>;
  #send: (batch: T[], chained: boolean) => Promise<void>;
  #options: PumpOptions<T>;
  #hooks: PumpHooks<T>;
  #wake: (() => void) | undefined;
  #draining = false;
  /** Sent and not yet settled, oldest first; `outcome` is the error, or undefined once acked. */
  #inFlight: { batch: T[]; startedAt: number; outcome: Promise<unknown> }[] = [];

  constructor(
    buffer: RecordBuffer<T>,
    send: (batch: T[], chained: boolean) => Promise<void>,
    options: PumpOptions<T>,
    hooks: PumpHooks<T>,
  ) {
    this.#buffer = buffer;
    this.#send = send;
    this.#options = options;
    this.#hooks = hooks;
  }

  /**
   * Tells the pump a record arrived. Called once per message, so it only wakes the loop when
   * that changes anything: the first record starts the linger, and a full batch ends it.
   */
  notify(): void {
    const wake = this.#wake;
    if (wake === undefined) return;
    const { size, bytes } = this.#buffer;
    const { batchRecordsMax, batchBytesMax } = this.#options;
    if (size === 1 || size >= batchRecordsMax || bytes >= batchBytesMax) wake();
  }

  /** Sends what is buffered without waiting for fuller batches, then lets `run()` return. */
  drain(): void {
    this.#draining = true;
    this.#wake?.();
  }

  /**
   * Runs until drained and empty. Rejects with the first non-retriable send error, leaving the
   * unsent records in the buffer.
   */
  async run(): Promise<void> {
    const buffer = this.#buffer;
    let attempt = 0;
    let lastAckAt = this.#options.now();
    for (;;) {
      const dueMs = this.#topUp();
      const head = this.#inFlight[0];
      if (head === undefined) {
        if (buffer.size === 0 && this.#draining) return;
        await this.#waitMs(dueMs);
        continue;
      }
      const error = await head.outcome;
      if (error === undefined) {
        this.#inFlight.shift();
        const ackedAt = this.#options.now();
        // A chained batch waited for the one before it; its own send began with that ack.
        const sendMs = ackedAt - Math.max(head.startedAt, lastAckAt);
        lastAckAt = ackedAt;
        attempt = 0;
        buffer.drop(head.batch.length);
        this.#hooks.acked(head.batch, sendMs);
        continue;
      }
      // The batches chained behind a failed one fail unsent; all of it goes again, in order.
      await Promise.all(this.#inFlight.map((entry) => entry.outcome));
      this.#inFlight = [];
      if (!isRetriable(error)) throw error;
      const delayMs = backoffMs(attempt, this.#options.retry, this.#options.random);
      this.#hooks.failed(error, attempt, delayMs);
      attempt++;
      await this.#options.sleep(delayMs);
      lastAckAt = this.#options.now();
    }
  }

  /**
   * Sends every due batch after those in flight, up to `inFlightMax` in flight.
   *
   * @returns How long until the next batch is due (Infinity: until records arrive).
   */
  #topUp(): number {
    const buffer = this.#buffer;
    const { batchRecordsMax, batchBytesMax, groupOf, inFlightMax = 1 } = this.#options;
    for (;;) {
      let taken = 0;
      let takenBytes = 0;
      for (const { batch } of this.#inFlight) {
        taken += batch.length;
        for (const record of batch) takenBytes += record.bytes;
      }
      const dueMs = sendDueInMs(
        {
          size: buffer.size - taken,
          bytes: buffer.bytes - takenBytes,
          oldestAt: buffer.at(taken)?.receivedAt,
        },
        this.#options.now(),
        this.#options,
        this.#draining,
      );
      if (dueMs > 0 || this.#inFlight.length >= inFlightMax) return dueMs;
      const batch = buffer.peek(batchRecordsMax, batchBytesMax, groupOf, taken);
      const chained = this.#inFlight.length > 0;
      const outcome = this.#send(batch, chained).then(
        () => undefined,
        (error: unknown) => error ?? new Error("send failed"),
      );
      this.#inFlight.push({ batch, startedAt: this.#options.now(), outcome });
    }
  }

  /** Waits until `notify` or `drain` wakes the loop, or `ms` pass (Infinity: no timeout). */
  #waitMs(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      if (Number.isFinite(ms)) void this.#options.sleep(ms).then(done);
    });
  }
}
