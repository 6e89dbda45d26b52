import { checkRange, position, positiveInteger, type SlotRange } from "./_slots.ts";
import { TopSelector } from "./_top.ts";
import { KeyTable } from "./key_table.ts";

/** Options for {@linkcode KeyedRing}. */
export interface KeyedRingOptions {
  /** Slots in the sliding window (300 for 5 minutes of 1 s slots). */
  windowSlots: number;
  /** Slots after the closed window that may still receive counts. @default {2} */
  openSlotsMax?: number;
  /**
   * The most distinct keys one slot holds; counts for further keys go to the slot's overflow.
   * @default {4096}
   */
  slotKeysMax?: number;
  /** The most distinct keys the whole ring holds. @default {65536} */
  keysMax?: number;
}

/** A key and its count. */
export interface KeyCount {
  key: string;
  count: number;
}

/** Slots start with room for this many keys and double up to `slotKeysMax`. */
const SLOT_KEYS_INITIAL = 8;
const EMPTY = new Int32Array(0);

/**
 * Keyed counts over a fixed ring of time slots, exact within the window and bounded in memory.
 *
 * Slots are absolute integers (`Math.floor(time / slotMs)`). Slots before `closedEnd` are
 * closed: the last `windowSlots` of them form the window, whose per-key totals are kept
 * incrementally (a closing slot is added, the slot leaving the window subtracted), so
 * {@linkcode count} is O(1) and {@linkcode topK} one pass over the live keys. Slots from
 * `closedEnd` on are open (up to `openSlotsMax`): they take counts but are not in the totals
 * until they close. Queries over any other range of held slots adjust the totals by the slots
 * that differ, which is exact.
 *
 * Each slot stores its keys as ids and counts in typed arrays with an open-addressing index:
 * no allocation per update once a key is interned. A slot holds at most `slotKeysMax` keys and
 * the ring at most `keysMax`; counts beyond are added to the slot's overflow, never lost
 * silently and never growing a map.
 *
 * @example Top keys of a 3-slot window
 * ```ts
 * const ring = new KeyedRing({ windowSlots: 3 });
 * ring.add(10, "a", 2);
 * ring.add(11, "b", 1);
 * ring.closeThrough(12); // slots 10 and 11 closed; window [9, 12)
 * ring.topK(1); // [{ key: "a", count: 2 }]
 * ```
 */
export class KeyedRing {
  readonly windowSlots: number;
  readonly openSlotsMax: number;
  readonly slotKeysMax: number;
  #capacity: number;
  #table: KeyTable;
  #ids: Int32Array[];
  #counts: Int32Array[];
  #index: Int32Array[];
  #sizes: Int32Array;
  #overflow: Float64Array;
  #totals: Int32Array;
  #overflowTotal = 0;
  #closedEnd = Number.NaN;
  // Scratch for range queries: per-id adjustment, the epoch that marks it valid, touched ids.
  #adjust: Int32Array;
  #marks: Int32Array;
  #touched: Int32Array;
  #touchedCount = 0;
  #epoch = 0;

  constructor(options: KeyedRingOptions) {
    const name = "KeyedRing";
    this.windowSlots = positiveInteger(name, "windowSlots", options.windowSlots);
    this.openSlotsMax = positiveInteger(name, "openSlotsMax", options.openSlotsMax ?? 2);
    this.slotKeysMax = positiveInteger(name, "slotKeysMax", options.slotKeysMax ?? 4096);
    const keysMax = positiveInteger(name, "keysMax", options.keysMax ?? 65536);
    this.#capacity = this.windowSlots + this.openSlotsMax;
    this.#table = new KeyTable(keysMax);
    this.#ids = Array.from({ length: this.#capacity }, () => EMPTY);
    this.#counts = Array.from({ length: this.#capacity }, () => EMPTY);
    this.#index = Array.from({ length: this.#capacity }, () => EMPTY);
    this.#sizes = new Int32Array(this.#capacity);
    this.#overflow = new Float64Array(this.#capacity);
    this.#totals = new Int32Array(keysMax);
    this.#adjust = new Int32Array(keysMax);
    this.#marks = new Int32Array(keysMax);
    this.#touched = new Int32Array(keysMax);
  }

  /** The first open slot; `NaN` until the first update or close. */
  get closedEnd(): number {
    return this.#closedEnd;
  }

  /** The closed window, `[closedEnd - windowSlots, closedEnd)`. */
  get window(): SlotRange {
    return { start: this.#closedEnd - this.windowSlots, end: this.#closedEnd };
  }

  /** Every slot the ring holds: the window and the open slots. */
  get held(): SlotRange {
    return { start: this.#closedEnd - this.windowSlots, end: this.#closedEnd + this.openSlotsMax };
  }

  /** Distinct keys held in any slot. */
  get keys(): number {
    return this.#table.size;
  }

  /** Whether any held slot stores `key` (or it is pinned). */
  has(key: string): boolean {
    return this.#table.get(key) >= 0;
  }

  /** Counts dropped to overflow in the closed window (sum of their deltas). */
  get overflow(): number {
    return this.#overflowTotal;
  }

  /** Whether `slot` can take counts now (it is in the window or open). */
  accepts(slot: number): boolean {
    if (Number.isNaN(this.#closedEnd)) return true;
    return slot >= this.#closedEnd - this.windowSlots && slot < this.#closedEnd + this.openSlotsMax;
  }

  /**
   * Adds `delta` to `key` in `slot`.
   *
   * @returns `false` when the slot is not held (too old or too far ahead); nothing changes.
   */
  add(slot: number, key: string, delta: number): boolean {
    if (Number.isNaN(this.#closedEnd)) this.#closedEnd = slot;
    if (!this.accepts(slot)) return false;
    const id = this.#table.intern(key);
    const pos = position(slot, this.#capacity);
    if (id < 0) {
      this.#addOverflow(slot, pos, delta);
      return true;
    }
    if (!this.#addAt(slot, pos, id, delta)) this.#table.dropIfUnused(id);
    return true;
  }

  /**
   * Adds `delta` to a pinned key id (see {@linkcode pin}) in `slot`: the allocation-free path.
   *
   * @returns `false` when the slot is not held.
   */
  addId(slot: number, id: number, delta: number): boolean {
    if (Number.isNaN(this.#closedEnd)) this.#closedEnd = slot;
    if (!this.accepts(slot)) return false;
    this.#addAt(slot, position(slot, this.#capacity), id, delta);
    return true;
  }

  /**
   * Interns `key` and holds it until {@linkcode unpin}, so callers can count by id.
   *
   * @returns The id, or -1 when the ring already holds `keysMax` keys.
   */
  pin(key: string): number {
    const id = this.#table.intern(key);
    if (id >= 0) this.#table.retain(id);
    return id;
  }

  /** Releases a key pinned with {@linkcode pin}. */
  unpin(id: number): void {
    this.#table.release(id);
  }

  /** Stores the count; returns false when it went to overflow instead. */
  #addAt(slot: number, pos: number, id: number, delta: number): boolean {
    let at = this.#find(pos, id);
    if (at < 0) {
      if (this.#sizes[pos] === this.slotKeysMax) {
        this.#addOverflow(slot, pos, delta);
        return false;
      }
      at = this.#insert(pos, id);
    }
    const counts = this.#counts[pos] as Int32Array;
    counts[at] = (counts[at] as number) + delta;
    if (slot < this.#closedEnd) this.#totals[id] = (this.#totals[id] as number) + delta;
    return true;
  }

  #addOverflow(slot: number, pos: number, delta: number): void {
    this.#overflow[pos] = (this.#overflow[pos] as number) + delta;
    if (slot < this.#closedEnd) this.#overflowTotal += delta;
  }

  /** The entry index of `id` in the slot at `pos`, or -1. */
  #find(pos: number, id: number): number {
    const index = this.#index[pos] as Int32Array;
    if (index.length === 0) return -1;
    const ids = this.#ids[pos] as Int32Array;
    const mask = index.length - 1;
    for (let h = Math.imul(id, 0x9e3779b1) & mask; ; h = (h + 1) & mask) {
      const entry = index[h] as number;
      if (entry === 0) return -1;
      if (ids[entry - 1] === id) return entry - 1;
    }
  }

  #insert(pos: number, id: number): number {
    const size = this.#sizes[pos] as number;
    if (size === (this.#ids[pos] as Int32Array).length) this.#grow(pos);
    (this.#ids[pos] as Int32Array)[size] = id;
    (this.#counts[pos] as Int32Array)[size] = 0;
    this.#sizes[pos] = size + 1;
    this.#indexEntry(pos, id, size);
    this.#table.retain(id);
    return size;
  }

  #indexEntry(pos: number, id: number, at: number): void {
    const index = this.#index[pos] as Int32Array;
    const mask = index.length - 1;
    let h = Math.imul(id, 0x9e3779b1) & mask;
    while (index[h] !== 0) h = (h + 1) & mask;
    index[h] = at + 1;
  }

  /** Doubles a slot's arrays (up to `slotKeysMax`); amortised, and kept when the slot is reused. */
  #grow(pos: number): void {
    const old = this.#ids[pos] as Int32Array;
    const size = Math.min(this.slotKeysMax, Math.max(SLOT_KEYS_INITIAL, old.length * 2));
    const ids = new Int32Array(size);
    const counts = new Int32Array(size);
    ids.set(old);
    counts.set(this.#counts[pos] as Int32Array);
    this.#ids[pos] = ids;
    this.#counts[pos] = counts;
    // The index stays at most half full so probes stay short.
    let buckets = 1;
    while (buckets < size * 2) buckets *= 2;
    this.#index[pos] = new Int32Array(buckets);
    const used = this.#sizes[pos] as number;
    for (let i = 0; i < used; i++) this.#indexEntry(pos, ids[i] as number, i);
  }

  /**
   * Closes every slot before `end`: each closing slot enters the window and the slot leaving
   * the window is evicted (its keys released). Closing is monotonic; an earlier `end` is a no-op.
   */
  closeThrough(end: number): void {
    if (Number.isNaN(this.#closedEnd)) this.#closedEnd = end;
    if (end <= this.#closedEnd) return;
    if (end - this.windowSlots >= this.#closedEnd + this.openSlotsMax) {
      // Nothing held now survives the jump: clear it all instead of stepping slot by slot.
      for (let pos = 0; pos < this.#capacity; pos++) this.#clearPosition(pos);
      this.#totals.fill(0);
      this.#overflowTotal = 0;
      this.#closedEnd = end;
      return;
    }
    for (let slot = this.#closedEnd; slot < end; slot++) {
      this.#applyToTotals(position(slot, this.#capacity), 1);
      const leaving = position(slot - this.windowSlots, this.#capacity);
      this.#applyToTotals(leaving, -1);
      this.#clearPosition(leaving);
      this.#closedEnd = slot + 1;
    }
  }

  /** Removes every count of a held slot (open or closed). */
  clearSlot(slot: number): void {
    if (!this.accepts(slot)) return;
    const pos = position(slot, this.#capacity);
    if (slot < this.#closedEnd) this.#applyToTotals(pos, -1);
    this.#clearPosition(pos);
  }

  #applyToTotals(pos: number, sign: 1 | -1): void {
    const ids = this.#ids[pos] as Int32Array;
    const counts = this.#counts[pos] as Int32Array;
    const size = this.#sizes[pos] as number;
    const totals = this.#totals;
    for (let i = 0; i < size; i++) {
      const id = ids[i] as number;
      totals[id] = (totals[id] as number) + sign * (counts[i] as number);
    }
    this.#overflowTotal += sign * (this.#overflow[pos] as number);
  }

  #clearPosition(pos: number): void {
    const ids = this.#ids[pos] as Int32Array;
    const size = this.#sizes[pos] as number;
    for (let i = 0; i < size; i++) this.#table.release(ids[i] as number);
    this.#sizes[pos] = 0;
    this.#overflow[pos] = 0;
    (this.#index[pos] as Int32Array).fill(0);
  }

  /** The count of `key` in one held slot (0 when absent or not held). */
  slotCount(slot: number, key: string): number {
    const id = this.#table.get(key);
    if (id < 0 || Number.isNaN(this.#closedEnd) || !this.accepts(slot)) return 0;
    const pos = position(slot, this.#capacity);
    const at = this.#find(pos, id);
    return at < 0 ? 0 : ((this.#counts[pos] as Int32Array)[at] as number);
  }

  /** The overflow (sum of dropped deltas) of one held slot. */
  slotOverflow(slot: number): number {
    if (Number.isNaN(this.#closedEnd) || !this.accepts(slot)) return 0;
    return this.#overflow[position(slot, this.#capacity)] as number;
  }

  /** Calls `fn` for every key stored in one held slot, in insertion order. */
  forEachInSlot(slot: number, fn: (key: string, count: number) => void): void {
    if (Number.isNaN(this.#closedEnd) || !this.accepts(slot)) return;
    const pos = position(slot, this.#capacity);
    const ids = this.#ids[pos] as Int32Array;
    const counts = this.#counts[pos] as Int32Array;
    const size = this.#sizes[pos] as number;
    for (let i = 0; i < size; i++) fn(this.#table.key(ids[i] as number), counts[i] as number);
  }

  /** The count of `key` over `range` (default: the closed window). */
  count(key: string, range?: SlotRange): number {
    const id = this.#table.get(key);
    if (id < 0) return 0;
    let count = this.#totals[id] as number;
    this.#forEachRangeDifference(range, (slot, sign) => {
      const pos = position(slot, this.#capacity);
      const at = this.#find(pos, id);
      if (at >= 0) count += sign * ((this.#counts[pos] as Int32Array)[at] as number);
    });
    return count;
  }

  /**
   * The `k` keys with the highest counts over `range` (default: the closed window), highest
   * first, ties by key ascending; keys whose count is not positive are left out.
   *
   * One pass over the live keys: the window totals, corrected for the keys of the slots by
   * which `range` differs from the window (gathered into scratch typed arrays first).
   *
   * @throws {RangeError} When `range` reaches outside the held slots.
   */
  topK(k: number, range?: SlotRange): KeyCount[] {
    if (Number.isNaN(this.#closedEnd) || k <= 0) return [];
    const epoch = this.#gatherAdjustments(range);
    const best = new TopSelector(k);
    const totals = this.#totals;
    const marks = this.#marks;
    const table = this.#table;
    const high = table.highWater;
    for (let id = 0; id < high; id++) {
      const total = totals[id] as number;
      if (total > 0 && marks[id] !== epoch) best.offer(total, table.key(id));
    }
    const adjust = this.#adjust;
    for (let i = 0; i < this.#touchedCount; i++) {
      const id = this.#touched[i] as number;
      best.offer((totals[id] as number) + (adjust[id] as number), table.key(id));
    }
    return best.sorted().filter((entry) => entry.count > 0);
  }

  /**
   * Collects, per key id, how `range` differs from the closed window into `#adjust`, marking
   * the touched ids with a fresh epoch (so the scratch arrays never need clearing).
   */
  #gatherAdjustments(range?: SlotRange): number {
    const epoch = ++this.#epoch;
    this.#touchedCount = 0;
    const adjust = this.#adjust;
    const marks = this.#marks;
    this.#forEachRangeDifference(range, (slot, sign) => {
      const pos = position(slot, this.#capacity);
      const ids = this.#ids[pos] as Int32Array;
      const counts = this.#counts[pos] as Int32Array;
      const size = this.#sizes[pos] as number;
      for (let i = 0; i < size; i++) {
        const id = ids[i] as number;
        if (marks[id] !== epoch) {
          marks[id] = epoch;
          adjust[id] = 0;
          this.#touched[this.#touchedCount++] = id;
        }
        adjust[id] = (adjust[id] as number) + sign * (counts[i] as number);
      }
    });
    return epoch;
  }

  /** Calls `fn(slot, +1)` for slots of `range` outside the window, `-1` for the reverse. */
  #forEachRangeDifference(
    range: SlotRange | undefined,
    fn: (slot: number, sign: 1 | -1) => void,
  ): void {
    if (range === undefined || Number.isNaN(this.#closedEnd)) return;
    const held = this.held;
    checkRange(range, held.start, held.end);
    const window = this.window;
    for (let slot = range.start; slot < range.end; slot++) {
      if (slot < window.start || slot >= window.end) fn(slot, 1);
    }
    for (let slot = window.start; slot < window.end; slot++) {
      if (slot < range.start || slot >= range.end) fn(slot, -1);
    }
  }

  /** Overflow over `range` (default: the closed window). */
  overflowIn(range?: SlotRange): number {
    if (range === undefined || Number.isNaN(this.#closedEnd)) return this.#overflowTotal;
    const held = this.held;
    checkRange(range, held.start, held.end);
    let sum = 0;
    for (let slot = range.start; slot < range.end; slot++) {
      sum += this.#overflow[position(slot, this.#capacity)] as number;
    }
    return sum;
  }

  /** (slot, key) entries stored across the held slots. */
  get entries(): number {
    let entries = 0;
    for (let pos = 0; pos < this.#capacity; pos++) entries += this.#sizes[pos] as number;
    return entries;
  }

  /** Bytes held by the typed arrays (slots, totals, key table), for the benchmark. */
  get bytes(): number {
    let bytes = this.#totals.byteLength + this.#sizes.byteLength + this.#overflow.byteLength;
    for (let pos = 0; pos < this.#capacity; pos++) {
      bytes += (this.#ids[pos] as Int32Array).byteLength;
      bytes += (this.#counts[pos] as Int32Array).byteLength;
      bytes += (this.#index[pos] as Int32Array).byteLength;
    }
    bytes += this.#adjust.byteLength + this.#marks.byteLength + this.#touched.byteLength;
    return bytes + this.#table.capacity * 8;
  }
}
