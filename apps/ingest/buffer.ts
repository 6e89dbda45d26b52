/** Something the buffer holds, with its cost against the byte bound. */
export interface Sized {
  bytes: number;
}

/** The two bounds of a {@linkcode RecordBuffer}. */
export interface BufferBounds {
  /** Records held at most. */
  recordsMax: number;
  /** Bytes held at most (a record larger than this is still taken into an empty buffer). */
  bytesMax: number;
}

/**
 * A FIFO of records with a fixed capacity in records and a bound in bytes: the ingest's only
 * in-memory queue. Records stay in it until Kafka has acknowledged them (`peek`, then `drop`),
 * so its depth is everything received and not yet durable, and a failed send is simply sent
 * again. It never grows: `push` refuses what does not fit, and the caller applies back-pressure.
 */
export class RecordBuffer<T extends Sized> {
  readonly bounds: BufferBounds;
  #ring: (T | undefined)[];
  #head = 0;
  #size = 0;
  #bytes = 0;

  constructor(bounds: BufferBounds) {
    for (const [name, value] of Object.entries(bounds)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(
          `Cannot create RecordBuffer as '${name}' must be a positive integer: current value is ${value}`,
        );
      }
    }
    this.bounds = { ...bounds };
    this.#ring = new Array(bounds.recordsMax);
  }

  /** Records held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `record` fits within both bounds; an empty buffer takes any one record. */
  fits(record: T): boolean {
    if (this.#size === 0) return true;
    return (
      this.#size < this.bounds.recordsMax && this.#bytes + record.bytes <= this.bounds.bytesMax
    );
  }

  /**
   * Appends `record` if it fits.
   *
   * @returns false, leaving the buffer unchanged, when it does not fit.
   */
  push(record: T): boolean {
    if (!this.fits(record)) return false;
    this.#ring[(this.#head + this.#size) % this.#ring.length] = record;
    this.#size++;
    this.#bytes += record.bytes;
    return true;
  }

  /** The oldest record, or undefined when empty. */
  oldest(): T | undefined {
    return this.#size === 0 ? undefined : this.#ring[this.#head];
  }

  /** The record `index` places after the oldest (0: the oldest), or undefined past the end. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    return this.#ring[(this.#head + index) % this.#ring.length];
  }

  /**
   * The oldest records after the first `skip`, in order, up to `recordsMax` of them and
   * `bytesMax` bytes (at least one record when any is there), without removing them. With
   * `groupOf`, the byte bound applies to each group (a Kafka partition) instead of the whole:
   * the batch stops at the first record whose group is full, so order is kept.
   */
  peek(recordsMax: number, bytesMax: number, groupOf?: (record: T) => number, skip = 0): T[] {
    const out: T[] = [];
    const groupBytes = new Map<number, number>();
    let bytes = 0;
    const end = skip + Math.min(recordsMax, Math.max(0, this.#size - skip));
    for (let i = skip; i < end; i++) {
      const record = this.#ring[(this.#head + i) % this.#ring.length] as T;
      const group = groupOf?.(record) ?? 0;
      const before = groupOf === undefined ? bytes : (groupBytes.get(group) ?? 0);
      if (out.length > 0 && before + record.bytes > bytesMax) break;
      out.push(record);
      bytes += record.bytes;
      if (groupOf !== undefined) groupBytes.set(group, before + record.bytes);
    }
    return out;
  }

  /** Removes the `count` oldest records (after Kafka acknowledged them). */
  drop(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.#size) {
      throw new RangeError(
        `Cannot drop records as 'count' must be an integer from 0 to ${this.#size}: current value is ${count}`,
      );
    }
    for (let i = 0; i < count; i++) {
      const at = (this.#head + i) % this.#ring.length;
      this.#bytes -= (this.#ring[at] as T).bytes;
      this.#ring[at] = undefined;
    }
    this.#head = (this.#head + count) % this.#ring.length;
    this.#size -= count;
  }

  /** Whether the buffer has filled to at least `ratio` of either bound. */
  above(ratio: number): boolean {
    return (
      this.#size >= this.bounds.recordsMax * ratio || this.#bytes >= this.bounds.bytesMax * ratio
    );
  }

  /** Whether the buffer has drained to at most `ratio` of both bounds. */
  below(ratio: number): boolean {
    return (
      this.#size <= this.bounds.recordsMax * ratio && this.#bytes <= this.bounds.bytesMax * ratio
    );
  }
}
