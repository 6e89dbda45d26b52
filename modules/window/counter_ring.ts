import { checkRange, position, positiveInteger, type SlotRange } from "./_slots.ts";

/** Options for {@linkcode CounterRing}. */
export interface CounterRingOptions {
  /** Slots in the sliding window. */
  windowSlots: number;
  /** Slots after the closed window that may still receive counts. @default {2} */
  openSlotsMax?: number;
  /** Counters per slot (for example 2: yes and no). */
  metrics: number;
}

/**
 * A fixed set of numeric counters per time slot over a ring of slots, with the sum over the
 * closed window kept incrementally: the same slot model as {@linkcode KeyedRing} (closed
 * window, then open slots), for totals such as yes/no counts. Reading one slot is the tumbling
 * window of one slot; {@linkcode sum} over any held range is the sliding one.
 *
 * @example Yes/no over a 300-slot window
 * ```ts
 * const ring = new CounterRing({ windowSlots: 300, metrics: 2 });
 * ring.add(1000, 0, 1); // one "yes" in slot 1000
 * ring.closeThrough(1001);
 * ring.sum(0); // 1
 * ```
 */
export class CounterRing {
  readonly windowSlots: number;
  readonly openSlotsMax: number;
  readonly metrics: number;
  #capacity: number;
  #values: Float64Array;
  #totals: Float64Array;
  #closedEnd = Number.NaN;

  constructor(options: CounterRingOptions) {
    const name = "CounterRing";
    this.windowSlots = positiveInteger(name, "windowSlots", options.windowSlots);
    this.openSlotsMax = positiveInteger(name, "openSlotsMax", options.openSlotsMax ?? 2);
    this.metrics = positiveInteger(name, "metrics", options.metrics);
    this.#capacity = this.windowSlots + this.openSlotsMax;
    this.#values = new Float64Array(this.#capacity * this.metrics);
    this.#totals = new Float64Array(this.metrics);
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

  /** Whether `slot` can take counts now. */
  accepts(slot: number): boolean {
    if (Number.isNaN(this.#closedEnd)) return true;
    return slot >= this.#closedEnd - this.windowSlots && slot < this.#closedEnd + this.openSlotsMax;
  }

  /**
   * Adds `delta` to counter `metric` of `slot`.
   *
   * @returns `false` when the slot is not held; nothing changes.
   * @throws {RangeError} When `metric` is not one of the counters.
   */
  add(slot: number, metric: number, delta: number): boolean {
    if (!(metric >= 0 && metric < this.metrics)) {
      throw new RangeError(
        `Cannot add to metric ${metric} as the ring has metrics 0 to ${this.metrics - 1}`,
      );
    }
    if (Number.isNaN(this.#closedEnd)) this.#closedEnd = slot;
    if (!this.accepts(slot)) return false;
    const at = position(slot, this.#capacity) * this.metrics + metric;
    this.#values[at] = (this.#values[at] as number) + delta;
    if (slot < this.#closedEnd) this.#totals[metric] = (this.#totals[metric] as number) + delta;
    return true;
  }

  /** Closes every slot before `end`, moving the window; an earlier `end` is a no-op. */
  closeThrough(end: number): void {
    if (Number.isNaN(this.#closedEnd)) this.#closedEnd = end;
    if (end <= this.#closedEnd) return;
    if (end - this.windowSlots >= this.#closedEnd + this.openSlotsMax) {
      this.#values.fill(0);
      this.#totals.fill(0);
      this.#closedEnd = end;
      return;
    }
    for (let slot = this.#closedEnd; slot < end; slot++) {
      this.#applyToTotals(position(slot, this.#capacity), 1);
      const leaving = position(slot - this.windowSlots, this.#capacity);
      this.#applyToTotals(leaving, -1);
      this.#values.fill(0, leaving * this.metrics, (leaving + 1) * this.metrics);
      this.#closedEnd = slot + 1;
    }
  }

  /** Zeroes every counter of a held slot. */
  clearSlot(slot: number): void {
    if (Number.isNaN(this.#closedEnd) || !this.accepts(slot)) return;
    const pos = position(slot, this.#capacity);
    if (slot < this.#closedEnd) this.#applyToTotals(pos, -1);
    this.#values.fill(0, pos * this.metrics, (pos + 1) * this.metrics);
  }

  #applyToTotals(pos: number, sign: 1 | -1): void {
    const base = pos * this.metrics;
    for (let m = 0; m < this.metrics; m++) {
      this.#totals[m] = (this.#totals[m] as number) + sign * (this.#values[base + m] as number);
    }
  }

  /** Counter `metric` of one slot (0 when the slot is not held). */
  value(slot: number, metric: number): number {
    if (Number.isNaN(this.#closedEnd) || !this.accepts(slot)) return 0;
    return this.#values[position(slot, this.#capacity) * this.metrics + metric] ?? 0;
  }

  /**
   * Counter `metric` summed over `range` (default: the closed window, O(1)).
   *
   * @throws {RangeError} When `range` reaches outside the held slots.
   */
  sum(metric: number, range?: SlotRange): number {
    if (Number.isNaN(this.#closedEnd)) return 0;
    let sum = this.#totals[metric] ?? 0;
    if (range === undefined) return sum;
    const held = this.held;
    checkRange(range, held.start, held.end);
    const window = this.window;
    for (let slot = range.start; slot < range.end; slot++) {
      if (slot < window.start || slot >= window.end) sum += this.value(slot, metric);
    }
    for (let slot = window.start; slot < window.end; slot++) {
      if (slot < range.start || slot >= range.end) sum -= this.value(slot, metric);
    }
    return sum;
  }
}
