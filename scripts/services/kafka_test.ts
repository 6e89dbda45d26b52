import { describe, expect, test } from "bun:test";
import { newClusterId } from "./kafka.ts";

describe("newClusterId()", () => {
  test("is Kafka's form and never starts with '-' (the storage tool would take it for an option)", () => {
    // One base64url id in 64 starts with "-": 10,000 draws would hold ~156 of them.
    for (let i = 0; i < 10_000; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
