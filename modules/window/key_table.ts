/**
 * Interns string keys as small dense integer ids, so the per-slot counters can be typed arrays
 * indexed by id. Each id carries a reference count (how many slots hold it, plus pins); an id
 * whose count drops to zero is recycled, so the table never grows past `capacity`.
 */
export class KeyTable {
  #ids = new Map<string, number>();
  #keys: (string | undefined)[];
  #refs: Int32Array;
  #free: Int32Array;
  #freeCount = 0;
  #highWater = 0;

  /**
   * @param capacity The most keys held at once.
   * @throws {RangeError} When `capacity` is not a positive integer.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 30) {
      throw new RangeError(
        `Cannot create KeyTable as 'capacity' must be an integer from 1 to 2^30: current value is ${capacity}`,
      );
    }
    this.#keys = new Array(capacity);
    this.#refs = new Int32Array(capacity);
    this.#free = new Int32Array(capacity);
  }

  /** The most keys held at once. */
  get capacity(): number {
    return this.#refs.length;
  }

  /** How many keys are held now. */
  get size(): number {
    return this.#ids.size;
  }

  /** One past the largest id ever handed out: ids are in `[0, highWater)`. */
  get highWater(): number {
    return this.#highWater;
  }

  /** The id of `key`, or -1 when it is not held. */
  get(key: string): number {
    return this.#ids.get(key) ?? -1;
  }

  /**
   * The id of `key`, adding it with no references when absent; -1 when the table is full.
   * A new id must be {@linkcode retain}ed or {@linkcode dropIfUnused} by the caller.
   */
  intern(key: string): number {
    const found = this.#ids.get(key);
    if (found !== undefined) return found;
    let id: number;
    if (this.#freeCount > 0) id = this.#free[--this.#freeCount] as number;
    else if (this.#highWater < this.#refs.length) id = this.#highWater++;
    else return -1;
    this.#ids.set(key, id);
    this.#keys[id] = key;
    return id;
  }

  /** The key of a held id. */
  key(id: number): string {
    const key = this.#keys[id];
    if (key === undefined) throw new RangeError(`Cannot read key as id ${id} is not held`);
    return key;
  }

  /** Whether `id` is held now. */
  has(id: number): boolean {
    return id >= 0 && id < this.#highWater && this.#keys[id] !== undefined;
  }

  /** The reference count of `id`. */
  refs(id: number): number {
    return this.#refs[id] ?? 0;
  }

  /** Adds a reference to a held id. */
  retain(id: number): void {
    this.#refs[id] = (this.#refs[id] as number) + 1;
  }

  /** Removes a reference; the id is recycled when none are left. */
  release(id: number): void {
    const refs = (this.#refs[id] as number) - 1;
    if (refs < 0) throw new RangeError(`Cannot release id ${id} as it holds no reference`);
    this.#refs[id] = refs;
    if (refs === 0) this.#drop(id);
  }

  /** Recycles `id` if nothing references it (an interned key that was never stored). */
  dropIfUnused(id: number): void {
    if (this.#refs[id] === 0 && this.#keys[id] !== undefined) this.#drop(id);
  }

  #drop(id: number): void {
    const key = this.#keys[id] as string;
    this.#ids.delete(key);
    this.#keys[id] = undefined;
    this.#free[this.#freeCount++] = id;
  }
}
