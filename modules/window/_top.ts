/**
 * Bounded selection of the best `n` (value, key) pairs: higher value first, then key in
 * ascending order, so ties rank the same on every run and every instance.
 */
export class TopSelector {
  #n: number;
  #values: number[] = [];
  #keys: string[] = [];

  constructor(n: number) {
    this.#n = n;
  }

  /** Offers one pair; it is kept if it is among the best `n` seen so far. */
  offer(value: number, key: string): void {
    if (this.#n === 0) return;
    const values = this.#values;
    const keys = this.#keys;
    if (values.length < this.#n) {
      values.push(value);
      keys.push(key);
      this.#up(values.length - 1);
      return;
    }
    // The root is the worst kept pair: replace it only with a better one.
    if (!better(value, key, values[0] as number, keys[0] as string)) return;
    values[0] = value;
    keys[0] = key;
    this.#down(0);
  }

  /** The kept pairs, best first. */
  sorted(): { key: string; count: number }[] {
    const out = this.#values.map((count, i) => ({ key: this.#keys[i] as string, count }));
    return out.sort((a, b) => (better(a.count, a.key, b.count, b.key) ? -1 : 1));
  }

  // A min-heap where "min" is the worst pair, so the root is the one to evict.
  #worse(i: number, j: number): boolean {
    return better(
      this.#values[j] as number,
      this.#keys[j] as string,
      this.#values[i] as number,
      this.#keys[i] as string,
    );
  }

  #swap(i: number, j: number): void {
    const values = this.#values;
    const keys = this.#keys;
    [values[i], values[j]] = [values[j] as number, values[i] as number];
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#worse(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const size = this.#values.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < size && this.#worse(left, worst)) worst = left;
      if (right < size && this.#worse(right, worst)) worst = right;
      if (worst === i) return;
      this.#swap(i, worst);
      i = worst;
    }
  }
}

/** Whether (value a, key a) ranks before (value b, key b). */
export function better(aValue: number, aKey: string, bValue: number, bKey: string): boolean {
  return aValue > bValue || (aValue === bValue && aKey < bKey);
}
