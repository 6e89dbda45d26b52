/** Shared arithmetic of the slot rings: absolute slot numbers mapped onto ring positions. */

/** A half-open range of absolute slot numbers, `[start, end)`. */
export interface SlotRange {
  start: number;
  end: number;
}

/** The ring position of an absolute slot (slots may be any safe integer). */
export function position(slot: number, capacity: number): number {
  const r = slot % capacity;
  return r < 0 ? r + capacity : r;
}

/** Checks a positive integer option, naming it in the error. */
export function positiveInteger(owner: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create ${owner} as '${name}' must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}

/** Checks that `range` lies inside the slots a ring holds, `[low, high)`. */
export function checkRange(range: SlotRange, low: number, high: number): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > end) {
    throw new RangeError(`Cannot query slots [${start}, ${end}) as the range is not ordered`);
  }
  if (start < low || end > high) {
    throw new RangeError(
      `Cannot query slots [${start}, ${end}) as the ring holds only [${low}, ${high})`,
    );
  }
}
