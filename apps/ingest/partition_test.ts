import { expect, test } from "bun:test";
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { murmur2, partitionOf, partitionOfText } from "./partition.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

test("murmur2() matches the values of Kafka's own UtilsTest", () => {
  expect(murmur2(bytes("21"))).toBe(-973932308);
  expect(murmur2(bytes("foobar"))).toBe(-790332482);
  expect(murmur2(bytes("a-little-bit-long-string"))).toBe(-985981536);
  expect(murmur2(bytes("a-little-bit-longer-string"))).toBe(-1486304829);
  expect(murmur2(bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(-58897971);
  expect(murmur2(bytes("abc"))).toBe(479470107);
});

test("partitionOf() agrees with kafkajs's DefaultPartitioner on any key and partition count", () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, count) => {
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      const expected = kafkajs({
        topic: "t",
        partitionMetadata,
        message: { key: Buffer.from(key), value: null },
      });
      expect(partitionOf(key, count)).toBe(expected);
    }),
    { numRuns: 2000 },
  );
});

test("partitionOf() keeps group ids on stable partitions and rejects a bad count", () => {
  expect(partitionOf(bytes("1809828"), 6)).toBe(partitionOf(bytes("1809828"), 6));
  expect(() => partitionOf(bytes("1"), 0)).toThrow(RangeError);
});

test("partitionOfText() equals partitionOf() of the key's UTF-8 bytes, short keys or long", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme", maxLength: 120 }),
      fc.integer({ min: 1, max: 64 }),
      (key, count) => {
        expect(partitionOfText(key, count)).toBe(partitionOf(Buffer.from(key, "utf8"), count));
      },
    ),
    { numRuns: 2000 },
  );
  expect(partitionOfText("1809828", 6)).toBe(partitionOf(bytes("1809828"), 6));
  expect(() => partitionOfText("1", 0)).toThrow(RangeError);
});
