import { expect, test } from "bun:test";
import { backoffMs } from "./backoff.ts";

const bounds = { msMin: 250, msMax: 30_000 };

test("backoffMs() doubles from msMin, half fixed and half jitter", () => {
  expect(backoffMs(0, bounds, () => 0)).toBe(125);
  expect(backoffMs(0, bounds, () => 0.999999)).toBe(250);
  expect(backoffMs(3, bounds, () => 0.5)).toBe(1500);
  expect(backoffMs(4, bounds, () => 0)).toBe(2000);
});

test("backoffMs() is capped at msMax however many attempts came before", () => {
  expect(backoffMs(7, bounds, () => 0.999999)).toBe(30_000);
  expect(backoffMs(10_000, bounds, () => 0)).toBe(15_000);
  expect(Number.isFinite(backoffMs(1e6, bounds, () => 1))).toBe(true);
});

test("backoffMs() rejects a negative or fractional attempt", () => {
  expect(() => backoffMs(-1, bounds)).toThrow(RangeError);
  expect(() => backoffMs(1.5, bounds)).toThrow("'attempt' must be a non-negative integer");
});
