import { expect, test } from "bun:test";
import { ingestTimeMs } from "./ingest_time.ts";

const at = 1_526_781_485_288;

test("ingestTimeMs() reads the received_at header as Buffer or string", () => {
  expect(ingestTimeMs({ received_at: Buffer.from(String(at)) }, "1")).toBe(at);
  expect(ingestTimeMs({ received_at: String(at) }, "1")).toBe(at);
  expect(ingestTimeMs({ received_at: [Buffer.from(String(at)), Buffer.from("2")] }, "1")).toBe(at);
});

test("ingestTimeMs() falls back to the message timestamp when the header is missing or bad", () => {
  const timestamp = String(at + 5);
  expect(ingestTimeMs(undefined, timestamp)).toBe(at + 5);
  expect(ingestTimeMs({}, timestamp)).toBe(at + 5);
  for (const bad of ["", "soon", "1.5e12", "-1", "12", "99999999999999"]) {
    expect(ingestTimeMs({ received_at: bad }, timestamp)).toBe(at + 5);
  }
  expect(ingestTimeMs({ received_at: "x" }, "-1")).toBeUndefined();
});
