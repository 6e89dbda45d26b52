import type { ReplayRate } from "../../modules/config/mod.ts";

/**
 * The largest pause realtime replay takes between two records, in original-time ms. The
 * recordings are several captures concatenated, with days between them; a demo should not
 * stall for days at a seam.
 */
export const REALTIME_GAP_MS_MAX = 5_000;

/**
 * Decides when each record is due, as ms after the session started. Pure: the caller owns the
 * clock. Realtime follows the original mtime gaps (times `speed`), measured against the latest
 * mtime seen so far, since real mtimes go backwards often; out-of-order records are due at once.
 */
export class Pacer {
  readonly #rate: ReplayRate;
  #count = 0;
  #dueMs = 0;
  #latestMtime: number | undefined;

  constructor(rate: ReplayRate) {
    this.#rate = rate;
  }

  /** The due time of the next record, whose mtime is `mtime`. */
  next(mtime: number | undefined): number {
    const rate = this.#rate;
    const index = this.#count++;
    if (rate.kind === "max") return 0;
    if (rate.kind === "fixed") return (index * 1000) / rate.perSecond;
    if (mtime !== undefined) {
      if (this.#latestMtime !== undefined && mtime > this.#latestMtime) {
        this.#dueMs += Math.min(mtime - this.#latestMtime, REALTIME_GAP_MS_MAX) / rate.speed;
      }
      if (this.#latestMtime === undefined || mtime > this.#latestMtime) this.#latestMtime = mtime;
    }
    return this.#dueMs;
  }
}

/**
 * Shifts mtimes so that a replay looks live: each pass over the source starts at `nowMs`, and
 * the offsets between records are kept (a stale record stays as stale as it was).
 */
export class Restamper {
  #pass = -1;
  #deltaMs = 0;

  /** The text with its `mtime` shifted; `nowMs` is read only at the first record of a pass. */
  restamp(text: string, mtime: number | undefined, pass: number, nowMs: number): string {
    if (mtime === undefined) return text;
    if (pass !== this.#pass) {
      this.#pass = pass;
      this.#deltaMs = nowMs - mtime;
    }
    return text.replace(/"mtime"(\s*):(\s*)\d{1,16}/, `"mtime"$1:$2${mtime + this.#deltaMs}`);
  }
}
