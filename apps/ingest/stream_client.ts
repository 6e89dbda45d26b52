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
  /** One message; the client delivers nothing after `disconnect()` or `stop()`. */
  onMessage: (data: string | Uint8Array) => void;
  /** A reconnect after a failure is starting, or an idle connection is being replaced. */
  onEvent: (event: "reconnect" | "idle") => void;
  log: Logger;
  now: () => number;
  random: () => number;
}

/**
 * Bun's client WebSocket can stop reading its socket. bun-types declares it, but the DOM lib's
 * `WebSocket` type is the one in scope here.
 */
interface PausableSocket {
  pause(): boolean;
  resume(): boolean;
}

function setReading(socket: WebSocket | undefined, reading: boolean): void {
  const pausable = socket as unknown as PausableSocket | undefined;
  if (reading) pausable?.resume();
  else pausable?.pause();
}

type State = "idle" | "connecting" | "open" | "waiting" | "disconnected" | "stopped";

/** How often idleness is checked, as a fraction of the idle timeout (and at least every second). */
const IDLE_CHECKS_PER_TIMEOUT = 4;

/**
 * A reconnecting client of a Meetup-compatible stream on Bun's native WebSocket. Every
 * (re)connect asks for `?since_count=<position>`, so a dropped connection, a restarted server
 * or a deliberate pause neither loses nor repeats a record. Failures back off exponentially
 * with jitter; a connection that stays silent past the idle timeout is replaced.
 *
 * Two kinds of back-pressure: `hold()` stops reading the socket (Bun's client can; the server
 * then sees TCP back-pressure) while frames already received are still delivered, and
 * `disconnect()` closes the connection until `reconnect()` opens a new one at the position
 * reached. Frames in flight on a closed connection are ignored, which is safe because they
 * were not counted.
 */
export class StreamClient {
  #options: StreamClientOptions;
  #state: State = "idle";
  #socket: WebSocket | undefined;
  #attempt = 0;
  #lastActivityAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setInterval> | undefined;
  #held = false;

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

  /** Whether reading is held. */
  get held(): boolean {
    return this.#held;
  }

  /**
   * Stops reading the socket, keeping the connection (and any later one) until `release()`.
   * Frames already received may still be delivered; idleness is not checked meanwhile.
   */
  hold(): void {
    this.#held = true;
    setReading(this.#socket, false);
  }

  /** Reads the socket again after `hold()`. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#lastActivityAt = this.#options.now();
    setReading(this.#socket, true);
  }

  /** Closes the connection until `reconnect()`; nothing more is delivered from it. */
  disconnect(reason: string): void {
    if (this.#state === "stopped" || this.#state === "disconnected") return;
    this.#state = "disconnected";
    this.#clearRetry();
    this.#close(1000, reason);
  }

  /** Connects again at once after `disconnect()`, at the position reached. */
  reconnect(): void {
    if (this.#state !== "disconnected") return;
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
    // Bun applies a pause made before the connection opens once it does.
    if (this.#held) setReading(socket, false);
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
      if (this.#state === "disconnected" || this.#state === "stopped") return;
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
    // A held connection is silent by design; it is checked again once released.
    if (this.#held) return;
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
