import { describe, expect, test } from "bun:test";
import { MultipleErrors, NetworkError, ProtocolError, UserError } from "@platformatic/kafka";
import { RecordBuffer } from "./buffer.ts";
import { describeError, isRetriable, Pump, type PumpOptions, sendDueInMs } from "./pump.ts";

interface Item {
  id: number;
  bytes: number;
  receivedAt: number;
}

const policy = { batchRecordsMax: 3, batchBytesMax: 1000, lingerMs: 20 };

describe("sendDueInMs()", () => {
  test("waits for records when empty", () => {
    expect(sendDueInMs({ size: 0, bytes: 0, oldestAt: undefined }, 0, policy, false)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
  test("sends at once when a batch is full by records or bytes", () => {
    expect(sendDueInMs({ size: 3, bytes: 30, oldestAt: 100 }, 100, policy, false)).toBe(0);
    expect(sendDueInMs({ size: 1, bytes: 1000, oldestAt: 100 }, 100, policy, false)).toBe(0);
  });
  test("lets a partial batch linger until its oldest record is lingerMs old", () => {
    expect(sendDueInMs({ size: 2, bytes: 20, oldestAt: 100 }, 105, policy, false)).toBe(15);
    expect(sendDueInMs({ size: 2, bytes: 20, oldestAt: 100 }, 130, policy, false)).toBe(0);
  });
  test("sends at once while draining for shutdown", () => {
    expect(sendDueInMs({ size: 1, bytes: 1, oldestAt: 100 }, 100, policy, true)).toBe(0);
  });
});

describe("isRetriable()", () => {
  test("retries broker trouble: network errors, retriable broker errors, wrapped or not", () => {
    const refused = new NetworkError("Connection to 127.0.0.1:9092 failed.");
    expect(isRetriable(refused)).toBe(true);
    const retried = new MultipleErrors("produce failed 3 times.", [refused, refused]);
    expect(isRetriable(retried)).toBe(true);
    const notEnough = new ProtocolError("NOT_ENOUGH_REPLICAS");
    expect(isRetriable(new MultipleErrors("Producing messages failed.", [notEnough]))).toBe(true);
    expect(isRetriable(new Error("plain"))).toBe(true);
  });
  test("stops when anything inside says no retry, or on a programmer error", () => {
    const tooLarge = new ProtocolError("MESSAGE_TOO_LARGE");
    expect(isRetriable(tooLarge)).toBe(false);
    const refused = new NetworkError("Connection to 127.0.0.1:9092 failed.");
    const mixed = new MultipleErrors("produce failed 2 times.", [refused, tooLarge]);
    expect(isRetriable(mixed)).toBe(false);
    expect(isRetriable(new UserError("Client closed while retrying produce."))).toBe(false);
    expect(isRetriable(new Error("wrap", { cause: mixed }))).toBe(false);
    expect(isRetriable(new TypeError("x is undefined"))).toBe(false);
    // The producer thread's verdict, as the main thread receives it.
    expect(isRetriable(Object.assign(new Error("SendError"), { retriable: false }))).toBe(false);
  });
});

describe("describeError()", () => {
  test("names the broker's error inside a produce failure, once", () => {
    const tooLarge = new ProtocolError("MESSAGE_TOO_LARGE");
    const text = describeError(
      new MultipleErrors("Producing messages failed.", [tooLarge, tooLarge]),
    );
    expect(text).toStartWith("Producing messages failed. <- MESSAGE_TOO_LARGE: ");
    expect(text.match(/MESSAGE_TOO_LARGE/g)).toHaveLength(1);
    expect(describeError("text")).toBe("text");
  });
});

/** A pump over a fake clock: `sleep` advances time instead of waiting. */
function harness(
  send: (batch: Item[], chained: boolean) => Promise<void>,
  overrides: Partial<PumpOptions<Item>> = {},
) {
  let clock = 1000;
  const sleeps: number[] = [];
  const acked: number[][] = [];
  const failures: number[] = [];
  const buffer = new RecordBuffer<Item>({ recordsMax: 100, bytesMax: 10_000 });
  const options: PumpOptions<Item> = {
    ...policy,
    retry: { msMin: 100, msMax: 1000 },
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  };
  const pump = new Pump<Item>(buffer, send, options, {
    acked: (batch) => acked.push(batch.map((item) => item.id)),
    failed: (_error, attempt, delayMs) => failures.push(attempt, delayMs),
  });
  const push = (...ids: number[]) => {
    for (const id of ids) buffer.push({ id, bytes: 10, receivedAt: clock });
    pump.notify();
  };
  return { pump, buffer, push, sleeps, acked, failures };
}

describe("Pump", () => {
  test("sends full batches at once and lingers a partial one before sending it", async () => {
    const sent: number[][] = [];
    const h = harness(async (batch) => void sent.push(batch.map((item) => item.id)));
    h.push(1, 2, 3, 4, 5);
    const running = h.pump.run();
    await Bun.sleep(0);
    h.pump.drain();
    await running;
    expect(sent).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(h.buffer.size).toBe(0);
  });

  test("waits lingerMs for a partial batch when not draining", async () => {
    const sent: number[][] = [];
    const h = harness(async (batch) => void sent.push(batch.map((item) => item.id)));
    h.push(1);
    const running = h.pump.run();
    for (let i = 0; i < 5 && sent.length === 0; i++) await Bun.sleep(0);
    expect(h.sleeps).toEqual([20]);
    expect(sent).toEqual([[1]]);
    h.pump.drain();
    await running;
  });

  test("retries a failed send with backoff, keeping the batch until it is acknowledged", async () => {
    let calls = 0;
    const h = harness(async () => {
      calls++;
      if (calls <= 2) throw Object.assign(new Error("broker down"), { retriable: true });
    });
    h.push(1, 2, 3);
    const running = h.pump.run();
    await Bun.sleep(0);
    h.pump.drain();
    await running;
    expect(calls).toBe(3);
    expect(h.failures).toEqual([0, 75, 1, 150]);
    expect(h.acked).toEqual([[1, 2, 3]]);
  });

  test("stops on a non-retriable error, leaving the records buffered", async () => {
    const h = harness(async () => {
      throw Object.assign(new Error("MESSAGE_TOO_LARGE"), { retriable: false });
    });
    h.push(1, 2);
    h.pump.drain();
    await expect(h.pump.run()).rejects.toThrow("MESSAGE_TOO_LARGE");
    expect(h.buffer.size).toBe(2);
    expect(h.acked).toEqual([]);
  });

  test("with two in flight, hands the next full batch over chained and acks in order", async () => {
    const calls: [number[], boolean][] = [];
    const pending: (() => void)[] = [];
    const h = harness(
      (batch, chained) => {
        calls.push([batch.map((item) => item.id), chained]);
        return new Promise<void>((resolve) => pending.push(resolve));
      },
      { inFlightMax: 2 },
    );
    h.push(1, 2, 3, 4, 5, 6, 7);
    const running = h.pump.run();
    await Bun.sleep(0);
    // Both full batches are out before either is acknowledged; never a third.
    expect(calls).toEqual([
      [[1, 2, 3], false],
      [[4, 5, 6], true],
    ]);
    pending.shift()?.();
    await Bun.sleep(0);
    expect(h.acked).toEqual([[1, 2, 3]]);
    expect(h.buffer.size).toBe(4);
    // A partial batch is not due yet; it goes once the batch ahead of it is acknowledged.
    h.pump.drain();
    await Bun.sleep(0);
    expect(calls).toHaveLength(2);
    pending.shift()?.();
    await Bun.sleep(0);
    expect(calls[2]).toEqual([[7], false]);
    pending.shift()?.();
    await running;
    expect(h.acked).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(h.buffer.size).toBe(0);
  });

  test("after a failed batch, the one chained to it is not acked and both go again in order", async () => {
    const calls: [number[], boolean][] = [];
    let failed = false;
    const h = harness(
      async (batch, chained) => {
        calls.push([batch.map((item) => item.id), chained]);
        // The sink's contract: a batch chained to a failed one fails unsent.
        if (chained && failed) throw Object.assign(new Error("unsent"), { retriable: true });
        if (calls.length === 1) {
          failed = true;
          throw Object.assign(new Error("broker down"), { retriable: true });
        }
        failed = false;
      },
      { inFlightMax: 2 },
    );
    h.push(1, 2, 3, 4, 5, 6);
    const running = h.pump.run();
    await Bun.sleep(0);
    h.pump.drain();
    await running;
    expect(calls).toEqual([
      [[1, 2, 3], false],
      [[4, 5, 6], true],
      [[1, 2, 3], false],
      [[4, 5, 6], true],
    ]);
    expect(h.failures).toEqual([0, 75]);
    expect(h.acked).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  test("a non-retriable failure with a batch chained to it stops, keeping every record", async () => {
    const h = harness(
      async (_batch, chained) => {
        if (!chained) throw Object.assign(new Error("MESSAGE_TOO_LARGE"), { retriable: false });
        throw Object.assign(new Error("unsent"), { retriable: true });
      },
      { inFlightMax: 2 },
    );
    h.push(1, 2, 3, 4, 5, 6);
    await expect(h.pump.run()).rejects.toThrow("MESSAGE_TOO_LARGE");
    expect(h.buffer.size).toBe(6);
    expect(h.acked).toEqual([]);
  });
});
