import { positiveInteger, type SlotRange } from "./_slots.ts";
import { CounterRing } from "./counter_ring.ts";
import { EventClock } from "./event_clock.ts";
import { type KeyCount, KeyedRing } from "./keyed_ring.ts";

/** Options for {@linkcode SlidingWindow}. */
export interface SlidingWindowOptions {
  /** Width of one slot, the slide. @default {1000} */
  slotMs?: number;
  /** Slots in the window. @default {300} (5 minutes of 1 s slots) */
  windowSlots?: number;
  /** @default {0} */
  allowedLatenessMs?: number;
  /** Quiet wall-clock time after which the clock moves on by itself. @default {Infinity} */
  idleMs?: number;
  /** Least wall-clock time between two update views. @default {1000} */
  emitMs?: number;
  /** Counters per slot. @default {1} */
  metrics?: number;
  /** Keyed count dimensions (events, topics, ...). @default {1} */
  dimensions?: number;
  /** @default {4096} */
  slotKeysMax?: number;
  /** @default {65536} */
  keysMax?: number;
  /** Called with the final view of each window as it closes. */
  onClose?: (view: WindowView) => void;
  /** Called from {@linkcode SlidingWindow.tick} with the live view when it changed. */
  onUpdate?: (view: WindowView) => void;
}

/** A read-only view of one window, valid only during the callback it is passed to. */
export interface WindowView {
  /** `"final"` for a closed window, `"update"` for the live one. */
  kind: "final" | "update";
  /** The window's slots, `[start, end)`. */
  range: SlotRange;
  /** Late events so far. */
  late: number;
  /** Counter `metric` summed over the window. */
  sum(metric: number): number;
  /** The top `k` keys of dimension `dim` over the window. */
  topK(dim: number, k: number): KeyCount[];
  /** The count of `key` in dimension `dim` over the window. */
  count(dim: number, key: string): number;
  /** Overflowed counts of dimension `dim` over the window. */
  overflow(dim: number): number;
}

/**
 * A sliding window over event time with everything wired: an {@linkcode EventClock}
 * (watermark, lateness, idle advance), a {@linkcode CounterRing} and one {@linkcode KeyedRing}
 * per dimension. Windows are emitted when they close (final, exact) and, from
 * {@linkcode tick}, as a live update at most every `emitMs` when something changed.
 *
 * When the watermark jumps by more than the ring holds, the windows that still hold data are
 * closed one slot at a time and then one empty window at the new watermark, so a stream with
 * a gap of months does not emit millions of empty windows.
 *
 * @example Count RSVPs per response in a 5-minute window
 * ```ts
 * const window = new SlidingWindow({ metrics: 2, onClose: (v) => console.log(v.sum(0)) });
 * const slot = window.accept(receivedAt, Date.now());
 * if (slot >= 0) window.count(slot, response === "yes" ? 0 : 1, 1);
 * ```
 */
export class SlidingWindow {
  readonly clock: EventClock;
  readonly counters: CounterRing;
  readonly keyed: KeyedRing[];
  readonly windowSlots: number;
  readonly emitMs: number;
  #late = 0;
  /** The closed end last acted on (the rings' own, cached for the per-event check). */
  #closedEnd = Number.NEGATIVE_INFINITY;
  #updated = false;
  #lastEmit = Number.NEGATIVE_INFINITY;
  #onClose: ((view: WindowView) => void) | undefined;
  #onUpdate: ((view: WindowView) => void) | undefined;

  constructor(options: SlidingWindowOptions = {}) {
    const slotMs = options.slotMs ?? 1000;
    const allowedLatenessMs = options.allowedLatenessMs ?? 0;
    this.windowSlots = positiveInteger("SlidingWindow", "windowSlots", options.windowSlots ?? 300);
    this.emitMs = options.emitMs ?? 1000;
    this.clock = new EventClock({ slotMs, allowedLatenessMs, idleMs: options.idleMs });
    // The newest slot is at most ceil(lateness / slot) + 1 after the first open one.
    const openSlotsMax = Math.ceil(allowedLatenessMs / slotMs) + 2;
    const ring = { windowSlots: this.windowSlots, openSlotsMax };
    this.counters = new CounterRing({ ...ring, metrics: options.metrics ?? 1 });
    this.keyed = Array.from(
      { length: options.dimensions ?? 1 },
      () => new KeyedRing({ ...ring, slotKeysMax: options.slotKeysMax, keysMax: options.keysMax }),
    );
    this.#onClose = options.onClose;
    this.#onUpdate = options.onUpdate;
  }

  /** Late events so far. */
  get late(): number {
    return this.#late;
  }

  /**
   * Takes an event at `time` (seen at wall-clock `now`), closing the windows its time
   * passes.
   *
   * @returns The event's slot, to count it with {@linkcode count} and {@linkcode key}; or -1
   * when it is late (counted in {@linkcode late}, nothing else).
   */
  accept(time: number, now: number): number {
    if (!this.clock.observe(time, now)) {
      this.#late++;
      this.#updated = true;
      return -1;
    }
    const end = this.clock.closedEnd;
    if (end > this.#closedEnd) this.#closeTo(end);
    this.#updated = true;
    return Math.floor(time / this.clock.slotMs);
  }

  /** Adds `delta` to counter `metric` of an accepted event's slot. */
  count(slot: number, metric: number, delta: number): void {
    this.counters.add(slot, metric, delta);
  }

  /** Adds `delta` to `key` in dimension `dim` at an accepted event's slot. */
  key(slot: number, dim: number, key: string, delta: number): void {
    (this.keyed[dim] as KeyedRing).add(slot, key, delta);
  }

  /** Adds `delta` to a pinned key id (`keyed[dim].pin(key)`): the allocation-free path. */
  keyId(slot: number, dim: number, id: number, delta: number): void {
    (this.keyed[dim] as KeyedRing).addId(slot, id, delta);
  }

  /**
   * Lets time pass: advances an idle clock (closing windows) and emits the live view if it
   * changed and `emitMs` passed since the last one.
   */
  tick(now: number): void {
    if (this.clock.advanceIdle(now)) {
      this.#closeTo(this.clock.closedEnd);
      this.#updated = true;
    }
    if (!this.#updated || now - this.#lastEmit < this.emitMs) return;
    this.#updated = false;
    this.#lastEmit = now;
    if (this.#onUpdate === undefined || !Number.isFinite(this.clock.maxTime)) return;
    const end = this.clock.slotOf(this.clock.maxTime) + 1;
    this.#onUpdate(this.#view("update", { start: end - this.windowSlots, end }));
  }

  #closeTo(end: number): void {
    if (!Number.isFinite(end)) return;
    this.#closedEnd = end;
    const from = this.counters.closedEnd;
    if (Number.isNaN(from)) {
      // The first event starts the rings: nothing was counted before it, so nothing closes.
      this.counters.closeThrough(end);
      for (const ring of this.keyed) ring.closeThrough(end);
      return;
    }
    const stepLast = Math.min(end, from + this.windowSlots + this.counters.openSlotsMax);
    for (let slot = from + 1; slot <= stepLast; slot++) this.#closeAll(slot);
    if (end > stepLast) this.#closeAll(end);
  }

  #closeAll(end: number): void {
    this.counters.closeThrough(end);
    for (const ring of this.keyed) ring.closeThrough(end);
    this.#onClose?.(this.#view("final", { start: end - this.windowSlots, end }));
  }

  #view(kind: WindowView["kind"], range: SlotRange): WindowView {
    const counters = this.counters;
    const keyed = this.keyed;
    const late = this.#late;
    const exact = kind === "final" ? undefined : range;
    return {
      kind,
      range,
      late,
      sum: (metric) => counters.sum(metric, exact),
      topK: (dim, k) => (keyed[dim] as KeyedRing).topK(k, exact),
      count: (dim, key) => (keyed[dim] as KeyedRing).count(key, exact),
      overflow: (dim) => (keyed[dim] as KeyedRing).overflowIn(exact),
    };
  }
}
