import type { TimeBasis } from "../../modules/config/mod.ts";
import { EventClock } from "../../modules/window/mod.ts";
import { InternedKeys } from "./interned_keys.ts";
import { extractRsvp, type Profile, ProfileCache } from "./profile.ts";
import { bump, COUNT, type GeoTuple, SlotBuilder, type SlotData } from "./slot_data.ts";

/** Options for {@linkcode PartitionWorker}. */
export interface PartitionWorkerOptions {
  partition: number;
  timeBasis: TimeBasis;
  slotMs: number;
  windowSlots: number;
  allowedLatenessMs: number;
  slotKeysMax: number;
  geoPoints: number;
}

/** Where a worker starts: the first offset it reads and what a checkpoint said. */
export interface WorkerStart {
  /** The first offset that will be read. */
  offset: number;
  /** Offsets below this were processed before a restart: rebuild state, emit nothing. */
  replayUntil?: number;
  /** The clock reached before the restart (it may have idled past the last record). */
  maxTime?: number;
}

/** The raw message's parts the worker uses. */
export interface RawRecord {
  offset: number;
  value: Uint8Array;
  /** The `received_at` header, parsed; `undefined` when absent or not a number. */
  receivedAt: number | undefined;
  /** The Kafka message timestamp, the fallback ingest time. */
  timestamp: number;
}

/** A closed or live slot of one partition, ready to send. */
export interface SlotPart {
  slot: number;
  data: SlotData;
}

/** What the worker knows about its position. */
export interface WorkerProgress {
  partition: number;
  nextOffset: number;
  /** Slots before this are closed and sent; `null` before any record. */
  closedEnd: number | null;
  maxTime: number | null;
}

/** The last placement of an RSVP: where it counts, with which response and keys. */
interface Placement {
  slot: number;
  yes: boolean;
  profile: Profile;
}

/** Counters since the worker started (for logs and metrics). */
export interface WorkerCounters {
  records: number;
  late: number;
  duplicates: number;
  flips: number;
  rejected: number;
}

/**
 * Stage one of the stream, for one raw partition: parses records, assigns them to slots by
 * `received_at` (or `mtime`), drops late ones into a counter, deduplicates by `rsvp_id` within
 * the window and turns each closed slot into one deterministic {@linkcode SlotData}.
 *
 * A window counts each `rsvp_id` once, as last seen: a repeat moves the RSVP from its earlier
 * slot to the repeat's slot (with the repeat's response and keys). The move is sent with the
 * repeat's slot, so the merge stage applies it only to windows that end after the repeat.
 * Every output is a pure function of the partition's records in offset order, which is what
 * makes one instance and three, or a run and a restarted run, give the same results.
 */
export class PartitionWorker {
  readonly partition: number;
  readonly clock: EventClock;
  readonly counters: WorkerCounters = {
    records: 0,
    late: 0,
    duplicates: 0,
    flips: 0,
    rejected: 0,
  };
  #options: PartitionWorkerOptions;
  #open = new Map<number, SlotBuilder>();
  #live = new Map<number, SlotBuilder>();
  #closed: SlotPart[] = [];
  #placements = new Map<number, Placement>();
  #placedIn = new Map<number, number[]>();
  #firstOffsets = new Map<number, number>();
  #nextOffset: number;
  #replayUntil: number;
  #restoreMaxTime: number | undefined;
  #closedThrough = Number.NEGATIVE_INFINITY;
  #profiles = new ProfileCache();
  /** Keys, interned once per profile; they carry the label last sent for each key. */
  #interned = new InternedKeys();
  /**
   * Whether live (provisional) deltas are kept. The Kafka side turns them off while the
   * partition is far behind: snapshots of a catch-up are stale anyway, and keeping them
   * doubles the work per record.
   */
  live = true;

  constructor(options: PartitionWorkerOptions, start: WorkerStart) {
    this.partition = options.partition;
    this.#options = options;
    this.clock = new EventClock({
      slotMs: options.slotMs,
      allowedLatenessMs: options.allowedLatenessMs,
    });
    this.#nextOffset = start.offset;
    this.#replayUntil = start.replayUntil ?? start.offset;
    this.#restoreMaxTime = start.maxTime;
    if (this.#nextOffset >= this.#replayUntil) this.#finishReplay();
  }

  /** Frees the native cache of its profile keys; records after this take the exact path. */
  close(): void {
    this.#profiles.close();
  }

  /** Whether the worker is still re-reading records it processed before a restart. */
  get replaying(): boolean {
    return this.#nextOffset < this.#replayUntil;
  }

  /** Closed slots waiting for {@linkcode takeClosed}. */
  get closedQueued(): number {
    return this.#closed.length;
  }

  /** The next offset to read. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** Processes one raw record (offsets strictly increasing). `now` is the wall clock. */
  process(record: RawRecord, now: number): void {
    if (record.offset < this.#nextOffset) return; // a re-delivered record
    if (record.offset >= this.#replayUntil && this.replaying) this.#finishReplay();
    this.#nextOffset = record.offset + 1;
    this.counters.records++;
    const emit = record.offset >= this.#replayUntil;
    const live = emit && this.live;
    const rsvp = extractRsvp(record.value, this.#profiles);
    const ingestTime = record.receivedAt ?? record.timestamp;
    if (rsvp === undefined) {
      this.counters.rejected++;
      this.#countAtFrontier(COUNT.rejected, ingestTime, record.offset, live);
    } else {
      const time = this.#options.timeBasis === "ingest" ? ingestTime : rsvp.mtime;
      if (this.clock.observe(time, now)) {
        this.#closeTo(this.clock.closedEnd, emit);
        this.#count(rsvp.id, rsvp.yes, rsvp.profile, time, record, live);
      } else {
        this.counters.late++;
        this.#countAtFrontier(COUNT.late, time, record.offset, live);
      }
    }
    if (this.#nextOffset === this.#replayUntil) this.#finishReplay();
  }

  /** Moves the clock to `time` (idle advance) and closes the slots it passes. */
  advanceTo(time: number): void {
    if (this.replaying) return;
    if (this.clock.advanceTo(time)) this.#closeTo(this.clock.closedEnd, true);
  }

  #finishReplay(): void {
    this.#replayUntil = Math.min(this.#replayUntil, this.#nextOffset);
    const restore = this.#restoreMaxTime;
    this.#restoreMaxTime = undefined;
    // Slots the old run's idle clock had closed were sent by it: close them silently.
    if (restore !== undefined && this.clock.advanceTo(restore)) {
      this.#closeTo(this.clock.closedEnd, false);
    }
  }

  #count(
    id: number,
    yes: boolean,
    profile: Profile,
    time: number,
    r: RawRecord,
    withLive: boolean,
  ) {
    const slot = this.clock.slotOf(time);
    if (!this.#firstOffsets.has(slot)) this.#firstOffsets.set(slot, r.offset);
    const builder = this.#builder(this.#open, slot);
    const live = withLive ? this.#builder(this.#live, slot) : undefined;
    const previous = this.#placements.get(id);
    if (previous !== undefined && slot - previous.slot < this.#options.windowSlots) {
      this.#repeat(id, previous, { slot, yes, profile }, builder, live);
      return;
    }
    const point: GeoTuple | undefined = Number.isNaN(profile.lat)
      ? undefined
      : [profile.lat, profile.lon, yes ? 1 : 0, profile.eventId, time, r.offset];
    this.#countNew(builder, profile, yes, point);
    if (live !== undefined) this.#countNew(live, profile, yes, point);
    this.#place(id, { slot, yes, profile });
  }

  #countNew(b: SlotBuilder, profile: Profile, yes: boolean, point: GeoTuple | undefined): void {
    b.contribute(profile, yes, 1);
    bump(b.counts, yes ? COUNT.seriesYes : COUNT.seriesNo);
    bump(b.counts, yes ? COUNT.totalYes : COUNT.totalNo);
    if (point !== undefined) b.geo(point);
  }

  #repeat(id: number, previous: Placement, next: Placement, b: SlotBuilder, live?: SlotBuilder) {
    this.counters.duplicates++;
    const flipped = previous.yes !== next.yes;
    if (flipped) this.counters.flips++;
    for (const counts of live ? [b.counts, live.counts] : [b.counts]) {
      bump(counts, COUNT.duplicates);
      if (!flipped) continue;
      bump(counts, COUNT.flips);
      bump(counts, next.yes ? COUNT.seriesYes : COUNT.seriesNo);
      bump(counts, next.yes ? COUNT.totalYes : COUNT.totalNo);
      bump(counts, previous.yes ? COUNT.totalYes : COUNT.totalNo, -1);
    }
    if (previous.slot >= next.slot) {
      // Same slot (or, with event time, an older repeat): both changes land in one open slot.
      const target = this.#builder(this.#open, previous.slot);
      target.contribute(previous.profile, previous.yes, -1);
      target.contribute(next.profile, next.yes, 1);
      this.#placements.set(id, { ...next, slot: previous.slot });
      return;
    }
    b.remove(previous.slot, previous.profile, previous.yes);
    b.contribute(next.profile, next.yes, 1);
    this.#place(id, next);
  }

  #place(id: number, placement: Placement): void {
    this.#placements.set(id, placement);
    let ids = this.#placedIn.get(placement.slot);
    if (ids === undefined) {
      ids = [];
      this.#placedIn.set(placement.slot, ids);
    }
    ids.push(id);
  }

  #builder(map: Map<number, SlotBuilder>, slot: number): SlotBuilder {
    let builder = map.get(slot);
    if (builder === undefined) {
      builder = new SlotBuilder(this.#options, this.#interned);
      map.set(slot, builder);
    }
    return builder;
  }

  /** Counts a late or rejected record in the first open slot. */
  #countAtFrontier(index: number, time: number, offset: number, withLive: boolean): void {
    const closedEnd = this.clock.closedEnd;
    const slot = Number.isFinite(closedEnd) ? closedEnd : this.clock.slotOf(time);
    // A restart must re-read this record too, since an open slot now holds its count.
    if (!this.#firstOffsets.has(slot)) this.#firstOffsets.set(slot, offset);
    bump(this.#builder(this.#open, slot).counts, index);
    if (withLive) bump(this.#builder(this.#live, slot).counts, index);
  }

  /** Closes every open slot before `end`, queueing it (unless replaying) and pruning state. */
  #closeTo(end: number, emit: boolean): void {
    // Called for every record; the work below is only due when the watermark crossed a slot.
    if (!Number.isFinite(end) || end <= this.#closedThrough) return;
    this.#closedThrough = end;
    const closing = [...this.#open.keys()].filter((slot) => slot < end).sort((a, b) => a - b);
    for (const slot of closing) {
      const builder = this.#open.get(slot) as SlotBuilder;
      this.#open.delete(slot);
      this.#live.delete(slot);
      // Labels are filtered even when nothing is sent, so a replay rebuilds the same memory.
      const data = builder.toData({
        slot,
        resendSlots: labelResendSlots(this.#options.windowSlots),
      });
      if (emit) this.#closed.push({ slot, data });
    }
    // A placement at or before end - windowSlots can no longer match a repeat.
    const horizon = end - this.#options.windowSlots;
    for (const [slot, ids] of this.#placedIn) {
      if (slot > horizon) continue;
      for (const id of ids) {
        if (this.#placements.get(id)?.slot === slot) this.#placements.delete(id);
      }
      this.#placedIn.delete(slot);
    }
    for (const slot of this.#firstOffsets.keys()) {
      if (slot <= horizon) this.#firstOffsets.delete(slot);
    }
  }

  /** Takes the closed slots queued since the last call, oldest first. */
  takeClosed(): SlotPart[] {
    const closed = this.#closed;
    this.#closed = [];
    return closed;
  }

  /** Takes the live (provisional) deltas of open slots since the last call. */
  takeLive(): SlotPart[] {
    const live = [...this.#live]
      .sort(([a], [b]) => a - b)
      .map(([slot, builder]) => ({ slot, data: builder.toData() }));
    this.#live.clear();
    return live;
  }

  /** Where the worker stands. */
  progress(): WorkerProgress {
    const closedEnd = this.clock.closedEnd;
    const maxTime = this.clock.maxTime;
    return {
      partition: this.partition,
      nextOffset: this.#nextOffset,
      closedEnd: Number.isFinite(closedEnd) ? closedEnd : null,
      maxTime: Number.isFinite(maxTime) ? maxTime : null,
    };
  }

  /**
   * The offset to commit, and its metadata: a restart reads from the first record any open
   * slot or live placement depends on (the window start), and rebuilds up to `pos`.
   */
  checkpoint(): { offset: number; metadata: string } {
    let offset = this.#nextOffset;
    for (const first of this.#firstOffsets.values()) if (first < offset) offset = first;
    const maxTime = this.clock.maxTime;
    const metadata = JSON.stringify({
      v: 1,
      pos: this.#nextOffset,
      max: Number.isFinite(maxTime) ? maxTime : null,
    });
    return { offset, metadata };
  }
}

/**
 * How many slots a worker waits before sending an unchanged label again; the merger re-reads
 * this many slots more than its window after a restart, so it sees every label it holds.
 */
export function labelResendSlots(windowSlots: number): number {
  return Math.max(1, Math.floor(windowSlots / 2));
}

/** Reads the metadata {@linkcode PartitionWorker.checkpoint} wrote; `undefined` if foreign. */
export function readCheckpoint(
  metadata: string | null | undefined,
): { pos: number; maxTime: number | undefined } | undefined {
  if (!metadata) return undefined;
  try {
    const value = JSON.parse(metadata) as { v?: unknown; pos?: unknown; max?: unknown };
    if (value.v !== 1 || !Number.isSafeInteger(value.pos)) return undefined;
    const maxTime = typeof value.max === "number" ? value.max : undefined;
    return { pos: value.pos as number, maxTime };
  } catch {
    return undefined;
  }
}
