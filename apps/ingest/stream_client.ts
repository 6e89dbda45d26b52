import type { Logger } from "../../modules/log/mod.ts";
import { type BackoffBounds, backoffMs } from "./backoff.ts";

/** Settings and callbacks of a {@linkcode StreamClient}. */
export interface StreamClientOptions {
  /** The stream, e.g. `ws://127.0.0.1:8090/2/rsvps`. */
  url: string;
  /** Delays between reconnects after a failure. */
  reconnect: BackoffBounds;
  /** A connection with no message for this long (or not open by then) is replaced. */
  idleTimeoutMs: number;
  /** The `since_count` to connect with: how many stream records have been taken so far. */
  position: () => number;
  /** One message; the client delivers nothing after `pause()` or `stop()`. */
  onMessage: (data: string | Uint8Array) => void;
  /** A reconnect after a failure is starting, or an idle connection is being replaced. */
  onEvent: (event: "reconnect" | "idle") => void;
  log: Logger;
  now: () => number;
  random: () => number;
}

type State = "idle" | "connecting" | "open" | "waiting" | "paused" | "stopped";

/** How often idleness is checked, as a fraction of the idle timeout (and at least every second). */
const IDLE_CHECKS_PER_TIMEOUT = 4;

/**
 * A reconnecting client of a Meetup-compatible stream on Bun's native WebSocket. Every
 * (re)connect asks for `?since_count=<position>`, so a dropped connection, a restarted server
 * or a deliberate pause neither loses nor repeats a record. Failures back off exponentially
 * with jitter; a connection that stays silent past the idle timeout is replaced.
 *
 * The WHATWG WebSocket API cannot stop reading a socket, so `pause()` closes the connection
 * and `resume()` opens a new one at the position reached: frames still in flight on the old
 * one are ignored, which is safe because they were not counted.
 */
export class StreamClient {
  #options: StreamClientOptions;
  #state: State = "idle";
  #socket: WebSocket | undefined;
  #attempt = 0;
  #lastActivityAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: StreamClientOptions) {
    this.#options = options;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#state === "open";
  }

  /** Opens the first connection and starts watching for idleness. */
  start(): void {
    if (this.#state !== "idle") return;
    const periodMs = Math.min(1000, this.#options.idleTimeoutMs / IDLE_CHECKS_PER_TIMEOUT);
    this.#idleTimer = setInterval(() => this.#checkIdle(), periodMs);
    this.#connect();
  }

  /** Stops reading: closes the connection until `resume()`. */
  pause(reason: string): void {
    if (this.#state === "stopped" || this.#state === "paused") return;
    this.#state = "paused";
    this.#clearRetry();
    this.#close(1000, reason);
  }

  /** Reconnects at once after `pause()`, at the position reached. */
  resume(): void {
    if (this.#state !== "paused") return;
    this.#attempt = 0;
    this.#connect();
  }

  /** Closes for good; nothing is delivered afterwards. */
  stop(): void {
    this.#state = "stopped";
    this.#clearRetry();
    clearInterval(this.#idleTimer);
    this.#close(1001, "ingest stopping");
  }

  #connect(): void {
    const url = new URL(this.#options.url);
    url.searchParams.set("since_count", String(this.#options.position()));
    this.#state = "connecting";
    this.#lastActivityAt = this.#options.now();
    const socket = new WebSocket(url.href);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    // Every handler checks that its socket is still the current one: a replaced connection's
    // late events (frames in flight, its close) must not touch the new one.
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#state = "open";
      this.#options.log.info("connected", { url: url.href });
    };
    socket.onmessage = (event: MessageEvent) => {
      if (socket !== this.#socket || this.#state !== "open") return;
      this.#lastActivityAt = this.#options.now();
      this.#attempt = 0;
      const data = event.data;
      this.#options.onMessage(typeof data === "string" ? data : new Uint8Array(data));
    };
    socket.onclose = (event: CloseEvent) => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      if (this.#state === "paused" || this.#state === "stopped") return;
      this.#scheduleReconnect(
        `closed (code ${event.code}${event.reason ? `: ${event.reason}` : ""})`,
      );
    };
    // An error is always followed by a close, which reconnects; nothing else to do here.
    socket.onerror = () => {};
  }

  #scheduleReconnect(why: string): void {
    const delayMs = backoffMs(this.#attempt, this.#options.reconnect, this.#options.random);
    this.#attempt++;
    this.#state = "waiting";
    this.#options.log.warn("stream disconnected; reconnecting", {
      why,
      delayMs,
      attempt: this.#attempt,
      sinceCount: this.#options.position(),
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#state !== "waiting") return;
      this.#options.onEvent("reconnect");
      this.#connect();
    }, delayMs);
  }

  #checkIdle(): void {
    if (this.#state !== "open" && this.#state !== "connecting") return;
    const silentMs = this.#options.now() - this.#lastActivityAt;
    if (silentMs < this.#options.idleTimeoutMs) return;
    this.#options.onEvent("idle");
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, "idle");
    this.#scheduleReconnect(`no message for ${silentMs} ms (${this.#state})`);
  }

  #close(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(code, reason.slice(0, 120));
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
