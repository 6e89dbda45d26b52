/**
 * A small 3NF lake for the dashboard's tests, written by the real duckdb CLI with the column
 * names of sql/etl: members, groups, topics, group_topics, events, rsvps (venues left out on
 * purpose, to exercise a missing table).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";

/** The duckdb CLI `make setup` installs. */
export const DUCKDB_CLI = join(PROJECT_ROOT, ".cache/venv/bin/duckdb");

const TABLES: Record<string, string> = {
  members:
    "select range as member_id, 'member ' || range as member_name, null::varchar as photo_url from range(5)",
  groups:
    "select range as group_id, 'group ' || range as group_name, 'g' || range as group_urlname, 'City ' || range as city, null::varchar as state, 'us' as country, 40.0 + range as lat, -70.0 - range as lon from range(3)",
  topics: "select 'topic-' || range as topic_urlkey, 'Topic ' || range as topic_name from range(4)",
  group_topics:
    "select range % 3 as group_id, 'topic-' || (range % 4) as topic_urlkey from range(6)",
  events:
    "select 'e' || range as event_id, range % 3 as group_id, null::bigint as venue_id, 'Event ' || range as event_name, 'https://example.invalid/e' || range as event_url, null::timestamptz as starts_at from range(6)",
  rsvps:
    "select range as rsvp_id, 'e' || (range % 6) as event_id, range % 5 as member_id, range % 3 <> 0 as is_yes, 0 as guests, 'public' as visibility, now() as modified_at from range(50)",
};

/** Writes `<lakeDir>/3nf/<table>.parquet` for the fixture tables. */
export function writeLakeFixture(lakeDir: string): void {
  const dir = join(lakeDir, "3nf");
  mkdirSync(dir, { recursive: true });
  const sql = Object.entries(TABLES)
    .map(
      ([table, select]) =>
        `copy (${select}) to '${join(dir, `${table}.parquet`)}' (format parquet)`,
    )
    .join(";\n");
  const result = spawnSync(DUCKDB_CLI, ["-c", sql], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`duckdb fixture failed: ${result.stderr}`);
}
