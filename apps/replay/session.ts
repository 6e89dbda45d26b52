import type { ReplayRate } from "../../modules/config/mod.ts";
import { Pacer, Restamper } from "./pacer.ts";
import type { RecordSource } from "./source.ts";

/** A client connection, WebSocket or HTTP, as the session sees it. */
export interface Transport {
  /** Queues one message; false when the client is gone. */
  send(text: string): boolean;
  /** Bytes queued for the client and not yet sent. */
  bufferedBytes(): number;
  /** Resolves when the queue has drained below its mark (or the client is gone). */
  drained(): Promise<void>;
  /** Ends the connection, telling the client why. */
  close(reason: string): void;
  /** True once the client has gone. */
  readonly closed: boolean;
}

/** Settings of one session. */
export interface SessionOptions {
  rate: ReplayRate;
  keepTime: boolean;
  sinceCount: number;
  /** A client further behind than this, in timed modes, is dropped. */
  clientBufferBytesMax: number;
  /** The clock (ms) and the way to wait; injected so tests need not sleep. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Called per message sent and when the client is dropped for being slow. */
  onSent: (bytes: number) => void;
  onDropped: () => void;
}

/** Sleep only when at least this far ahead of schedule; below it, sending now is close enough. */
const AHEAD_MS_MIN = 2;

/**
 * Sends a source to one client until the source ends (then stays quiet, like a live stream with
 * nothing new) or the client goes. In `max` mode it follows the client's pace (waits for drain);
 * in timed modes a client that cannot keep up past `clientBufferBytesMax` is dropped, so a slow
 * client never holds unbounded memory.
 */
export async function runSession(
  source: RecordSource,
  transport: Transport,
  options: SessionOptions,
): Promise<void> {
  const records = source.open(options.sinceCount);
  const pacer = new Pacer(options.rate);
  const restamper = new Restamper();
  const startMs = options.now();
  const max = options.rate.kind === "max";
  while (!transport.closed) {
    const next = records.next();
    if (next.done) return;
    const { text, mtime, pass } = next.value;
    const aheadMs = pacer.next(mtime) - (options.now() - startMs);
    if (aheadMs >= AHEAD_MS_MIN) await options.sleep(aheadMs);
    if (transport.closed) return;
    const message = options.keepTime ? text : restamper.restamp(text, mtime, pass, options.now());
    if (!transport.send(message)) return;
    options.onSent(Buffer.byteLength(message));
    if (transport.bufferedBytes() > options.clientBufferBytesMax) {
      if (!max) {
        options.onDropped();
        transport.close(`client too slow: more than ${options.clientBufferBytesMax} bytes behind`);
        return;
      }
      await transport.drained();
    }
  }
}
