import { describe, expect, test } from "bun:test";
import { formatSse, SseHub, type SseHubOptions, type Subscription } from "./sse_hub.ts";

const decoder = new TextDecoder();

function hub(options: Partial<SseHubOptions> = {}): SseHub {
  return new SseHub({
    bufferEventsMax: 10,
    clientQueueEventsMax: 5,
    clientQueueBytesMax: 1 << 20,
    clientsMax: 3,
    snapshot: () => ({ event: "state", data: { snapshot: true } }),
    instanceId: "abc",
    ...options,
  });
}

/** Everything queued for a subscription so far, as text. */
async function drain(subscription: Subscription): Promise<string> {
  if (subscription.queuedEvents === 0) return "";
  return decoder.decode((await subscription.next()) ?? new Uint8Array());
}

const ids = (text: string) => [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1] ?? "");
const events = (text: string) => [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);

describe("formatSse()", () => {
  test("splits multi-line data and puts the id first", () => {
    expect(formatSse("update", "a\nb", "x-1")).toBe("id: x-1\nevent: update\ndata: a\ndata: b\n\n");
  });

  test("rejects a line break in the id or event", () => {
    expect(() => formatSse("update", "{}", "x\n1")).toThrow(TypeError);
    expect(() => formatSse("up\rdate", "{}")).toThrow(TypeError);
  });
});

describe("SseHub", () => {
  test("a new client gets retry, then a snapshot carrying the latest id, then live events", async () => {
    const h = hub();
    h.publish("update", { n: 1 });
    const client = h.subscribe()!;
    const first = await drain(client);
    expect(first.startsWith("retry: 2000\n\n")).toBe(true);
    expect(events(first)).toEqual(["state"]);
    expect(ids(first)).toEqual(["abc-1"]);
    h.publish("update", { n: 2 });
    const next = await drain(client);
    expect(events(next)).toEqual(["update"]);
    expect(ids(next)).toEqual(["abc-2"]);
    expect(next).toContain('data: {"n":2}');
  });

  test("resumes by Last-Event-ID with exactly the missed events", async () => {
    const h = hub();
    for (let n = 1; n <= 4; n++) h.publish("update", { n });
    const text = await drain(h.subscribe("abc-2")!);
    expect(events(text)).toEqual(["update", "update"]);
    expect(ids(text)).toEqual(["abc-3", "abc-4"]);
  });

  test("a client that is up to date gets nothing until the next event", async () => {
    const h = hub();
    h.publish("update", { n: 1 });
    const client = h.subscribe("abc-1")!;
    expect(events(await drain(client))).toEqual([]);
  });

  test("sends a snapshot when the ring no longer holds what was missed", async () => {
    const h = hub({ bufferEventsMax: 3, clientQueueEventsMax: 50 });
    for (let n = 1; n <= 8; n++) h.publish("update", { n });
    const text = await drain(h.subscribe("abc-2")!);
    expect(events(text)).toEqual(["state"]);
    expect(ids(text)).toEqual(["abc-8"]);
  });

  test("sends a snapshot when more was missed than one client's queue holds", async () => {
    const h = hub({ bufferEventsMax: 100, clientQueueEventsMax: 5 });
    for (let n = 1; n <= 20; n++) h.publish("update", { n });
    expect(events(await drain(h.subscribe("abc-1")!))).toEqual(["state"]);
  });

  test("sends a snapshot for another process's id, a future id or garbage", async () => {
    const h = hub();
    h.publish("update", { n: 1 });
    for (const id of ["zzz-1", "abc-99", "abc", "", "abc-1-2"]) {
      expect(events(await drain(h.subscribe(id)!))).toEqual(["state"]);
      h.closeAll();
    }
  });

  test("drops a slow client at its queue bound without slowing the others", async () => {
    const closed: string[] = [];
    const h = hub({ clientQueueEventsMax: 5, onClose: (reason) => closed.push(reason) });
    const slow = h.subscribe()!;
    const fast = h.subscribe()!;
    await drain(slow);
    await drain(fast);
    const received: string[] = [];
    for (let n = 1; n <= 20; n++) {
      h.publish("update", { n });
      received.push(...ids(await drain(fast)));
    }
    expect(received).toHaveLength(20);
    expect(slow.closedReason).toBe("slow");
    expect(slow.queuedEvents).toBe(0); // its memory is released
    expect(await slow.next()).toBeUndefined();
    expect(h.size).toBe(1);
    expect(h.dropped).toBe(1);
    expect(closed).toEqual(["slow"]);
  });

  test("drops a client at its byte bound too", async () => {
    const h = hub({ clientQueueEventsMax: 1000, clientQueueBytesMax: 4096 });
    const client = h.subscribe()!;
    await drain(client);
    h.publish("update", { blob: "x".repeat(3000) });
    expect(client.closedReason).toBeUndefined();
    h.publish("update", { blob: "x".repeat(3000) });
    expect(client.closedReason).toBe("slow");
  });

  test("refuses clients beyond clientsMax, and closing releases a place", () => {
    const h = hub({ clientsMax: 2 });
    const a = h.subscribe()!;
    h.subscribe();
    expect(h.subscribe()).toBeUndefined();
    a.close("aborted");
    expect(h.size).toBe(1);
    expect(h.subscribe()).toBeDefined();
  });

  test("a waiting next() ends when the subscription is aborted", async () => {
    const h = hub();
    const client = h.subscribe()!;
    await drain(client);
    const waiting = client.next();
    client.close("aborted");
    expect(await waiting).toBeUndefined();
    expect(await client.closed).toBe("aborted");
    expect(h.size).toBe(0);
  });

  test("broadcast events have no id and are not replayed on resume", async () => {
    const h = hub();
    h.publish("update", { n: 1 });
    const client = h.subscribe("abc-1")!;
    h.broadcast("heartbeat", { now: 1 });
    const text = await drain(client);
    expect(events(text)).toEqual(["heartbeat"]);
    expect(ids(text)).toEqual([]);
    expect(events(await drain(h.subscribe("abc-1")!))).toEqual([]);
  });

  test("encodes the snapshot once per event, however many clients join", () => {
    let calls = 0;
    const h = hub({ clientsMax: 100, snapshot: () => ({ event: "state", data: ++calls }) });
    for (let i = 0; i < 50; i++) h.subscribe();
    expect(calls).toBe(1);
    h.publish("update", {});
    h.subscribe();
    expect(calls).toBe(2);
  });

  test("rejects invalid bounds", () => {
    expect(() => hub({ clientQueueEventsMax: 0 })).toThrow(/clientQueueEventsMax/);
    expect(() => hub({ bufferEventsMax: 1.5 })).toThrow(/bufferEventsMax/);
    expect(() => hub({ instanceId: "a-b" })).toThrow(TypeError);
  });
});
