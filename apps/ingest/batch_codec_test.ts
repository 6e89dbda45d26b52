import { expect, test } from "bun:test";
import { packBatch, transferables, unpackBatch } from "./_batch_codec.ts";

test("packBatch()/unpackBatch() round-trip keys, values, partitions and headers by topic", () => {
  const records = [
    {
      kind: "raw" as const,
      receivedAt: 1526781485288,
      message: { key: Buffer.from("1809828"), value: Buffer.from('{"a":"Zoë \\/"}'), partition: 4 },
    },
    {
      kind: "dlq" as const,
      receivedAt: 1526781485289,
      message: {
        key: null,
        value: Buffer.from('{"rsvp_id": 1, "mti'),
        headers: { reason: "not-json", error: "message is not JSON", received_at: "1526781485289" },
      },
    },
    {
      kind: "raw" as const,
      receivedAt: 1526781485290,
      message: { key: Buffer.from("7"), value: Buffer.alloc(0), partition: 0 },
    },
  ];
  const packed = packBatch(records);
  expect(transferables(packed)).toHaveLength(5);
  const { raw, dlq } = unpackBatch(packed);
  expect(raw.map((m) => [String(m.key), String(m.value), m.partition, m.headers])).toEqual([
    ["1809828", '{"a":"Zoë \\/"}', 4, { received_at: "1526781485288" }],
    ["7", "", 0, { received_at: "1526781485290" }],
  ]);
  expect(dlq).toHaveLength(1);
  expect(dlq[0]?.key).toBeNull();
  expect(dlq[0]?.partition).toBeUndefined();
  expect(Buffer.compare(dlq[0]?.value as Buffer, records[1]?.message.value as Buffer)).toBe(0);
  expect(dlq[0]?.headers).toEqual(records[1]?.message.headers);
});

test("packBatch() of no records is empty", () => {
  const { raw, dlq } = unpackBatch(packBatch([]));
  expect(raw).toEqual([]);
  expect(dlq).toEqual([]);
});
