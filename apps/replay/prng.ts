/**
 * A small seeded pseudo-random generator (mulberry32), so the synthetic stream reproduces from
 * its seed. Not for cryptography.
 */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/**
 * Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s (Zipf-like), by binary
 * search over a precomputed cumulative table: O(log n) per draw, no allocation.
 */
export class Zipf {
  #cumulative: Float64Array;

  constructor(n: number, s = 1.1) {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `Cannot create Zipf as n must be a positive integer: current value is ${n}`,
      );
    }
    this.#cumulative = new Float64Array(n);
    let total = 0;
    for (let rank = 0; rank < n; rank++) {
      total += 1 / (rank + 1) ** s;
      this.#cumulative[rank] = total;
    }
    for (let rank = 0; rank < n; rank++)
      this.#cumulative[rank] = (this.#cumulative[rank] ?? 0) / total;
  }

  /** A rank in [0, n). */
  draw(prng: Prng): number {
    const u = prng.next();
    let low = 0;
    let high = this.#cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#cumulative[mid] ?? 1) < u) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
