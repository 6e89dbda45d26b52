import { HOUR_MS, type RawObjectRange } from "../../modules/lake/mod.ts";

/** One raw message ready for the lake. */
export interface RawRecord {
  offset: number;
  /** The ingest hour: `Math.floor(received_at / HOUR_MS)`. */
  hour: number;
  /** The message as a lake line (see `encodeRawLine`). */
  line: Uint8Array;
}

/**
 * A sealed run of consecutive records of one partition, all of one ingest hour, in offset
 * order: what becomes one object (local, S3) or one group of Firehose records.
 */
export interface Chunk extends RawObjectRange {
  /** The start of the ingest hour (epoch ms). */
  hourMs: number;
  lines: Uint8Array[];
  /** Sum of the lines' lengths. */
  bytes: number;
  /** The consumer-group generation it was read in; a rebalance makes it void. */
  generation: number;
}

/** When a partition's open chunk is sealed: Firehose-style buffering hints. */
export interface FlushHints {
  /** Seal once the chunk holds at least this many bytes. */
  flushBytes: number;
  /** Seal once the chunk's first record has waited this long. */
  flushMs: number;
}

interface OpenChunk {
  firstOffset: number;
  lastOffset: number;
  hour: number;
  lines: Uint8Array[];
  bytes: number;
  openedAtMs: number;
}

/**
 * Buffers one partition's records into chunks. A chunk is sealed when it reaches the flush
 * size, when its oldest record reaches the flush age, or when a record of another ingest hour
 * arrives (an object never spans two hour directories). Pure: the caller passes the clock.
 */
export class PartitionBuffer {
  readonly topic: string;
  readonly partition: number;
  readonly generation: number;
  readonly #hints: FlushHints;
  #open: OpenChunk | undefined;

  constructor(topic: string, partition: number, generation: number, hints: FlushHints) {
    if (!(hints.flushBytes >= 1 && hints.flushMs >= 1)) {
      throw new RangeError(
        `Cannot buffer as flushBytes and flushMs must be at least 1: current values are ${hints.flushBytes} and ${hints.flushMs}`,
      );
    }
    this.topic = topic;
    this.partition = partition;
    this.generation = generation;
    this.#hints = hints;
  }

  /** Bytes in the open chunk. */
  get bytes(): number {
    return this.#open?.bytes ?? 0;
  }

  /**
   * Adds a record, whose offset must be above every offset added before.
   *
   * @returns The chunks this sealed: none, one, or two (another hour's chunk, then this
   *   record's own when it alone reaches the flush size).
   */
  add(record: RawRecord, nowMs: number): Chunk[] {
    const sealed: Chunk[] = [];
    const open = this.#open;
    if (open !== undefined && record.offset <= open.lastOffset) {
      throw new RangeError(
        `Cannot buffer offset ${record.offset} of partition ${this.partition} after offset ${open.lastOffset}`,
      );
    }
    if (open !== undefined && open.hour !== record.hour) sealed.push(this.#seal(open));
    if (this.#open === undefined) {
      this.#open = {
        firstOffset: record.offset,
        lastOffset: record.offset,
        hour: record.hour,
        lines: [],
        bytes: 0,
        openedAtMs: nowMs,
      };
    }
    const current = this.#open;
    current.lines.push(record.line);
    current.bytes += record.line.byteLength;
    current.lastOffset = record.offset;
    if (current.bytes >= this.#hints.flushBytes) sealed.push(this.#seal(current));
    return sealed;
  }

  /** Seals the open chunk if its first record has waited `flushMs` or more. */
  sealIfDue(nowMs: number): Chunk | undefined {
    const open = this.#open;
    if (open === undefined || nowMs - open.openedAtMs < this.#hints.flushMs) return undefined;
    return this.#seal(open);
  }

  /** Seals the open chunk whatever its size or age (shutdown). */
  sealNow(): Chunk | undefined {
    return this.#open === undefined ? undefined : this.#seal(this.#open);
  }

  #seal(open: OpenChunk): Chunk {
    this.#open = undefined;
    return {
      topic: this.topic,
      partition: this.partition,
      firstOffset: open.firstOffset,
      lastOffset: open.lastOffset,
      hourMs: open.hour * HOUR_MS,
      lines: open.lines,
      bytes: open.bytes,
      generation: this.generation,
    };
  }
}
