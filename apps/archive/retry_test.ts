import { expect, test } from "bun:test";
import { abortableSleep, backoffDelayMs, retryUntilDone } from "./retry.ts";

test("backoffDelayMs() doubles from delayMs up to delayMsMax, jittered into [0.5, 1)", () => {
  const policy = { delayMs: 100, delayMsMax: 1_000 };
  expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelayMs(policy, n, () => 0.999999))).toEqual([
    100, 200, 400, 800, 1_000, 1_000,
  ]);
  expect(backoffDelayMs(policy, 1, () => 0)).toBe(50);
});

test("retryUntilDone() retries until the action succeeds, sleeping the back-off between", async () => {
  const slept: number[] = [];
  const retried: number[] = [];
  let calls = 0;
  const result = await retryUntilDone(
    async (attempt) => {
      calls++;
      if (attempt < 4) throw new Error(`fail ${attempt}`);
      return "ok";
    },
    {
      delayMs: 10,
      delayMsMax: 25,
      random: () => 0.999999,
      sleep: async (ms) => {
        slept.push(ms);
      },
      onRetry: (_error, attempt) => {
        retried.push(attempt);
      },
    },
    new AbortController().signal,
  );
  expect(result).toBe("ok");
  expect(calls).toBe(4);
  expect(retried).toEqual([1, 2, 3]);
  expect(slept).toEqual([10, 20, 25]);
});

test("retryUntilDone() stops with the signal's reason, before an attempt or during a back-off", async () => {
  const stop = new AbortController();
  stop.abort(new Error("rebalanced"));
  let calls = 0;
  const action = async () => {
    calls++;
    throw new Error("down");
  };
  await expect(retryUntilDone(action, { delayMs: 1, delayMsMax: 1 }, stop.signal)).rejects.toThrow(
    "rebalanced",
  );
  expect(calls).toBe(0);

  const later = new AbortController();
  const pending = retryUntilDone(action, { delayMs: 60_000, delayMsMax: 60_000 }, later.signal);
  await Bun.sleep(0);
  later.abort(new Error("shutdown"));
  await expect(pending).rejects.toThrow("shutdown");
  expect(calls).toBe(1);
});

test("abortableSleep() resolves after its time unless aborted", async () => {
  await abortableSleep(1, new AbortController().signal);
  const aborted = new AbortController();
  aborted.abort(new Error("gone"));
  await expect(abortableSleep(1, aborted.signal)).rejects.toThrow("gone");
});
