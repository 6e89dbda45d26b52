/**
 * Server-Sent Events fan-out with bounded memory everywhere: a ring of recent events for
 * `Last-Event-ID` resumes, and one bounded queue per client. A client whose queue overflows is
 * closed (dropped), never waited for, so one slow reader cannot slow the others or grow memory.
 *
 * Every event is encoded once and the same bytes are queued for every client.
 */

/** What a new or resuming client is sent first when it cannot be served from the ring. */
export interface SseSnapshot {
  event: string;
  data: unknown;
}

/** Options for {@linkcode SseHub}. */
export interface SseHubOptions {
  /** Events kept for resumes. */
  bufferEventsMax: number;
  /** Events queued for one client before it is dropped. */
  clientQueueEventsMax: number;
  /** Bytes queued for one client before it is dropped. */
  clientQueueBytesMax: number;
  /** Clients at once; `subscribe()` returns `undefined` beyond. */
  clientsMax: number;
  /** The current state, sent to new clients and to those too far behind to resume. */
  snapshot: () => SseSnapshot;
  /** Distinguishes this process's event ids from a previous one's. @default {random} */
  instanceId?: string;
  /** The reconnection delay sent to browsers (`retry:`). @default {2000} */
  retryMs?: number;
  /** Called when a client goes, with why (for counters). */
  onClose?: (reason: CloseReason) => void;
}

/** Why a subscription ended. */
export type CloseReason = "aborted" | "slow" | "shutdown";

const encoder = new TextEncoder();

/** Formats one SSE message; `id` and `event` never contain line breaks (checked). */
export function formatSse(event: string, data: string, id?: string): string {
  if (/[\r\n]/.test(event) || (id !== undefined && /[\r\n]/.test(id))) {
    throw new TypeError(`Cannot format SSE message as event or id has a line break: ${event}`);
  }
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\n${lines.join("\n")}\n\n`;
}

interface Buffered {
  seq: number;
  bytes: Uint8Array;
}

/** One connected client: a bounded queue drained by its HTTP response. */
export class Subscription {
  #queue: Uint8Array[] = [];
  #bytes = 0;
  #waiter: (() => void) | undefined;
  #eventsMax: number;
  #bytesMax: number;
  #onClose: (subscription: Subscription, reason: CloseReason) => void;
  #resolveClosed!: (reason: CloseReason) => void;
  /** Set once closed; the stream ends (or errors, for `slow`) when it sees it. */
  closedReason: CloseReason | undefined;
  /** Resolves with the reason once the subscription is closed. */
  readonly closed: Promise<CloseReason> = new Promise((resolve) => {
    this.#resolveClosed = resolve;
  });

  constructor(
    eventsMax: number,
    bytesMax: number,
    onClose: (subscription: Subscription, reason: CloseReason) => void,
  ) {
    this.#eventsMax = eventsMax;
    this.#bytesMax = bytesMax;
    this.#onClose = onClose;
  }

  /** Events waiting to be written. */
  get queuedEvents(): number {
    return this.#queue.length;
  }

  /** Queues bytes; closes the subscription as `slow` instead when a bound would be passed. */
  push(bytes: Uint8Array): void {
    if (this.closedReason !== undefined) return;
    if (this.#queue.length + 1 > this.#eventsMax || this.#bytes + bytes.length > this.#bytesMax) {
      this.close("slow");
      return;
    }
    this.#queue.push(bytes);
    this.#bytes += bytes.length;
    this.#wake();
  }

  /** Everything queued as one chunk; waits when empty; `undefined` once closed. */
  async next(): Promise<Uint8Array | undefined> {
    while (this.#queue.length === 0 && this.closedReason === undefined) {
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
    if (this.closedReason !== undefined) return undefined;
    const chunk = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue);
    this.#queue = [];
    this.#bytes = 0;
    return chunk;
  }

  /** Ends the subscription (idempotent) and releases what it holds. */
  close(reason: CloseReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.#queue = [];
    this.#bytes = 0;
    this.#wake();
    this.#onClose(this, reason);
    this.#resolveClosed(reason);
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}

/**
 * The hub: `publish()` appends to the resume ring and queues to every client.
 *
 * @example
 * ```ts
 * const hub = new SseHub({ bufferEventsMax: 600, clientQueueEventsMax: 256,
 *   clientQueueBytesMax: 4 << 20, clientsMax: 5000, snapshot: () => ({ event: "state", data: state }) });
 * const subscription = hub.subscribe(request.headers.get("last-event-id") ?? undefined);
 * hub.publish("update", delta);
 * ```
 */
export class SseHub {
  readonly instanceId: string;
  #options: SseHubOptions;
  #ring: (Buffered | undefined)[];
  #seq = 0;
  #clients = new Set<Subscription>();
  #snapshotCache: { seq: number; bytes: Uint8Array } | undefined;
  #dropped = 0;
  #retryBytes: Uint8Array;

  constructor(options: SseHubOptions) {
    for (const key of ["bufferEventsMax", "clientQueueEventsMax", "clientsMax"] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) {
        throw new RangeError(
          `Cannot create SseHub as '${key}' must be a positive integer: current value is ${options[key]}`,
        );
      }
    }
    this.#options = options;
    this.instanceId = options.instanceId ?? Math.random().toString(36).slice(2, 10);
    if (/[\r\n-]/.test(this.instanceId)) {
      throw new TypeError(`Cannot create SseHub as instanceId has '-' or a line break`);
    }
    this.#ring = new Array(options.bufferEventsMax);
    this.#retryBytes = encoder.encode(`retry: ${options.retryMs ?? 2000}\n\n`);
  }

  /** Clients connected now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Clients dropped as too slow since start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The id of the latest event, as sent in `id:`. */
  get lastEventId(): string {
    return `${this.instanceId}-${this.#seq}`;
  }

  /** Publishes one event to every client and to the resume ring; returns its id. */
  publish(event: string, data: unknown): string {
    this.#seq += 1;
    const id = this.lastEventId;
    const bytes = encoder.encode(formatSse(event, JSON.stringify(data), id));
    this.#ring[this.#seq % this.#ring.length] = { seq: this.#seq, bytes };
    for (const client of this.#clients) client.push(bytes);
    return id;
  }

  /** Sends an event to every client without an id (not buffered, not resumable): heartbeats. */
  broadcast(event: string, data: unknown): void {
    const bytes = encoder.encode(formatSse(event, JSON.stringify(data)));
    for (const client of this.#clients) client.push(bytes);
  }

  /**
   * Adds a client. It first receives the events it missed since `lastEventId` when the ring
   * still holds them all and they fit its queue, else a fresh snapshot.
   *
   * @returns The subscription, or `undefined` when `clientsMax` clients are connected.
   */
  subscribe(lastEventId?: string): Subscription | undefined {
    if (this.#clients.size >= this.#options.clientsMax) return undefined;
    const subscription = new Subscription(
      this.#options.clientQueueEventsMax + 1,
      Math.max(this.#options.clientQueueBytesMax, this.#snapshotBytes().length * 2),
      (closed, reason) => {
        this.#clients.delete(closed);
        if (reason === "slow") this.#dropped += 1;
        this.#options.onClose?.(reason);
      },
    );
    this.#clients.add(subscription);
    subscription.push(this.#retryBytes);
    const missed = this.#missedSince(lastEventId);
    if (missed === undefined) subscription.push(this.#snapshotBytes());
    else for (const bytes of missed) subscription.push(bytes);
    return subscription;
  }

  /** Closes every client (at shutdown). */
  closeAll(): void {
    for (const client of [...this.#clients]) client.close("shutdown");
  }

  /** The events after `lastEventId`, or `undefined` when a snapshot is needed instead. */
  #missedSince(lastEventId: string | undefined): Uint8Array[] | undefined {
    const match = /^([^-]+)-(\d{1,15})$/.exec(lastEventId ?? "");
    if (match === null || match[1] !== this.instanceId) return undefined;
    const seen = Number(match[2]);
    const missedCount = this.#seq - seen;
    if (missedCount < 0 || missedCount > this.#options.clientQueueEventsMax) return undefined;
    const out: Uint8Array[] = [];
    for (let seq = seen + 1; seq <= this.#seq; seq++) {
      const entry = this.#ring[seq % this.#ring.length];
      if (entry === undefined || entry.seq !== seq) return undefined;
      out.push(entry.bytes);
    }
    return out;
  }

  /** The snapshot as an SSE message carrying the latest id, encoded once per event seq. */
  #snapshotBytes(): Uint8Array {
    if (this.#snapshotCache?.seq !== this.#seq) {
      const { event, data } = this.#options.snapshot();
      const text = formatSse(event, JSON.stringify(data), this.lastEventId);
      this.#snapshotCache = { seq: this.#seq, bytes: encoder.encode(text) };
    }
    return this.#snapshotCache.bytes;
  }
}
