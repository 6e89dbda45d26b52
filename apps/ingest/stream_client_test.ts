import { afterEach, expect, test } from "bun:test";
import type { Server } from "bun";
import { createLogger } from "../../modules/log/mod.ts";
import { waitUntil } from "./_testing.ts";
import { StreamClient } from "./stream_client.ts";

/**
 * A tiny stream server on loopback: records each connection's since_count and sends what the
 * test tells it to (`frames` per connection), then stays open and quiet.
 */
function streamServer(frames: (since: number, connection: number) => string[]) {
  const sinceCounts: number[] = [];
  const server: Server<{ since: number }> = Bun.serve<{ since: number }>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      const since = Number(new URL(request.url).searchParams.get("since_count"));
      return srv.upgrade(request, { data: { since } })
        ? undefined
        : new Response("upgrade", { status: 400 });
    },
    websocket: {
      open(ws) {
        sinceCounts.push(ws.data.since);
        for (const frame of frames(ws.data.since, sinceCounts.length)) ws.sendText(frame);
      },
      message() {},
    },
  });
  servers.push(server);
  return { url: `ws://127.0.0.1:${server.port}/2/rsvps`, sinceCounts, server };
}

const servers: { stop(force: boolean): void }[] = [];
const clients: StreamClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.stop();
  for (const server of servers.splice(0)) server.stop(true);
});

function client(url: string, onMessage: (data: string | Uint8Array) => void, events: string[]) {
  let position = 0;
  const instance = new StreamClient({
    url,
    reconnect: { msMin: 20, msMax: 100 },
    idleTimeoutMs: 200,
    position: () => position,
    onMessage: (data) => {
      position++;
      onMessage(data);
    },
    onEvent: (event) => events.push(event),
    log: createLogger("stream-client-test", { level: "error" }),
    now: Date.now,
    random: () => 0.5,
  });
  clients.push(instance);
  return instance;
}

test("StreamClient delivers nothing after disconnect() and reconnects at the position reached", async () => {
  const { url, sinceCounts } = streamServer((since) =>
    Array.from({ length: 5 }, (_, i) => `m${since + i}`),
  );
  const received: string[] = [];
  const events: string[] = [];
  const stream = client(
    url,
    (data) => {
      received.push(String(data));
      // Pausing in the middle of a burst: the frames behind it must not be delivered.
      if (received.length === 2) stream.disconnect("test");
    },
    events,
  );
  stream.start();
  await waitUntil("the disconnect", () => received.length >= 2, 5000);
  await Bun.sleep(100);
  expect(received).toEqual(["m0", "m1"]);
  stream.reconnect();
  await waitUntil("the new connection", () => received.length >= 7, 5000);
  expect(received).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
  expect(sinceCounts).toEqual([0, 2]);
  expect(events).toEqual([]);
});

test("StreamClient replaces a silent connection after the idle timeout, asking for since_count", async () => {
  const { url, sinceCounts } = streamServer((since, connection) =>
    connection === 1 ? [`m${since}`] : [],
  );
  const events: string[] = [];
  const stream = client(url, () => {}, events);
  stream.start();
  await waitUntil("an idle reconnect", () => sinceCounts.length >= 2, 5000);
  expect(events[0]).toBe("idle");
  expect(sinceCounts.slice(0, 2)).toEqual([0, 1]);
});

test("StreamClient reconnects with backoff when the server goes away and comes back", async () => {
  const first = streamServer(() => ["a"]);
  const port = first.server.port as number;
  const received: string[] = [];
  const events: string[] = [];
  const stream = client(first.url, (data) => received.push(String(data)), events);
  stream.start();
  await waitUntil("the first message", () => received.length === 1, 5000);
  first.server.stop(true);
  await waitUntil(
    "failed reconnects",
    () => events.filter((e) => e === "reconnect").length >= 2,
    5000,
  );
  expect(stream.connected).toBe(false);
  const sinceCounts: number[] = [];
  servers.push(
    Bun.serve<{ since: number }>({
      hostname: "127.0.0.1",
      port,
      fetch: (request, srv) =>
        srv.upgrade(request, {
          data: { since: Number(new URL(request.url).searchParams.get("since_count")) },
        })
          ? undefined
          : new Response("", { status: 400 }),
      websocket: {
        open(ws) {
          sinceCounts.push(ws.data.since);
          ws.sendText("b");
        },
        message() {},
      },
    }),
  );
  await waitUntil("the second server's message", () => received.length === 2, 5000);
  expect(received).toEqual(["a", "b"]);
  expect(sinceCounts).toEqual([1]);
  expect(stream.connected).toBe(true);
});

test("StreamClient.hold() stops reading: the server sees back-pressure, and release() delivers the rest in order", async () => {
  const frame = (i: number) => `${i}:${"x".repeat(4096)}`;
  const count = 2000;
  let buffered = 0;
  const server = Bun.serve<{ since: number }>({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, srv) =>
      srv.upgrade(request, { data: { since: 0 } }) ? undefined : new Response("", { status: 400 }),
    websocket: {
      open(ws) {
        for (let i = 0; i < count; i++) ws.sendText(frame(i));
        buffered = ws.getBufferedAmount();
      },
      message() {},
    },
  });
  servers.push(server);
  const received: string[] = [];
  const events: string[] = [];
  const stream = client(
    `ws://127.0.0.1:${server.port}/2/rsvps`,
    (d) => received.push(String(d)),
    events,
  );
  stream.hold();
  stream.start();
  await Bun.sleep(300);
  // Held from the start: the frames stay queued on the server's side of the connection.
  expect(received.length).toBeLessThan(count);
  expect(buffered).toBeGreaterThan(0);
  expect(stream.held).toBe(true);
  stream.release();
  await waitUntil("every frame", () => received.length === count, 5000);
  expect(received.every((text, i) => text === frame(i))).toBe(true);
  expect(events).toEqual([]);
});
