/**
 * A bounded reservoir of recent samples (latencies) with exact quantiles over what it holds.
 * The newest `capacity` samples are kept in a ring; older ones are overwritten.
 */
export class SampleRing {
  #samples: Float64Array;
  #count = 0;
  #cursor = 0;

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create SampleRing as capacity must be a positive integer: current value is ${capacity}`,
      );
    }
    this.#samples = new Float64Array(capacity);
  }

  /** Records one sample. */
  add(value: number): void {
    this.#samples[this.#cursor] = value;
    this.#cursor = (this.#cursor + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
  }

  /** How many samples are held. */
  get size(): number {
    return this.#count;
  }

  /** The `q` quantile (0..1) by nearest rank, or `NaN` when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const sorted = this.#samples.slice(0, this.#count).sort();
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil(q * this.#count) - 1));
    return sorted[rank] ?? Number.NaN;
  }
}
