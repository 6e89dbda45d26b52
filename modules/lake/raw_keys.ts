/**
 * The raw lake's key layout and line format, shared by the archive (which writes it) and the ETL
 * (which reads it):
 *
 *   raw/YYYY/MM/DD/HH/<topic>+p<partition>+<first offset>-<last offset>.jsonl
 *
 * by ingest hour (UTC). Offsets are zero-padded to 12 digits and partitions to 3 so that names
 * sort by offset within a partition. Kinesis Firehose writes the same `raw/YYYY/MM/DD/HH/`
 * prefix with names of its own, so readers take every object under `raw/` whatever its name.
 */

/** The root of the raw archive in a lake or bucket prefix. */
export const RAW_ROOT = "raw/";

/** The extension of objects the archive names itself. */
export const RAW_OBJECT_EXTENSION = ".jsonl";

/** Milliseconds in an hour: the raw archive's time partition. */
export const HOUR_MS = 3_600_000;

const OFFSET_DIGITS = 12;
const PARTITION_DIGITS = 3;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** What an archive object name records: which offsets of which topic partition it holds. */
export interface RawObjectRange {
  topic: string;
  partition: number;
  /** The first offset in the object (inclusive). */
  firstOffset: number;
  /** The last offset in the object (inclusive). */
  lastOffset: number;
}

/**
 * The hour directory of an instant: `raw/YYYY/MM/DD/HH/` in UTC.
 *
 * @example
 * ```ts
 * rawHourPrefix(Date.UTC(2017, 2, 19, 12, 30)); // "raw/2017/03/19/12/"
 * ```
 */
export function rawHourPrefix(timeMs: number): string {
  if (!Number.isFinite(timeMs)) {
    throw new RangeError(
      `Cannot name a raw hour as the time is not finite: current value is ${timeMs}`,
    );
  }
  const iso = new Date(Math.floor(timeMs / HOUR_MS) * HOUR_MS).toISOString();
  // "2017-03-19T12:00:00.000Z" -> "2017/03/19/12"
  return `${RAW_ROOT}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/`;
}

/**
 * The start of the hour (epoch ms, UTC) that a raw key lives under, for keys the archive writes
 * and keys Firehose writes alike; `undefined` when the key is not under `raw/YYYY/MM/DD/HH/`.
 */
export function rawKeyHour(key: string): number | undefined {
  const match = /(?:^|\/)raw\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+$/.exec(key);
  if (match === null) return undefined;
  const [, year, month, day, hour] = match.map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23) return undefined;
  return Date.UTC(year, month - 1, day, hour);
}

/**
 * The name of an object holding `range`: the same range always gives the same name, so a retry
 * after a crash rewrites the object instead of adding a second copy.
 *
 * @example
 * ```ts
 * rawObjectName({ topic: "meetup.rsvps.raw", partition: 3, firstOffset: 123, lastOffset: 456 });
 * // "meetup.rsvps.raw+p003+000000000123-000000000456.jsonl"
 * ```
 * @throws {RangeError} When the topic contains `+` or `/`, or the offsets are not an ordered pair.
 */
export function rawObjectName(range: RawObjectRange): string {
  const { topic, partition, firstOffset, lastOffset } = range;
  if (!/^[A-Za-z0-9._-]+$/.test(topic)) {
    throw new RangeError(
      `Cannot name a raw object as the topic is not a Kafka topic name: current value is ${topic}`,
    );
  }
  for (const [name, value] of [
    ["partition", partition],
    ["firstOffset", firstOffset],
    ["lastOffset", lastOffset],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot name a raw object as '${name}' must be a non-negative integer: current value is ${value}`,
      );
    }
  }
  if (lastOffset < firstOffset) {
    throw new RangeError(
      `Cannot name a raw object as lastOffset ${lastOffset} is before firstOffset ${firstOffset}`,
    );
  }
  const pad = (value: number, digits: number) => String(value).padStart(digits, "0");
  return `${topic}+p${pad(partition, PARTITION_DIGITS)}+${pad(firstOffset, OFFSET_DIGITS)}-${pad(lastOffset, OFFSET_DIGITS)}${RAW_OBJECT_EXTENSION}`;
}

/** The full key of an object: `raw/YYYY/MM/DD/HH/<name>` for the hour containing `hourMs`. */
export function rawObjectKey(range: RawObjectRange, hourMs: number): string {
  return `${rawHourPrefix(hourMs)}${rawObjectName(range)}`;
}

/** The name prefix of every object of one topic partition: `<topic>+p003+`. */
export function rawPartitionNamePrefix(topic: string, partition: number): string {
  return `${topic}+p${String(partition).padStart(PARTITION_DIGITS, "0")}+`;
}

/**
 * Reads the range back from an object name (or a key ending in one); `undefined` for names the
 * archive did not write, such as Firehose's.
 */
export function parseRawObjectName(nameOrKey: string): RawObjectRange | undefined {
  const name = nameOrKey.slice(nameOrKey.lastIndexOf("/") + 1);
  const match = /^([A-Za-z0-9._-]+)\+p(\d+)\+(\d+)-(\d+)\.jsonl$/.exec(name);
  if (match === null) return undefined;
  const [, topic, partition, first, last] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const range = {
    topic,
    partition: Number(partition),
    firstOffset: Number(first),
    lastOffset: Number(last),
  };
  const valid =
    Number.isSafeInteger(range.firstOffset) &&
    Number.isSafeInteger(range.lastOffset) &&
    range.firstOffset <= range.lastOffset;
  return valid ? range : undefined;
}

/**
 * One raw message as a lake line: its bytes, then `\n`. A raw message is one JSON value, whose
 * strings cannot hold a raw CR or LF, so any CR/LF byte in it is JSON whitespace (a
 * pretty-printed message); each becomes a space, which keeps the JSON value and the line count
 * intact. Every other byte is kept as received.
 */
export function encodeRawLine(message: Uint8Array): Uint8Array {
  const line = new Uint8Array(message.byteLength + 1);
  line.set(message);
  if (message.includes(LF) || message.includes(CR)) {
    for (let i = 0; i < message.byteLength; i++) {
      if (line[i] === LF || line[i] === CR) line[i] = SPACE;
    }
  }
  line[message.byteLength] = LF;
  return line;
}
