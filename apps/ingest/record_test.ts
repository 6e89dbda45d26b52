import { expect, test } from "bun:test";
import { recordedLines } from "./_testing.ts";
import { partitionOf } from "./partition.ts";
import { DLQ_VALUE_BYTES_MAX, toRecord } from "./record.ts";

const lines = recordedLines();

test("toRecord() keeps every recorded RSVP's exact bytes, keyed by group_id in its partition", () => {
  for (const line of lines.filter((_, index) => index !== 1541)) {
    const record = toRecord(line.toString("utf8"), 1526781485288, 6);
    expect(record.kind).toBe("raw");
    // Leading spaces, `\/` escapes and non-ASCII text all survive: nothing is re-encoded.
    expect(Buffer.compare(record.message.value as Buffer, line)).toBe(0);
    const groupId = String(JSON.parse(line.toString("utf8")).group.group_id);
    expect(String(record.message.key)).toBe(groupId);
    expect(record.message.partition).toBe(partitionOf(Buffer.from(groupId), 6));
    expect(record.message.headers).toEqual({ received_at: "1526781485288" });
  }
});

test("toRecord() sends the truncated recorded line to the DLQ with reason not-json", () => {
  const line = lines[1541] as Buffer;
  const record = toRecord(line.toString("utf8"), 5, 6);
  expect(record.kind).toBe("dlq");
  expect(record.reason).toBe("not-json");
  expect(record.message.key).toBeNull();
  expect(Buffer.compare(record.message.value as Buffer, line)).toBe(0);
  expect(record.message.headers?.reason).toBe("not-json");
  expect(String(record.message.headers?.error)).toContain("not JSON");
  expect(record.message.headers?.received_at).toBe("5");
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
  expect((record.message.value as Buffer).buffer).toBe(frame.buffer);
});

test("toRecord() cuts an oversized rejected message to a bound and says how big it was", () => {
  const huge = "x".repeat(DLQ_VALUE_BYTES_MAX + 10);
  const record = toRecord(huge, 0, 6);
  expect(record.reason).toBe("too-large");
  expect((record.message.value as Buffer).length).toBe(DLQ_VALUE_BYTES_MAX);
  expect(record.message.headers?.value_bytes).toBe(String(DLQ_VALUE_BYTES_MAX + 10));
  expect(record.bytes).toBeLessThan(DLQ_VALUE_BYTES_MAX + 1000);
});
