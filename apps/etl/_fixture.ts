/**
 * Test support: a raw lake built from the recorded RSVP files, and the 3NF tables that lake must
 * give, computed here in TypeScript straight from the raw lines (with the RSVP parser of
 * modules/rsvp), independently of the SQL under test.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pathsConfig } from "../../modules/config/mod.ts";
import { parse, type Rsvp } from "../../modules/rsvp/mod.ts";

/** One raw object: its key under the lake root and its lines (without newlines). */
export interface LakeObject {
  key: string;
  lines: string[];
}

function recordedLines(file: string): string[] {
  const text = readFileSync(join(pathsConfig().rsvpDataDir, file), "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function chunks(lines: string[], size: number): string[][] {
  const out: string[][] = [];
  for (let start = 0; start < lines.length; start += size)
    out.push(lines.slice(start, start + size));
  return out;
}

function archiveName(partition: number, first: number, last: number): string {
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  return `meetup.rsvps.raw+p${pad(partition, 3)}+${pad(first, 12)}-${pad(last, 12)}.jsonl`;
}

/**
 * The recorded files as a lake, laid out as the archive and Firehose write it: 2017 in two
 * archive objects of one partition, 2018 in three of another, 2020 as one Firehose object.
 */
export function recordedObjects(): LakeObject[] {
  const objects: LakeObject[] = [];
  let offset = 0;
  for (const lines of chunks(recordedLines("meetup-2017-03-19.jsonl"), 700)) {
    const name = archiveName(0, offset, offset + lines.length - 1);
    objects.push({ key: `raw/2017/03/19/12/${name}`, lines });
    offset += lines.length;
  }
  offset = 0;
  for (const lines of chunks(recordedLines("meetup-2018-05.jsonl"), 462)) {
    const name = archiveName(1, offset, offset + lines.length - 1);
    objects.push({ key: `raw/2018/05/19/20/${name}`, lines });
    offset += lines.length;
  }
  objects.push({
    key: "raw/2020/10/17/03/meetup-rsvps-1-2020-10-17-03-00-00-0b8f4c1e",
    lines: recordedLines("meetup-2020-10.jsonl"),
  });
  return objects;
}

/** Writes objects under `lakeDir` (one line per message, each ending in a newline). */
export async function writeLake(lakeDir: string, objects: readonly LakeObject[]): Promise<void> {
  for (const { key, lines } of objects) {
    const path = join(lakeDir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, lines.map((line) => `${line}\n`).join(""));
  }
}

/** A row as compared in tests: column -> value (ids as strings, times as epoch ms). */
export type Row = Record<string, string | number | boolean | null>;

/** Every 3NF table keyed by its primary key (joined with `|` when composite). */
export interface ExpectedLake {
  lines: number;
  rejected: number;
  distinctRsvpIds: number;
  tables: Record<string, Map<string, Row>>;
}

interface Version {
  rsvp: Rsvp;
  key: string;
  line: number;
}

/** Later wins: higher mtime, then later object key, then later line. */
function later(a: Version, b: Version): boolean {
  if (a.rsvp.mtime !== b.rsvp.mtime) return a.rsvp.mtime > b.rsvp.mtime;
  if (a.key !== b.key) return a.key > b.key;
  return a.line > b.line;
}

function latestBy(versions: readonly Version[], id: (v: Version) => string | undefined) {
  const latest = new Map<string, Version>();
  for (const version of versions) {
    const key = id(version);
    if (key === undefined) continue;
    const current = latest.get(key);
    if (current === undefined || later(version, current)) latest.set(key, version);
  }
  return latest;
}

function position(lat: number, lon: number): [number | null, number | null] {
  return lat === 0 && lon === 0 ? [null, null] : [lat, lon];
}

/** The tables the ETL must build from `objects`, derived from the raw lines alone. */
export function expectedLake(objects: readonly LakeObject[]): ExpectedLake {
  const versions: Version[] = [];
  let lines = 0;
  let rejected = 0;
  for (const { key, lines: texts } of objects) {
    texts.forEach((text, index) => {
      if (text.trim() === "") return;
      lines++;
      const result = parse(text);
      if (result.ok) versions.push({ rsvp: result.rsvp, key, line: index + 1 });
      else rejected++;
    });
  }
  const rsvps = latestBy(versions, (v) => String(v.rsvp.rsvp_id));
  const groups = latestBy(versions, (v) => String(v.rsvp.group.group_id));
  const tables: ExpectedLake["tables"] = {
    rsvps: mapValues(rsvps, ({ rsvp }) => ({
      rsvp_id: String(rsvp.rsvp_id),
      event_id: rsvp.event.event_id,
      member_id: String(rsvp.member.member_id),
      is_yes: rsvp.response === "yes",
      guests: rsvp.guests,
      visibility: rsvp.visibility,
      modified_at: rsvp.mtime,
    })),
    members: mapValues(
      latestBy(versions, (v) => String(v.rsvp.member.member_id)),
      ({ rsvp }) => ({
        member_id: String(rsvp.member.member_id),
        member_name: rsvp.member.member_name,
        photo_url: rsvp.member.photo ?? null,
      }),
    ),
    groups: mapValues(groups, ({ rsvp: { group } }) => {
      const [lat, lon] = position(group.group_lat, group.group_lon);
      return {
        group_id: String(group.group_id),
        group_name: group.group_name,
        group_urlname: group.group_urlname,
        city: group.group_city,
        state: group.group_state ?? null,
        country: group.group_country,
        lat,
        lon,
      };
    }),
    venues: mapValues(
      latestBy(versions, (v) => (v.rsvp.venue ? String(v.rsvp.venue.venue_id) : undefined)),
      ({ rsvp }) => {
        const venue = rsvp.venue!;
        const [lat, lon] = position(venue.lat, venue.lon);
        return { venue_id: String(venue.venue_id), venue_name: venue.venue_name, lat, lon };
      },
    ),
    events: mapValues(
      latestBy(versions, (v) => v.rsvp.event.event_id),
      ({ rsvp }) => ({
        event_id: rsvp.event.event_id,
        group_id: String(rsvp.group.group_id),
        venue_id: rsvp.venue ? String(rsvp.venue.venue_id) : null,
        event_name: rsvp.event.event_name,
        event_url: rsvp.event.event_url,
        starts_at: rsvp.event.time ?? null,
      }),
    ),
    ...groupTopics([...groups.values()]),
  };
  return { lines, rejected, distinctRsvpIds: rsvps.size, tables };
}

/** topics and group_topics, both from each group's latest topic list. */
function groupTopics(latestGroups: readonly Version[]): Record<string, Map<string, Row>> {
  const pairs = new Map<string, Row>();
  const mentions: Version[] = [];
  const names = new Map<Version, Map<string, string>>();
  for (const version of latestGroups) {
    const { group } = version.rsvp;
    const byKey = new Map<string, string>();
    for (const topic of group.group_topics) {
      pairs.set(`${group.group_id}|${topic.urlkey}`, {
        group_id: String(group.group_id),
        topic_urlkey: topic.urlkey,
      });
      // A urlkey listed twice in one message: the later entry would win in no defined way, and
      // the recorded data has none; the first is kept here.
      if (!byKey.has(topic.urlkey)) byKey.set(topic.urlkey, topic.topic_name);
    }
    names.set(version, byKey);
    mentions.push(version);
  }
  const topics = new Map<string, Row>();
  const winner = new Map<string, Version>();
  for (const version of mentions) {
    for (const [urlkey, name] of names.get(version) ?? []) {
      const current = winner.get(urlkey);
      if (current === undefined || later(version, current)) {
        winner.set(urlkey, version);
        topics.set(urlkey, { topic_urlkey: urlkey, topic_name: name });
      }
    }
  }
  return { topics, group_topics: pairs };
}

function mapValues<T>(map: Map<string, T>, f: (value: T) => Row): Map<string, Row> {
  return new Map([...map].map(([key, value]) => [key, f(value)]));
}

/** SQL that reads a 3NF Parquet file in the same shape as {@linkcode ExpectedLake.tables}. */
export const PARQUET_ROWS_SQL: Record<string, { key: string[]; select: string }> = {
  rsvps: {
    key: ["rsvp_id"],
    select:
      "rsvp_id::varchar as rsvp_id, event_id, member_id::varchar as member_id, is_yes, guests, visibility, epoch_ms(modified_at) as modified_at",
  },
  members: {
    key: ["member_id"],
    select: "member_id::varchar as member_id, member_name, photo_url",
  },
  groups: {
    key: ["group_id"],
    select:
      "group_id::varchar as group_id, group_name, group_urlname, city, state, country, lat::double as lat, lon::double as lon",
  },
  venues: {
    key: ["venue_id"],
    select: "venue_id::varchar as venue_id, venue_name, lat::double as lat, lon::double as lon",
  },
  events: {
    key: ["event_id"],
    select:
      "event_id, group_id::varchar as group_id, venue_id::varchar as venue_id, event_name, event_url, epoch_ms(starts_at) as starts_at",
  },
  topics: { key: ["topic_urlkey"], select: "topic_urlkey, topic_name" },
  group_topics: {
    key: ["group_id", "topic_urlkey"],
    select: "group_id::varchar as group_id, topic_urlkey",
  },
};
