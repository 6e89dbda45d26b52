/**
 * The SSE connection and the indicator's state: live (connected, stats arriving), stale
 * (connected, but no stats for a while: the pipeline is quiet), reconnecting (no connection,
 * or heartbeats stopped). EventSource resumes by itself with `Last-Event-ID`; when heartbeats
 * stop on a connection that looks open, it is replaced, resuming by the `lastEventId` parameter.
 */

/** What the indicator shows. */
export type ConnectionStatus = "connecting" | "live" | "stale" | "reconnecting";

/** Handlers for the stream's events (parsed JSON). */
export interface StreamHandlers {
  state(data: unknown): void;
  update(data: unknown): void;
  health(data: unknown): void;
  heartbeat(data: { now: number; lastStatsAt: number; batchComputedAt: number }): void;
  status(status: ConnectionStatus): void;
}

/** Reconnect when no event (heartbeats included) came for this many heartbeat periods. */
const SILENT_HEARTBEATS_MAX = 3;

/** Owns the EventSource; call `setTiming` once the first snapshot says the server's settings. */
export class StreamConnection {
  #url: string;
  #handlers: StreamHandlers;
  #source: EventSource | undefined;
  #lastEventId = "";
  #lastEventAt = Date.now();
  #heartbeatMs = 5_000;

  constructor(url: string, handlers: StreamHandlers) {
    this.#url = url;
    this.#handlers = handlers;
  }

  /** Opens the stream and starts watching for silence. */
  start(): void {
    this.#open();
    setInterval(() => this.#watch(), 1_000);
  }

  /** Uses the server's heartbeat period for the silence check. */
  setHeartbeatMs(ms: number): void {
    this.#heartbeatMs = ms;
  }

  #open(): void {
    const url =
      this.#lastEventId === ""
        ? this.#url
        : `${this.#url}?lastEventId=${encodeURIComponent(this.#lastEventId)}`;
    const source = new EventSource(url);
    this.#source = source;
    this.#lastEventAt = Date.now();
    const on = (name: "state" | "update" | "health", handler: (data: unknown) => void) =>
      source.addEventListener(name, (event) => {
        const message = event as MessageEvent<string>;
        this.#seen(message.lastEventId);
        handler(JSON.parse(message.data));
      });
    on("state", (data) => this.#handlers.state(data));
    on("update", (data) => this.#handlers.update(data));
    on("health", (data) => this.#handlers.health(data));
    source.addEventListener("heartbeat", (event) => {
      this.#seen("");
      this.#handlers.heartbeat(JSON.parse((event as MessageEvent<string>).data));
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.OPEN) this.#handlers.status("reconnecting");
      // A closed source (an HTTP error answer) is not retried by the browser: reopen it.
      if (source.readyState === EventSource.CLOSED) setTimeout(() => this.#reopen(source), 2_000);
    });
  }

  #seen(lastEventId: string): void {
    this.#lastEventAt = Date.now();
    if (lastEventId !== "") this.#lastEventId = lastEventId;
  }

  #reopen(source: EventSource): void {
    if (this.#source !== source) return;
    source.close();
    this.#open();
  }

  #watch(): void {
    const source = this.#source;
    if (source === undefined) return;
    if (Date.now() - this.#lastEventAt > this.#heartbeatMs * SILENT_HEARTBEATS_MAX) {
      this.#handlers.status("reconnecting");
      this.#reopen(source);
    }
  }
}
