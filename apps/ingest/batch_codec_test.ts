import { expect, test } from "bun:test";
import { type Packable, packBatch, transferables, unpackBatch } from "./_batch_codec.ts";

const text = (data: Buffer | undefined) => (data === undefined ? undefined : data.toString("utf8"));

test("packBatch()/unpackBatch() round-trip keys, values, partitions and headers by topic", () => {
  const dlqValue = Buffer.from('{"rsvp_id": 1, "mti');
  const records: Packable[] = [
    {
      kind: "raw",
      receivedAt: 1526781485288,
      // Text is packed as UTF-8: non-ASCII and `\/` escapes come out as they came in.
      value: '{"a":"Zoë \\/ 東京"}',
      valueBytes: Buffer.byteLength('{"a":"Zoë \\/ 東京"}'),
      key: "1809828",
      partition: 4,
      headers: undefined,
    },
    {
      kind: "dlq",
      receivedAt: 1526781485289,
      value: dlqValue,
      valueBytes: dlqValue.length,
      key: undefined,
      partition: -1,
      headers: { reason: "not-json", error: "message is not JSON", received_at: "1526781485289" },
    },
    {
      kind: "raw",
      receivedAt: 1526781485290,
      value: new Uint8Array([0x7b, 0x7d]),
      valueBytes: 2,
      key: "7",
      partition: 0,
      headers: undefined,
    },
    {
      kind: "raw",
      receivedAt: 1526781485290,
      value: "",
      valueBytes: 0,
      key: "8",
      partition: 5,
      headers: undefined,
    },
  ];
  const packed = packBatch(records);
  expect(transferables(packed)).toHaveLength(5);
  const messages = unpackBatch(packed, "raw-topic", "dlq-topic");
  const headers = (map: Map<Buffer, Buffer>) =>
    Object.fromEntries([...map].map(([name, value]) => [text(name), text(value)]));
  expect(
    messages.map((m) => [m.topic, text(m.key), text(m.value), m.partition, headers(m.headers)]),
  ).toEqual([
    ["raw-topic", "1809828", '{"a":"Zoë \\/ 東京"}', 4, { received_at: "1526781485288" }],
    ["dlq-topic", undefined, '{"rsvp_id": 1, "mti', undefined, records[1]?.headers],
    ["raw-topic", "7", "{}", 0, { received_at: "1526781485290" }],
    ["raw-topic", "8", "", 5, { received_at: "1526781485290" }],
  ]);
  expect(Buffer.compare(messages[0]?.value as Buffer, Buffer.from('{"a":"Zoë \\/ 東京"}'))).toBe(0);
});

test("packBatch() of no records is empty", () => {
  expect(unpackBatch(packBatch([]), "r", "d")).toEqual([]);
});
