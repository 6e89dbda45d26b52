/**
 * The live view the dashboard serves: the stats messages folded into a bounded state (a
 * per-slot series over the history span, the latest window results, recent geo points), and
 * the small deltas sent to browsers after each message.
 */
import type { GeoPoint, Stats } from "../../modules/stats/mod.ts";
import type { PipelineHealth } from "./pipeline_health.ts";

/** One slot of the live chart: new RSVPs per slot, split by response. */
export interface LivePoint {
  t: number;
  yes: number;
  no: number;
}

/** The latest window results, as sent to browsers (everything but the series and geo). */
export type LiveLatest = Omit<Stats, "series" | "geo" | "v"> & {
  /** The dashboard's wall clock when the message arrived. */
  receivedAt: number;
};

/** What browsers receive after each applied stats message (`event: update`). */
export interface LiveUpdate {
  latest: LiveLatest;
  /** Series points that are new or changed. */
  series: LivePoint[];
  /** Geo points not sent before. */
  geo: GeoPoint[];
}

/** Settings browsers need to render the live view. */
export interface LiveSettings {
  historyMs: number;
  staleMs: number;
  heartbeatMs: number;
  geoPointsMax: number;
}

/** The whole state (`event: state`): what a new client starts from. */
export interface LiveSnapshot {
  settings: LiveSettings;
  /** The server's clock when the snapshot was made (ages are computed against it). */
  now: number;
  latest: LiveLatest | null;
  series: LivePoint[];
  geo: GeoPoint[];
  health: PipelineHealth | null;
}

/** Options for {@linkcode LiveState}. */
export interface LiveStateOptions extends LiveSettings {
  /** Series points kept at most, whatever the slot width. @default {20000} */
  seriesPointsMax?: number;
}

const geoKey = (point: GeoPoint) =>
  `${point.t}|${point.lat}|${point.lon}|${point.response}|${point.eventUrl}`;

/** Folds stats messages into the live view. Pure: time is passed in. */
export class LiveState {
  #options: LiveStateOptions;
  #series = new Map<number, LivePoint>();
  #geo: GeoPoint[] = [];
  #geoKeys = new Set<string>();
  #latest: LiveLatest | null = null;
  #health: PipelineHealth | null = null;
  #newestAt = 0;

  constructor(options: LiveStateOptions) {
    this.#options = options;
  }

  /** The dashboard's clock time of the last applied message, or 0. */
  get lastReceivedAt(): number {
    return this.#latest?.receivedAt ?? 0;
  }

  /**
   * Applies one validated stats message.
   *
   * Series slots are overwritten by every message that still covers them (a snapshot's open
   * slots are provisional; a later snapshot or the window's final corrects them). The top
   * lists and counts follow the newest `at` only, so a late final never rolls the bars back.
   *
   * @returns The delta for browsers, or `undefined` when the message changed nothing.
   */
  apply(stats: Stats, receivedAt: number): LiveUpdate | undefined {
    const horizon = Math.max(this.#newestAt, stats.at) - this.#options.historyMs;
    if (stats.at < horizon) return undefined;
    const series = this.#mergeSeries(stats.series, horizon);
    const geo = this.#mergeGeo(stats.geo);
    const isNewest = stats.at >= this.#newestAt;
    if (isNewest) {
      this.#newestAt = stats.at;
      const { series: _series, geo: _geo, v: _v, ...rest } = stats;
      this.#latest = { ...rest, receivedAt };
    }
    this.#prune();
    if (!isNewest && series.length === 0 && geo.length === 0) return undefined;
    return { latest: this.#latest ?? { ...stats, receivedAt }, series, geo };
  }

  /** Records the latest pipeline health (sent as its own event). */
  setHealth(health: PipelineHealth): void {
    this.#health = health;
  }

  /** The whole state for a new client. */
  snapshot(now: number): LiveSnapshot {
    const series = [...this.#series.values()].sort((a, b) => a.t - b.t);
    const { historyMs, staleMs, heartbeatMs, geoPointsMax } = this.#options;
    return {
      settings: { historyMs, staleMs, heartbeatMs, geoPointsMax },
      now,
      latest: this.#latest,
      series,
      geo: [...this.#geo],
      health: this.#health,
    };
  }

  #mergeSeries(points: readonly LivePoint[], horizon: number): LivePoint[] {
    const changed: LivePoint[] = [];
    for (const { t, yes, no } of points) {
      if (t < horizon) continue;
      const known = this.#series.get(t);
      if (known !== undefined && known.yes === yes && known.no === no) continue;
      const point = { t, yes, no };
      this.#series.set(t, point);
      changed.push(point);
    }
    return changed;
  }

  #mergeGeo(points: readonly GeoPoint[]): GeoPoint[] {
    const fresh: GeoPoint[] = [];
    for (const point of points) {
      const key = geoKey(point);
      if (this.#geoKeys.has(key)) continue;
      this.#geoKeys.add(key);
      this.#geo.push(point);
      fresh.push(point);
    }
    const excess = this.#geo.length - this.#options.geoPointsMax;
    if (excess > 0) {
      for (const gone of this.#geo.splice(0, excess)) this.#geoKeys.delete(geoKey(gone));
    }
    return fresh.slice(-this.#options.geoPointsMax);
  }

  #prune(): void {
    const horizon = this.#newestAt - this.#options.historyMs;
    for (const t of this.#series.keys()) {
      if (t < horizon) this.#series.delete(t);
    }
    const pointsMax = this.#options.seriesPointsMax ?? 20_000;
    if (this.#series.size > pointsMax) {
      const oldest = [...this.#series.keys()].sort((a, b) => a - b);
      for (const t of oldest.slice(0, this.#series.size - pointsMax)) this.#series.delete(t);
    }
  }
}
