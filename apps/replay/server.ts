import type { Server, ServerWebSocket } from "bun";
import type { ReplayConfig } from "../../modules/config/mod.ts";
import type { Logger } from "../../modules/log/mod.ts";
import { Registry } from "../../modules/metrics/mod.ts";
import { runSession, type SessionOptions, type Transport } from "./session.ts";
import type { RecordSource } from "./source.ts";

/** The path of the Meetup stream API, kept so ingest is written against the real thing. */
export const STREAM_PATH = "/2/rsvps";

interface SocketData {
  sinceCount: number;
  transport?: WebSocketTransport;
}

class WebSocketTransport implements Transport {
  closed = false;
  #ws: ServerWebSocket<SocketData>;
  #waiters: (() => void)[] = [];

  constructor(ws: ServerWebSocket<SocketData>) {
    this.#ws = ws;
  }

  send(text: string): boolean {
    if (this.closed) return false;
    // Text frames, as the Meetup stream sent; -1 means queued under backpressure, 0 dropped.
    return this.#ws.sendText(text) !== 0;
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.#ws.getBufferedAmount();
  }

  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  close(reason: string): void {
    if (!this.closed) this.#ws.close(1013, reason.slice(0, 120));
    this.gone();
  }

  gone(): void {
    this.closed = true;
    this.wake();
  }
}

const encoder = new TextEncoder();

function httpTransport(highWaterBytes: number): { transport: Transport; body: ReadableStream } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let waiters: (() => void)[] = [];
  const wake = () => {
    for (const resolve of waiters.splice(0)) resolve();
  };
  const transport: Transport = {
    closed: false,
    send(text) {
      if (transport.closed) return false;
      controller.enqueue(encoder.encode(`${text}\n`));
      return true;
    },
    bufferedBytes: () => (transport.closed ? 0 : highWaterBytes - (controller.desiredSize ?? 0)),
    drained: () =>
      transport.closed ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
    close() {
      if (!transport.closed) controller.close();
      (transport as { closed: boolean }).closed = true;
      wake();
    },
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => wake(),
      cancel: () => {
        (transport as { closed: boolean }).closed = true;
        waiters = [];
      },
    },
    { highWaterMark: highWaterBytes, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  return { transport, body };
}

/** Reads `?since_count=N`: resume after the first N records of the (deterministic) sequence. */
function sinceCount(url: URL): number | Response {
  const value = url.searchParams.get("since_count");
  if (value === null) return 0;
  if (!/^\d{1,12}$/.test(value)) {
    return new Response(`since_count must be a non-negative integer: current value is ${value}\n`, {
      status: 400,
    });
  }
  return Number(value);
}

/** Starts the replay server; returns it with its metrics. */
export function startReplayServer(
  config: ReplayConfig,
  source: RecordSource,
  log: Logger,
): { server: Server<SocketData>; metrics: Registry } {
  const metrics = new Registry();
  const active = metrics.gauge("replay_clients_active", "Clients connected now");
  const connections = metrics.counter("replay_connections_total", "Client connections accepted");
  const sent = metrics.counter("replay_messages_sent_total", "Messages sent, all clients");
  const bytes = metrics.counter("replay_bytes_sent_total", "Message bytes sent, all clients");
  const dropped = metrics.counter(
    "replay_clients_dropped_total",
    "Clients dropped for falling behind",
  );
  const session = (transport: Transport, since: number, kind: string) => {
    const options: SessionOptions = {
      rate: config.rate,
      keepTime: config.keepTime,
      sinceCount: since,
      clientBufferBytesMax: config.clientBufferBytesMax,
      now: Date.now,
      sleep: (ms) => Bun.sleep(ms),
      onSent: (n) => {
        sent.inc();
        bytes.inc(n);
      },
      onDropped: () => {
        dropped.inc(1, { transport: kind });
        log.warn("client dropped: too slow", {
          transport: kind,
          bufferBytesMax: config.clientBufferBytesMax,
        });
      },
    };
    connections.inc(1, { transport: kind });
    active.set(active.get() + 1);
    runSession(source, transport, options)
      .catch((error) => log.error("session failed", { error }))
      .finally(() => active.set(active.get() - 1));
  };

  const server = Bun.serve<SocketData>({
    hostname: config.host,
    port: config.port,
    fetch(request, server) {
      const url = new URL(request.url);
      if (url.pathname === "/healthz") return new Response("ok\n");
      if (url.pathname === "/metrics")
        return new Response(metrics.render(), {
          headers: { "content-type": "text/plain; version=0.0.4" },
        });
      if (url.pathname !== STREAM_PATH)
        return new Response(`not found; the stream is at ${STREAM_PATH}\n`, { status: 404 });
      const since = sinceCount(url);
      if (since instanceof Response) return since;
      if (server.upgrade(request, { data: { sinceCount: since } })) return undefined;
      const { transport, body } = httpTransport(config.clientBufferBytesMax);
      session(transport, since, "http");
      return new Response(body, {
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    },
    websocket: {
      // Meetup's stream was one-way; the server pings so idle proxies keep the connection.
      sendPings: true,
      idleTimeout: 120,
      backpressureLimit: config.clientBufferBytesMax * 2,
      closeOnBackpressureLimit: true,
      open(ws) {
        const transport = new WebSocketTransport(ws);
        ws.data.transport = transport;
        session(transport, ws.data.sinceCount, "websocket");
      },
      message() {
        // Clients have nothing to say on this stream; messages are ignored.
      },
      drain(ws) {
        ws.data.transport?.wake();
      },
      close(ws) {
        ws.data.transport?.gone();
      },
    },
  });
  return { server, metrics };
}
