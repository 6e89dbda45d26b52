import type { TimeBasis } from "../../modules/config/mod.ts";
import type { Quality, Stats, Totals } from "../../modules/stats/mod.ts";
import { CounterRing, KeyedRing, type SlotRange } from "../../modules/window/mod.ts";
import { labelResendSlots } from "./partition_worker.ts";
import { COUNT, DIMENSIONS, EVENTS, type GeoTuple, type SlotData } from "./slot_data.ts";
import { buildStats, type GeoEntry, Labels } from "./stats_view.ts";

/** Options for {@linkcode Merger}. */
export interface MergerOptions {
  /** Partitions of the raw topic: every one must report before a slot closes. */
  partitions: number;
  timeBasis: TimeBasis;
  slotMs: number;
  windowSlots: number;
  /** Open slots held for live data ahead of the closed window. */
  liveSlotsMax: number;
  slotKeysMax: number;
  keysMax: number;
  geoPoints: number;
  /** Slots waiting for a lagging partition before the oldest is closed anyway. */
  pendingSlotsMax: number;
}

/** One partition's position, as its worker last reported it. */
export interface PartitionReport {
  partition: number;
  nextOffset: number;
  closedEnd: number | null;
  maxTime: number | null;
  /** Read to the end of the partition when reported. */
  caughtUp: boolean;
}

/** What a restarted merge stage restores: the running values a re-read cannot rebuild. */
export interface MergerCheckpoint {
  closedEnd: number;
  totals: Totals;
  quality: Quality;
}

/** Counters of the merge stage (for logs and metrics). */
export interface MergerCounters {
  slotsApplied: number;
  duplicateParts: number;
  staleParts: number;
  forcedCloses: number;
  finals: number;
}

/** Series counters of the ring: window yes/no (distinct RSVPs) and per-slot series yes/no. */
const WINDOW_YES = 0;
const WINDOW_NO = 1;
const SERIES_YES = 2;
const SERIES_NO = 3;

/**
 * Stage two of the stream: merges the per-partition slot data of every worker into global
 * windows. A slot closes when every partition has closed it (the global watermark is the
 * minimum over partitions); its data is then applied in partition order, so the result does
 * not depend on how partitions were spread over instances or when their messages arrived.
 * Live (provisional) slot data fills the open slots for snapshots and is replaced by the
 * exact data when the slot closes.
 *
 * Pure: no I/O, no clock. The Kafka side feeds it messages and publishes what it returns.
 */
export class Merger {
  readonly counters: MergerCounters = {
    slotsApplied: 0,
    duplicateParts: 0,
    staleParts: 0,
    forcedCloses: 0,
    finals: 0,
  };
  #o: MergerOptions;
  #reports = new Map<number, PartitionReport>();
  #pending = new Map<number, Map<number, SlotData>>();
  #slotOffsets = new Map<number, number>();
  #counters: CounterRing;
  #keyed: KeyedRing[];
  #labels = new Labels();
  #liveLabels = new Labels();
  #geo = new Map<number, GeoEntry[]>();
  #liveGeo = new Map<number, GeoEntry[]>();
  #liveCounts = new Map<number, number[]>();
  #totals: Totals = { yes: 0, no: 0 };
  #quality: Quality = { late: 0, duplicates: 0, flips: 0, rejected: 0, overflow: 0 };
  #suppressBefore = Number.NEGATIVE_INFINITY;
  #lastDataSlot = Number.NEGATIVE_INFINITY;
  #liveChanged = false;

  constructor(options: MergerOptions) {
    this.#o = options;
    const ring = { windowSlots: options.windowSlots, openSlotsMax: options.liveSlotsMax };
    this.#counters = new CounterRing({ ...ring, metrics: 4 });
    this.#keyed = DIMENSIONS.map(
      () => new KeyedRing({ ...ring, slotKeysMax: options.slotKeysMax, keysMax: options.keysMax }),
    );
  }

  /** The first slot not yet closed; `NaN` before the first close. */
  get closedEnd(): number {
    return this.#counters.closedEnd;
  }

  /** Whether live data arrived since the last snapshot. */
  get liveChanged(): boolean {
    return this.#liveChanged;
  }

  /** Slots waiting for every partition. */
  get pendingSlots(): number {
    return this.#pending.size;
  }

  /** Restores the running totals of a checkpoint; closes up to its slot stay silent. */
  restore(checkpoint: MergerCheckpoint): void {
    this.#totals = { ...checkpoint.totals };
    this.#quality = { ...checkpoint.quality };
    this.#suppressBefore = checkpoint.closedEnd;
  }

  /**
   * Takes one partition's closed slot, read at `inputOffset` of the partials topic.
   *
   * @returns `"pending"` when kept, `"duplicate"` when that partition's slot is already held
   * (a restarted worker sends the same data again), `"stale"` when the slot already closed.
   */
  addSlot(partition: number, slot: number, data: SlotData, inputOffset: number) {
    if (slot < this.closedEnd) {
      this.counters.staleParts++;
      return "stale" as const;
    }
    let parts = this.#pending.get(slot);
    if (parts === undefined) {
      parts = new Map();
      this.#pending.set(slot, parts);
    }
    if (parts.has(partition)) {
      this.counters.duplicateParts++;
      return "duplicate" as const;
    }
    parts.set(partition, data);
    const first = this.#slotOffsets.get(slot);
    if (first === undefined || inputOffset < first) this.#slotOffsets.set(slot, inputOffset);
    return "pending" as const;
  }

  /** Takes one partition's live (provisional) data for an open slot. */
  addLive(partition: number, slot: number, data: SlotData): void {
    const closedEnd = this.closedEnd;
    if (Number.isNaN(closedEnd) || slot < closedEnd || !this.#counters.accepts(slot)) return;
    this.#applyCounts(slot, data, 1);
    data.keys.forEach((entries, dim) => {
      const ring = this.#keyed[dim] as KeyedRing;
      for (const [key, delta] of entries) ring.add(slot, key, delta);
    });
    this.#liveLabels.add(data);
    this.#addGeo(this.#liveGeo, slot, partition, data.geo);
    let counts = this.#liveCounts.get(slot);
    if (counts === undefined) {
      counts = new Array(data.counts.length).fill(0);
      this.#liveCounts.set(slot, counts);
    }
    data.counts.forEach((value, i) => {
      (counts as number[])[i] = ((counts as number[])[i] ?? 0) + value;
    });
    this.#liveChanged = true;
  }

  /** Takes a worker's progress report (positions only move forward). */
  addReport(report: PartitionReport): void {
    const known = this.#reports.get(report.partition);
    const max = (a: number | null | undefined, b: number | null) =>
      a === null || a === undefined ? b : b === null ? a : Math.max(a, b);
    this.#reports.set(report.partition, {
      partition: report.partition,
      nextOffset: Math.max(known?.nextOffset ?? 0, report.nextOffset),
      closedEnd: max(known?.closedEnd, report.closedEnd),
      maxTime: max(known?.maxTime, report.maxTime),
      caughtUp: report.caughtUp,
    });
    this.#liveChanged = true;
  }

  /**
   * The global watermark in slots: the minimum closed end over partitions, ignoring those
   * that were read to the end without ever holding a record. `undefined` while a partition
   * has not reported.
   */
  globalEnd(): number | undefined {
    let end = Number.POSITIVE_INFINITY;
    for (let partition = 0; partition < this.#o.partitions; partition++) {
      const report = this.#reports.get(partition);
      if (report === undefined) return undefined;
      if (report.closedEnd === null) {
        if (report.caughtUp) continue;
        return undefined;
      }
      end = Math.min(end, report.closedEnd);
    }
    return Number.isFinite(end) ? end : undefined;
  }

  /**
   * Closes every slot all partitions have closed, calling `emit` with the final stats of
   * each window that closes (not for slots before a restored checkpoint).
   */
  close(emit: (stats: Stats) => void): void {
    let end = this.globalEnd();
    if (this.#pending.size > this.#o.pendingSlotsMax) {
      // A partition lags too far: close the oldest slots anyway, so memory stays bounded.
      const slots = [...this.#pending.keys()].sort((a, b) => a - b);
      const keepFrom = slots[slots.length - this.#o.pendingSlotsMax] as number;
      end = Math.max(end ?? Number.NEGATIVE_INFINITY, keepFrom);
      this.counters.forcedCloses++;
    }
    if (end === undefined) return;
    if (Number.isNaN(this.closedEnd)) {
      // Start at the earliest slot holding data, known once it is below the watermark, so
      // every run starts its windows at the same slot (or where a restored run left off).
      const restoredAt = Number.isFinite(this.#suppressBefore)
        ? this.#suppressBefore
        : Number.POSITIVE_INFINITY;
      const start = Math.min(this.#oldestPending() ?? Number.POSITIVE_INFINITY, restoredAt);
      if (!(start < end)) return;
      this.#closeRings(start);
    }
    while (this.closedEnd < end) {
      const slot = this.closedEnd;
      const next = this.#oldestPending();
      const idleFrom = this.#lastDataSlot + this.#o.windowSlots;
      if (slot > idleFrom && (next === undefined || next > slot + 1) && end > slot + 1) {
        // Every window from here to the next data is empty: one final stands for them all.
        const target = Math.min(next ?? end, end);
        this.#dropLive(slot, target);
        this.#closeRings(target);
        if (target > this.#suppressBefore) this.#emitFinal(emit);
        continue;
      }
      this.#closeSlot(slot, emit);
    }
  }

  #closeSlot(slot: number, emit: (stats: Stats) => void): void {
    this.#dropLive(slot, slot + 1);
    const parts = this.#pending.get(slot);
    this.#pending.delete(slot);
    const counted = slot >= this.#suppressBefore;
    if (parts !== undefined) {
      const partitions = [...parts.keys()].sort((a, b) => a - b);
      for (const partition of partitions) {
        this.#applySlot(slot, partition, parts.get(partition) as SlotData, counted);
      }
      this.counters.slotsApplied++;
    }
    if (counted) {
      for (const ring of this.#keyed) this.#quality.overflow += ring.slotOverflow(slot);
    }
    this.#closeRings(slot + 1);
    if (counted) this.#emitFinal(emit);
  }

  #applySlot(slot: number, partition: number, data: SlotData, counted: boolean): void {
    this.#applyCounts(slot, data, 1);
    data.keys.forEach((entries, dim) => {
      const ring = this.#keyed[dim] as KeyedRing;
      for (const [key, delta] of entries) ring.add(slot, key, delta);
      if (entries.length > 0) this.#lastDataSlot = slot;
    });
    for (const remove of data.removes) {
      this.#counters.add(remove.slot, WINDOW_YES, -remove.yes);
      this.#counters.add(remove.slot, WINDOW_NO, -remove.no);
      remove.keys.forEach((entries, dim) => {
        const ring = this.#keyed[dim] as KeyedRing;
        for (const [key, delta] of entries) ring.add(remove.slot, key, delta);
      });
    }
    this.#labels.add(data);
    this.#addGeo(this.#geo, slot, partition, data.geo);
    if (!counted) return;
    const c = data.counts;
    this.#totals.yes += c[COUNT.totalYes] ?? 0;
    this.#totals.no += c[COUNT.totalNo] ?? 0;
    this.#quality.late += c[COUNT.late] ?? 0;
    this.#quality.duplicates += c[COUNT.duplicates] ?? 0;
    this.#quality.flips += c[COUNT.flips] ?? 0;
    this.#quality.rejected += c[COUNT.rejected] ?? 0;
    this.#quality.overflow += c[COUNT.overflow] ?? 0;
  }

  #applyCounts(slot: number, data: SlotData, sign: 1 | -1): void {
    const c = data.counts;
    this.#counters.add(slot, WINDOW_YES, sign * (c[COUNT.windowYes] ?? 0));
    this.#counters.add(slot, WINDOW_NO, sign * (c[COUNT.windowNo] ?? 0));
    this.#counters.add(slot, SERIES_YES, sign * (c[COUNT.seriesYes] ?? 0));
    this.#counters.add(slot, SERIES_NO, sign * (c[COUNT.seriesNo] ?? 0));
  }

  #addGeo(map: Map<number, GeoEntry[]>, slot: number, partition: number, geo: GeoTuple[]) {
    if (geo.length === 0) return;
    let entries = map.get(slot);
    if (entries === undefined) {
      entries = [];
      map.set(slot, entries);
    }
    for (const point of geo) entries.push({ partition, point });
  }

  /** Drops the live data of slots `[from, to)`: exact data replaces it. */
  #dropLive(from: number, to: number): void {
    for (const slot of [...this.#liveCounts.keys(), ...this.#liveGeo.keys()]) {
      if (slot < from || slot >= to) continue;
      this.#liveCounts.delete(slot);
      this.#liveGeo.delete(slot);
    }
    const last = Math.min(to, from + this.#o.windowSlots + this.#o.liveSlotsMax);
    for (let slot = from; slot < last; slot++) {
      if (slot < this.closedEnd) continue;
      this.#counters.clearSlot(slot);
      for (const ring of this.#keyed) ring.clearSlot(slot);
    }
  }

  #closeRings(end: number): void {
    this.#counters.closeThrough(end);
    for (const ring of this.#keyed) ring.closeThrough(end);
    const start = end - this.#o.windowSlots;
    for (const slot of this.#geo.keys()) if (slot < start) this.#geo.delete(slot);
    // A restart re-reads labelResendSlots more than the window: workers send an unchanged
    // label only that often, and the merger must see one for every key it holds.
    const reread = start - labelResendSlots(this.#o.windowSlots);
    for (const slot of this.#slotOffsets.keys()) if (slot < reread) this.#slotOffsets.delete(slot);
    // Labels of keys no longer held are dropped now and then, keeping the maps bounded.
    // Geo points name their event by id, so those events keep their labels too.
    if (end % this.#o.windowSlots === 0) {
      const located = new Set<string>();
      for (const map of [this.#geo, this.#liveGeo]) {
        for (const entries of map.values()) for (const { point } of entries) located.add(point[3]);
      }
      const keep = (dim: number, key: string) =>
        (this.#keyed[dim] as KeyedRing).has(key) || (dim === EVENTS && located.has(key));
      this.#labels.prune(keep);
      this.#liveLabels.prune(keep);
    }
  }

  #oldestPending(): number | undefined {
    let oldest: number | undefined;
    for (const slot of this.#pending.keys())
      if (oldest === undefined || slot < oldest) oldest = slot;
    return oldest;
  }

  #emitFinal(emit: (stats: Stats) => void): void {
    this.counters.finals++;
    emit(this.#stats("final", this.#counters.window, false));
  }

  /** The live snapshot: the window ending after the newest slot any partition reached. */
  snapshot(): Stats | undefined {
    const closedEnd = this.closedEnd;
    if (Number.isNaN(closedEnd)) return undefined;
    let maxTime = Number.NEGATIVE_INFINITY;
    for (const report of this.#reports.values()) maxTime = Math.max(maxTime, report.maxTime ?? 0);
    const newest = Math.floor(maxTime / this.#o.slotMs) + 1;
    const end = Math.min(Math.max(newest, closedEnd), closedEnd + this.#o.liveSlotsMax);
    this.#liveChanged = false;
    return this.#stats("snapshot", { start: end - this.#o.windowSlots, end }, true);
  }

  #stats(kind: "final" | "snapshot", range: SlotRange, live: boolean): Stats {
    const totals = { ...this.#totals };
    const quality = { ...this.#quality };
    if (live) {
      for (const counts of this.#liveCounts.values()) {
        totals.yes += counts[COUNT.totalYes] ?? 0;
        totals.no += counts[COUNT.totalNo] ?? 0;
        quality.late += counts[COUNT.late] ?? 0;
        quality.duplicates += counts[COUNT.duplicates] ?? 0;
        quality.flips += counts[COUNT.flips] ?? 0;
        quality.rejected += counts[COUNT.rejected] ?? 0;
      }
    }
    const exact = live ? range : undefined;
    return buildStats({
      kind,
      range,
      slotMs: this.#o.slotMs,
      timeBasis: this.#o.timeBasis,
      geoPoints: this.#o.geoPoints,
      counts: {
        yes: this.#counters.sum(WINDOW_YES, exact),
        no: this.#counters.sum(WINDOW_NO, exact),
      },
      series: (slot) => [
        this.#counters.value(slot, SERIES_YES),
        this.#counters.value(slot, SERIES_NO),
      ],
      topK: (dim, k) => (this.#keyed[dim] as KeyedRing).topK(k, exact),
      labels: live ? [this.#labels, this.#liveLabels] : [this.#labels],
      geo: live ? [this.#geo, this.#liveGeo] : [this.#geo],
      totals,
      quality,
      reports: [...this.#reports.values()].sort((a, b) => a.partition - b.partition),
      watermark: this.closedEnd * this.#o.slotMs,
    });
  }

  /**
   * Where a restart must re-read the partials topic from (the first message holding a slot
   * still in the window or pending), and the running values to restore.
   */
  checkpoint(nextInputOffset: number): { offset: number; metadata: string } {
    let offset = nextInputOffset;
    for (const first of this.#slotOffsets.values()) if (first < offset) offset = first;
    const closedEnd = this.closedEnd;
    const metadata = JSON.stringify({
      v: 1,
      pos: nextInputOffset,
      closedEnd: Number.isNaN(closedEnd) ? null : Math.max(closedEnd, this.#suppressBefore),
      totals: this.#totals,
      quality: this.#quality,
    });
    return { offset, metadata };
  }
}

/** Reads the metadata {@linkcode Merger.checkpoint} wrote; `undefined` if absent or foreign. */
export function readMergerCheckpoint(
  metadata: string | null | undefined,
): { pos: number; checkpoint: MergerCheckpoint | undefined } | undefined {
  if (!metadata) return undefined;
  try {
    const value = JSON.parse(metadata);
    if (value?.v !== 1 || !Number.isSafeInteger(value.pos)) return undefined;
    if (!Number.isSafeInteger(value.closedEnd)) return { pos: value.pos, checkpoint: undefined };
    return {
      pos: value.pos,
      checkpoint: { closedEnd: value.closedEnd, totals: value.totals, quality: value.quality },
    };
  } catch {
    return undefined;
  }
}
