import { expect, test } from "bun:test";
import {
  encodeRawLine,
  parseRawObjectName,
  rawHourPrefix,
  rawKeyHour,
  rawObjectKey,
  rawObjectName,
  rawPartitionNamePrefix,
} from "./raw_keys.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

test("rawHourPrefix() names the UTC hour, zero-padded", () => {
  expect(rawHourPrefix(Date.UTC(2017, 2, 19, 12, 59, 59, 999))).toBe("raw/2017/03/19/12/");
  expect(rawHourPrefix(Date.UTC(2018, 0, 1, 0, 0, 0, 0))).toBe("raw/2018/01/01/00/");
  expect(rawHourPrefix(0)).toBe("raw/1970/01/01/00/");
  expect(() => rawHourPrefix(Number.NaN)).toThrow(RangeError);
});

test("rawObjectName() pads partition and offsets and round-trips through parseRawObjectName()", () => {
  const range = { topic: "meetup.rsvps.raw", partition: 3, firstOffset: 123, lastOffset: 456 };
  const name = rawObjectName(range);
  expect(name).toBe("meetup.rsvps.raw+p003+000000000123-000000000456.jsonl");
  expect(parseRawObjectName(name)).toEqual(range);
  expect(parseRawObjectName(`raw/2017/03/19/12/${name}`)).toEqual(range);
  const wide = { topic: "t", partition: 1023, firstOffset: 10 ** 13, lastOffset: 10 ** 13 + 1 };
  expect(parseRawObjectName(rawObjectName(wide))).toEqual(wide);
});

test("rawObjectName() sorts by offset within a partition", () => {
  const names = [5, 100, 20, 9_999].map((first) =>
    rawObjectName({ topic: "t", partition: 0, firstOffset: first, lastOffset: first }),
  );
  expect([...names].sort().map((name) => parseRawObjectName(name)?.firstOffset)).toEqual([
    5, 20, 100, 9_999,
  ]);
});

test("rawObjectName() rejects bad topics and offsets", () => {
  const good = { topic: "t", partition: 0, firstOffset: 1, lastOffset: 2 };
  expect(() => rawObjectName({ ...good, topic: "a+b" })).toThrow(RangeError);
  expect(() => rawObjectName({ ...good, topic: "a/b" })).toThrow(RangeError);
  expect(() => rawObjectName({ ...good, partition: -1 })).toThrow(/partition/);
  expect(() => rawObjectName({ ...good, firstOffset: 1.5 })).toThrow(/firstOffset/);
  expect(() => rawObjectName({ ...good, firstOffset: 3 })).toThrow(/before firstOffset/);
});

test("parseRawObjectName() ignores names it did not write, such as Firehose's", () => {
  expect(parseRawObjectName("raw/2026/11/26/12/fh-1-2026-11-26-12-35-08-392cd12b")).toBeUndefined();
  expect(parseRawObjectName("t+p001+000000000009-000000000002.jsonl")).toBeUndefined();
  expect(parseRawObjectName("t+p001+000000000001-000000000002.json")).toBeUndefined();
});

test("rawObjectKey() and rawKeyHour() agree, for Firehose keys too", () => {
  const hour = Date.UTC(2017, 2, 19, 12);
  const key = rawObjectKey({ topic: "t", partition: 0, firstOffset: 0, lastOffset: 0 }, hour + 5);
  expect(key).toBe("raw/2017/03/19/12/t+p000+000000000000-000000000000.jsonl");
  expect(rawKeyHour(key)).toBe(hour);
  expect(rawKeyHour("prefix/raw/2017/03/19/12/stream-1-2017-03-19-12-00-00-abc")).toBe(hour);
  expect(rawKeyHour("raw/2017/13/19/12/x")).toBeUndefined();
  expect(rawKeyHour("raw/2017/03/19/x")).toBeUndefined();
  expect(rawPartitionNamePrefix("t", 7)).toBe("t+p007+");
});

test("encodeRawLine() keeps every byte, turns CR/LF into spaces and ends with one LF", () => {
  const message = bytes('  {"name":"Zoë \\/ café","n":1}');
  const line = encodeRawLine(message);
  expect(Buffer.compare(line.subarray(0, -1), message)).toBe(0);
  expect(line.at(-1)).toBe(0x0a);
  const pretty = bytes('{\r\n  "a": "x\\ny",\n  "b": 2\n}');
  const encoded = text(encodeRawLine(pretty));
  expect(encoded).toBe('{    "a": "x\\ny",   "b": 2 }\n');
  expect(JSON.parse(encoded)).toEqual(JSON.parse(text(pretty)));
  expect(text(encodeRawLine(new Uint8Array()))).toBe("\n");
});
