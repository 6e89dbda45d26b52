import { positiveInteger } from "./_slots.ts";

/** Options for {@linkcode EventClock}. */
export interface EventClockOptions {
  /** Width of one slot in ms. */
  slotMs: number;
  /** How far behind the latest time an event may be and still count. @default {0} */
  allowedLatenessMs?: number;
  /**
   * After this much wall-clock time without events, {@linkcode EventClock.advanceIdle} moves
   * the clock on by the wall-clock time elapsed since the last event.
   * @default {Infinity} (never)
   */
  idleMs?: number;
}

/**
 * The time of a stream as seen through its events: the latest time seen, the watermark (that
 * time minus the allowed lateness), and the slots the watermark has closed. It never reads a
 * clock: event times and the wall clock (`now`) are both passed in.
 *
 * An event is late when its slot is already closed (`slot < closedEnd`); late events do not
 * move the clock. When the source goes quiet, {@linkcode advanceIdle} keeps time moving at
 * wall-clock speed from the last event, so windows still close and counts decay to zero
 * instead of freezing until the next event arrives.
 *
 * @example
 * ```ts
 * const clock = new EventClock({ slotMs: 1000, allowedLatenessMs: 2000, idleMs: 5000 });
 * clock.observe(10_500, now); // true: accepted
 * clock.closedEnd; // 8: slots before 8 are closed (watermark 8500)
 * clock.observe(7_999, now); // false: late
 * ```
 */
export class EventClock {
  readonly slotMs: number;
  readonly allowedLatenessMs: number;
  readonly idleMs: number;
  #maxTime = Number.NEGATIVE_INFINITY;
  #anchorTime = Number.NEGATIVE_INFINITY;
  #anchorWall = Number.NEGATIVE_INFINITY;
  #closedEnd = Number.NEGATIVE_INFINITY;

  constructor(options: EventClockOptions) {
    this.slotMs = positiveInteger("EventClock", "slotMs", options.slotMs);
    this.allowedLatenessMs = options.allowedLatenessMs ?? 0;
    this.idleMs = options.idleMs ?? Number.POSITIVE_INFINITY;
    if (!(this.allowedLatenessMs >= 0) || !Number.isFinite(this.allowedLatenessMs)) {
      throw new RangeError(
        `Cannot create EventClock as 'allowedLatenessMs' must be a finite number >= 0: current value is ${this.allowedLatenessMs}`,
      );
    }
    if (!(this.idleMs > 0)) {
      throw new RangeError(
        `Cannot create EventClock as 'idleMs' must be > 0: current value is ${this.idleMs}`,
      );
    }
  }

  /** The latest time seen (or reached by idling); `-Infinity` before any. */
  get maxTime(): number {
    return this.#maxTime;
  }

  /** `maxTime - allowedLatenessMs`. */
  get watermark(): number {
    return this.#maxTime - this.allowedLatenessMs;
  }

  /** Slots before this one are closed; `-Infinity` before any event. */
  get closedEnd(): number {
    return this.#closedEnd;
  }

  /** The slot of a time. */
  slotOf(time: number): number {
    return Math.floor(time / this.slotMs);
  }

  /** Whether an event at `time` would be late now. */
  isLate(time: number): boolean {
    return Math.floor(time / this.slotMs) < this.#closedEnd;
  }

  #setMax(time: number): void {
    this.#maxTime = time;
    // Cached: it is read for every event, and changes only when the latest time does.
    this.#closedEnd = Math.floor((time - this.allowedLatenessMs) / this.slotMs);
  }

  /**
   * Records an event at `time`, seen at wall-clock `now`.
   *
   * @returns `false` when the event is late (it must not be counted).
   */
  observe(time: number, now: number): boolean {
    if (this.isLate(time)) {
      this.#anchorWall = now;
      this.#anchorTime = this.#maxTime;
      return false;
    }
    if (time > this.#maxTime) this.#setMax(time);
    this.#anchorTime = this.#maxTime;
    this.#anchorWall = now;
    return true;
  }

  /**
   * Moves the clock on while the source is quiet: once `idleMs` passed since the last event,
   * the time becomes that event's time plus the wall-clock time elapsed since.
   *
   * @returns Whether the clock moved.
   */
  advanceIdle(now: number): boolean {
    if (now - this.#anchorWall < this.idleMs) return false;
    return this.advanceTo(this.#anchorTime + (now - this.#anchorWall));
  }

  /** Moves the clock to `time` if that is later (a restored checkpoint, or a followed clock). */
  advanceTo(time: number): boolean {
    if (!(time > this.#maxTime)) return false;
    this.#setMax(time);
    return true;
  }

  /** The clock's reading at wall-clock `now`: `maxTime`, or further on when idle. */
  estimate(now: number): number {
    if (now - this.#anchorWall < this.idleMs) return this.#maxTime;
    return Math.max(this.#maxTime, this.#anchorTime + (now - this.#anchorWall));
  }
}
