import { expect, test } from "bun:test";
import { recordedLines } from "./_testing.ts";
import { partitionOf } from "./partition.ts";
import { DLQ_VALUE_BYTES_MAX, toRecord } from "./record.ts";

const lines = recordedLines();

test("toRecord() keeps every recorded RSVP's exact text, keyed by group_id in its partition", () => {
  for (const line of lines.filter((_, index) => index !== 1541)) {
    const text = line.toString("utf8");
    const record = toRecord(text, 1526781485288, 6);
    expect(record.kind).toBe("raw");
    // The frame itself; its UTF-8 encoding (done when packing) is the line's bytes exactly.
    expect(record.value).toBe(text);
    expect(record.valueBytes).toBe(line.length);
    const groupId = String(JSON.parse(text).group.group_id);
    expect(record.key).toBe(groupId);
    expect(record.partition).toBe(partitionOf(Buffer.from(groupId), 6));
    expect(record.headers).toBeUndefined();
    expect(record.receivedAt).toBe(1526781485288);
  }
});

test("toRecord() sends the truncated recorded line to the DLQ with reason not-json", () => {
  const line = lines[1541] as Buffer;
  const record = toRecord(line.toString("utf8"), 5, 6);
  expect(record.kind).toBe("dlq");
  expect(record.reason).toBe("not-json");
  expect(record.key).toBeUndefined();
  expect(record.partition).toBe(-1);
  expect(Buffer.compare(record.value as Buffer, line)).toBe(0);
  expect(record.valueBytes).toBe(line.length);
  expect(record.headers?.reason).toBe("not-json");
  expect(String(record.headers?.error)).toContain("not JSON");
  expect(record.headers?.received_at).toBe("5");
});

test("toRecord() rejects by the parser's reasons: schema, not-object, empty, not-utf8", () => {
  const reason = (data: string | Uint8Array) => toRecord(data, 0, 6).reason;
  expect(reason('{"rsvp_id":1}')).toBe("schema");
  expect(reason("[1,2]")).toBe("not-object");
  expect(reason("   ")).toBe("empty");
  expect(reason(new Uint8Array([0x7b, 0xff, 0x7d]))).toBe("not-utf8");
});

test("toRecord() keeps a binary frame's bytes without copying them", () => {
  const line = lines[0] as Buffer;
  const frame = new Uint8Array(line);
  const record = toRecord(frame, 0, 6);
  expect(record.kind).toBe("raw");
  expect(record.value).toBe(frame);
  expect(record.valueBytes).toBe(line.length);
});

test("toRecord() cuts an oversized rejected message to a bound and says how big it was", () => {
  const huge = "x".repeat(DLQ_VALUE_BYTES_MAX + 10);
  const record = toRecord(huge, 0, 6);
  expect(record.reason).toBe("too-large");
  expect((record.value as Buffer).length).toBe(DLQ_VALUE_BYTES_MAX);
  expect(record.valueBytes).toBe(DLQ_VALUE_BYTES_MAX);
  expect(record.headers?.value_bytes).toBe(String(DLQ_VALUE_BYTES_MAX + 10));
  expect(record.bytes).toBeLessThan(DLQ_VALUE_BYTES_MAX + 1000);
});
