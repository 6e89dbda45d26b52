/**
 * The pipeline-health panel's data: end offsets of the project topics, consumer lag per group
 * and partition, messages in/out per second per stage and the dead-letter count. Rates come
 * from the stages' own `/metrics` when scraped, else from offsets between two polls.
 */
import type { Admin } from "kafkajs";
import type { ScrapeTarget } from "../../modules/config/mod.ts";
import { scrapeCounters } from "./scrape.ts";

/** One partition of a topic. */
export interface TopicPartitionHealth {
  partition: number;
  /** First offset still held. */
  low: number;
  /** Next offset to be written (the "last offset" + 1). */
  high: number;
}

/** One project topic. */
export interface TopicHealth {
  name: string;
  role: "raw" | "dlq" | "stats";
  partitions: TopicPartitionHealth[];
  /** Messages currently held (sum of high - low). */
  messages: number;
  /** Messages written per second since the previous poll, or null on the first. */
  perSecond: number | null;
}

/** One partition of a consumer group on one topic. */
export interface GroupPartitionHealth {
  topic: string;
  partition: number;
  /** Committed offset, or null when the group never committed on this partition. */
  committed: number | null;
  /**
   * The group's read position when its commit metadata records one (JSON `{"pos": n}`), else
   * null. The stream commits the offset a restart must re-read from, a window behind what it
   * has read, and keeps its position there; lag is measured from the position when known.
   */
  position: number | null;
  high: number;
  /** `high - position`, else `high - committed`, or the whole partition with no commit. */
  lag: number;
}

/** One consumer group. */
export interface GroupHealth {
  groupId: string;
  partitions: GroupPartitionHealth[];
  lag: number;
  /** Offsets committed per second since the previous poll (the group's consumption rate). */
  perSecond: number | null;
}

/** Messages in/out per second of one pipeline stage. */
export interface StageHealth {
  stage: string;
  inPerSecond: number | null;
  outPerSecond: number | null;
  /** Where the figures come from. */
  source: "metrics" | "offsets";
}

/** The pipeline-health panel, as sent to browsers (`event: health`). */
export interface PipelineHealth {
  /** The dashboard's clock when polled. */
  at: number;
  topics: TopicHealth[];
  groups: GroupHealth[];
  stages: StageHealth[];
  /** Messages in the dead-letter topic. */
  deadLetters: number;
  /** What could not be read this time, one line each (never a stack trace). */
  errors: string[];
}

/** What the monitor needs to know about the project. */
export interface PipelineHealthOptions {
  topics: { raw: string; dlq: string; stats: string };
  lagGroups: readonly string[];
  scrapeTargets: readonly ScrapeTarget[];
  /** The dashboard's own counters: stats consumed and SSE events sent, both monotonic. */
  dashboardCounters: () => { in: number; out: number };
  /** @default {fetch} */
  fetch?: typeof fetch;
}

/** Monotonic totals at one poll. */
export interface Sample {
  at: number;
  totals: Map<string, number>;
}

/** Polls Kafka (and optional `/metrics` endpoints) and computes rates between polls. */
export class PipelineHealthMonitor {
  #admin: Admin;
  #options: PipelineHealthOptions;
  #previous: Sample | undefined;

  constructor(admin: Admin, options: PipelineHealthOptions) {
    this.#admin = admin;
    this.#options = options;
  }

  /** One poll. Never throws: what failed is listed in `errors`. */
  async poll(now: number): Promise<PipelineHealth> {
    const errors: string[] = [];
    const totals = new Map<string, number>();
    const topics = await this.#topics(errors);
    for (const topic of topics) totals.set(`topic:${topic.role}`, sumHigh(topic.partitions));
    const groups = await this.#groups(topics, errors);
    for (const group of groups) {
      totals.set(`group:${group.groupId}`, sumCommitted(group.partitions));
    }
    const own = this.#options.dashboardCounters();
    totals.set("dashboard:in", own.in);
    totals.set("dashboard:out", own.out);
    const scraped = await this.#scrape(totals, errors);
    const sample: Sample = { at: now, totals };
    const previous = this.#previous;
    const rate = (key: string) => perSecond(previous, sample, key);
    this.#previous = sample;
    for (const topic of topics) topic.perSecond = rate(`topic:${topic.role}`);
    for (const group of groups) group.perSecond = rate(`group:${group.groupId}`);
    const stages = stagesFrom(topics, groups, rate, scraped);
    const dlq = topics.find((topic) => topic.role === "dlq");
    return { at: now, topics, groups, stages, deadLetters: dlq?.messages ?? 0, errors };
  }

  async #topics(errors: string[]): Promise<TopicHealth[]> {
    const out: TopicHealth[] = [];
    for (const role of ["raw", "dlq", "stats"] as const) {
      const name = this.#options.topics[role];
      try {
        const offsets = await this.#admin.fetchTopicOffsets(name);
        const partitions = offsets
          .map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }))
          .sort((a, b) => a.partition - b.partition);
        const messages = partitions.reduce((sum, p) => sum + (p.high - p.low), 0);
        out.push({ name, role, partitions, messages, perSecond: null });
      } catch (error) {
        errors.push(`topic ${name}: ${oneLine(error)}`);
      }
    }
    return out;
  }

  async #groups(topics: readonly TopicHealth[], errors: string[]): Promise<GroupHealth[]> {
    const ends = new Map(topics.map((topic) => [topic.name, topic.partitions]));
    const out: GroupHealth[] = [];
    for (const groupId of this.#options.lagGroups) {
      try {
        // Every topic the group committed on (the stream's merge stage reads an internal one).
        const committed = await this.#admin.fetchOffsets({ groupId });
        const partitions: GroupPartitionHealth[] = [];
        for (const { topic, partitions: parts } of committed) {
          if (!parts.some(({ offset }) => Number(offset) >= 0)) continue;
          const topicEnds = await this.#topicEnds(topic, ends);
          for (const end of topicEnds) {
            const part = parts.find((p) => p.partition === end.partition);
            const offset = Number(part?.offset ?? -1);
            const committedOffset = offset >= 0 ? offset : null;
            const position = positionFrom(part?.metadata, committedOffset);
            const lag = end.high - (position ?? committedOffset ?? end.low);
            partitions.push({
              topic,
              partition: end.partition,
              committed: committedOffset,
              position,
              high: end.high,
              lag,
            });
          }
        }
        const lag = partitions.reduce((sum, p) => sum + p.lag, 0);
        out.push({ groupId, partitions, lag, perSecond: null });
      } catch (error) {
        errors.push(`group ${groupId}: ${oneLine(error)}`);
      }
    }
    return out;
  }

  /** A topic's partition ends, fetched once per poll. */
  async #topicEnds(
    topic: string,
    cache: Map<string, TopicPartitionHealth[]>,
  ): Promise<TopicPartitionHealth[]> {
    const known = cache.get(topic);
    if (known !== undefined) return known;
    const offsets = await this.#admin.fetchTopicOffsets(topic);
    const partitions = offsets
      .map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }))
      .sort((a, b) => a.partition - b.partition);
    cache.set(topic, partitions);
    return partitions;
  }

  async #scrape(totals: Map<string, number>, errors: string[]): Promise<Set<string>> {
    const scraped = new Set<string>();
    for (const target of this.#options.scrapeTargets) {
      try {
        const counters = await scrapeCounters(target.url, this.#options.fetch ?? fetch);
        totals.set(`scrape:${target.stage}:in`, counters.in);
        totals.set(`scrape:${target.stage}:out`, counters.out);
        scraped.add(target.stage);
      } catch (error) {
        errors.push(`metrics of ${target.stage} (${target.url}): ${oneLine(error)}`);
      }
    }
    return scraped;
  }
}

/** A rate between two samples, or null when either lacks the key or no time passed. */
export function perSecond(
  previous: Sample | undefined,
  current: Sample,
  key: string,
): number | null {
  const before = previous?.totals.get(key);
  const after = current.totals.get(key);
  if (previous === undefined || before === undefined || after === undefined) return null;
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0) return null;
  // A counter that went down restarted (a process restart, a topic recreated): no rate.
  return after < before ? null : (after - before) / seconds;
}

function stagesFrom(
  topics: readonly TopicHealth[],
  groups: readonly GroupHealth[],
  rate: (key: string) => number | null,
  scraped: ReadonlySet<string>,
): StageHealth[] {
  const topicRate = (role: TopicHealth["role"]) =>
    topics.find((topic) => topic.role === role)?.perSecond ?? null;
  const sum = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);
  const stages: StageHealth[] = [
    {
      stage: "ingest",
      inPerSecond: null,
      outPerSecond: sum(topicRate("raw"), topicRate("dlq")),
      source: "offsets",
    },
  ];
  for (const group of groups) {
    const stage = group.groupId.replace(/^meetup-/, "");
    // The stream's merge stage (group `<STREAM_GROUP>-merge`) is what writes the stats topic.
    const out = stage.endsWith("-merge") ? topicRate("stats") : null;
    stages.push({ stage, inPerSecond: group.perSecond, outPerSecond: out, source: "offsets" });
  }
  stages.push({
    stage: "dashboard",
    inPerSecond: rate("dashboard:in"),
    outPerSecond: rate("dashboard:out"),
    source: "metrics",
  });
  for (const stage of scraped) {
    const figures: StageHealth = {
      stage,
      inPerSecond: rate(`scrape:${stage}:in`),
      outPerSecond: rate(`scrape:${stage}:out`),
      source: "metrics",
    };
    const index = stages.findIndex((entry) => entry.stage === stage);
    if (index >= 0) stages[index] = figures;
    else stages.push(figures);
  }
  return stages;
}

function sumHigh(partitions: readonly TopicPartitionHealth[]): number {
  return partitions.reduce((sum, p) => sum + p.high, 0);
}

function sumCommitted(partitions: readonly GroupPartitionHealth[]): number {
  return partitions.reduce((sum, p) => sum + (p.position ?? p.committed ?? 0), 0);
}

/** The read position a commit's metadata records (`{"pos": n}`, n at or after the commit). */
export function positionFrom(
  metadata: string | null | undefined,
  committed: number | null,
): number | null {
  if (!metadata || committed === null || metadata.length > 4096) return null;
  try {
    const pos = (JSON.parse(metadata) as { pos?: unknown }).pos;
    return Number.isSafeInteger(pos) && (pos as number) >= committed ? (pos as number) : null;
  } catch {
    return null;
  }
}

/** An error as one short line. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.slice(0, 300) ?? "unknown error";
}
