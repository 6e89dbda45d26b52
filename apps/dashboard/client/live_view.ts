/**
 * The live data as the browser holds it: the snapshot, then each update merged in (series by
 * slot time, geo points appended and bounded), with the time each panel last changed.
 */
import type { GeoPoint } from "../../../modules/stats/mod.ts";
import type {
  LiveLatest,
  LivePoint,
  LiveSettings,
  LiveSnapshot,
  LiveUpdate,
} from "../live_state.ts";
import type { PipelineHealth } from "../pipeline_health.ts";

/** The live panels, by their id in the page. */
export const LIVE_PANELS = ["rate", "top-events", "totals", "topics", "map"] as const;
export type LivePanel = (typeof LIVE_PANELS)[number] | "health";

/** The browser-side state of the live view. Time is the browser's clock unless named. */
export class LiveView {
  settings: LiveSettings = {
    historyMs: 600_000,
    staleMs: 15_000,
    heartbeatMs: 5_000,
    geoPointsMax: 500,
  };
  /** Server clock minus browser clock. */
  clockOffsetMs = 0;
  series = new Map<number, LivePoint>();
  latest: LiveLatest | null = null;
  geo: GeoPoint[] = [];
  health: PipelineHealth | null = null;
  /** When the server last received a stats message (server clock), 0 = never. */
  lastStatsAt = 0;
  /** When each panel's data last changed (browser clock). */
  updatedAt = new Map<LivePanel, number>();
  /** Panels to redraw. */
  dirty = new Set<LivePanel>();

  /** Replaces everything with a snapshot. */
  applySnapshot(snapshot: LiveSnapshot): void {
    this.settings = snapshot.settings;
    this.clockOffsetMs = snapshot.now - Date.now();
    this.series = new Map(snapshot.series.map((p) => [p.t, p]));
    this.latest = snapshot.latest;
    this.geo = snapshot.geo.slice(-snapshot.settings.geoPointsMax);
    this.health = snapshot.health;
    const receivedAt = snapshot.latest?.receivedAt;
    if (receivedAt !== undefined) {
      this.lastStatsAt = receivedAt;
      for (const panel of LIVE_PANELS) this.updatedAt.set(panel, this.toLocal(receivedAt));
    }
    if (snapshot.health !== null) this.updatedAt.set("health", this.toLocal(snapshot.health.at));
    for (const panel of [...LIVE_PANELS, "health" as const]) this.dirty.add(panel);
  }

  /** Merges one update; marks only the panels whose data changed. */
  applyUpdate(update: LiveUpdate): void {
    const now = Date.now();
    const previous = this.latest;
    this.latest = update.latest;
    this.lastStatsAt = update.latest.receivedAt;
    if (update.series.length > 0) {
      for (const point of update.series) this.series.set(point.t, point);
      this.#prune(update.latest.at);
      this.#touch("rate", now);
    }
    if (update.geo.length > 0) {
      this.geo.push(...update.geo);
      if (this.geo.length > this.settings.geoPointsMax)
        this.geo.splice(0, this.geo.length - this.settings.geoPointsMax);
      this.#touch("map", now);
    }
    const changed = (pick: (l: LiveLatest) => unknown) =>
      previous === null || JSON.stringify(pick(previous)) !== JSON.stringify(pick(update.latest));
    if (changed((l) => l.topEvents)) this.#touch("top-events", now);
    if (changed((l) => l.totals)) this.#touch("totals", now);
    if (changed((l) => l.topTopics)) this.#touch("topics", now);
  }

  /** Records a health poll. */
  applyHealth(health: PipelineHealth): void {
    this.health = health;
    this.#touch("health", Date.now());
  }

  /** The series in time order. */
  points(): LivePoint[] {
    return [...this.series.values()].sort((a, b) => a.t - b.t);
  }

  /** A server-clock time on the browser's clock. */
  toLocal(serverTime: number): number {
    return serverTime - this.clockOffsetMs;
  }

  /** Milliseconds since the server last received stats, or Infinity when it never did. */
  statsAgeMs(): number {
    return this.lastStatsAt === 0
      ? Number.POSITIVE_INFINITY
      : Date.now() + this.clockOffsetMs - this.lastStatsAt;
  }

  #touch(panel: LivePanel, now: number): void {
    this.updatedAt.set(panel, now);
    this.dirty.add(panel);
  }

  #prune(newestAt: number): void {
    const horizon = newestAt - this.settings.historyMs;
    for (const t of this.series.keys()) {
      if (t < horizon) this.series.delete(t);
    }
  }
}
