#!/usr/bin/env bun
/**
 * make reset: topics, consumer offsets and derived data back to empty, after a confirmation.
 * Deletes and re-creates the project's topics (with their configured partitions), deletes the
 * consumer groups that had offsets on them, and empties the lake directory.
 *
 *   bun scripts/reset.ts [--yes]
 */
import { rmSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { TABLES } from "../apps/etl/tables.ts";
import {
  archiveConfig,
  awsConfig,
  databaseConfig,
  etlConfig,
  exitOnConfigError,
  kafkaConfig,
  pathsConfig,
} from "../modules/config/mod.ts";
import { createKafka, ensureTopics, projectTopics } from "../modules/kafka/mod.ts";
import { RAW_ROOT, S3ObjectStore } from "../modules/lake/mod.ts";
import { connect } from "../modules/pg/mod.ts";

const HELP = `Usage: bun scripts/reset.ts [--yes]        (make reset)

Back to empty: deletes and re-creates the topics TOPIC_RAW, TOPIC_DLQ, TOPIC_STATS, deletes every
consumer group with offsets on them, deletes LAKE_DIR (raw archive, ETL state, 3NF Parquet),
empties the 3NF tables in PostgreSQL (DATABASE_URL, schema ETL_PG_SCHEMA) when it is reachable,
and, when ARCHIVE_SINK=s3 or ETL_SOURCE=s3, deletes the raw objects under s3://S3_BUCKET/S3_PREFIX.
Asks for confirmation unless --yes (or RESET_CONFIRM=yes) is given.`;

async function confirmed(what: string): Promise<boolean> {
  if (process.argv.includes("--yes") || process.env.RESET_CONFIRM === "yes") return true;
  if (!process.stdin.isTTY) {
    console.error(
      "reset: refusing without a terminal to confirm; pass --yes (make reset RESET_CONFIRM=yes)",
    );
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${what}\nType 'reset' to continue: `);
  rl.close();
  return answer.trim() === "reset";
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(HELP);
    return;
  }
  const kafka = exitOnConfigError(() => kafkaConfig());
  const paths = exitOnConfigError(() => pathsConfig());
  const topics = projectTopics(kafka).map((topic) => topic.name);
  const what = `This deletes topics ${topics.join(", ")} on ${kafka.brokers.join(",")}, their consumer groups' offsets, ${paths.lakeDir}, the rows of the 3NF tables in PostgreSQL, and in S3 mode the raw objects in S3.`;
  if (!(await confirmed(what))) {
    console.error("reset: nothing changed");
    process.exit(1);
  }
  const client = createKafka(kafka, { clientSuffix: "reset" });
  const admin = client.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    const { groups } = await admin.listGroups();
    const owners: string[] = [];
    for (const { groupId } of groups) {
      const offsets = await admin.fetchOffsets({ groupId, topics: present });
      if (offsets.some(({ partitions }) => partitions.some((p) => Number(p.offset) >= 0)))
        owners.push(groupId);
    }
    if (owners.length > 0) await admin.deleteGroups(owners);
    console.log(
      `reset: deleted ${owners.length} consumer group(s)${owners.length ? `: ${owners.join(", ")}` : ""}`,
    );
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
    console.log(`reset: deleted topic(s) ${present.join(", ") || "(none existed)"}`);
  } finally {
    await admin.disconnect();
  }
  // Topic deletion completes asynchronously on the broker; retry creation until it goes through.
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(client, projectTopics(kafka), kafka.replicationFactor);
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
      await Bun.sleep(500);
    }
  }
  console.log(`reset: re-created ${topics.join(", ")} (empty)`);
  rmSync(paths.lakeDir, { recursive: true, force: true });
  console.log(`reset: removed ${paths.lakeDir}`);
  await emptyPostgres();
  await emptyS3Raw();
}

/** Truncates the 3NF tables that exist; an unreachable database is reported, not fatal. */
async function emptyPostgres(): Promise<void> {
  const { pgSchema } = exitOnConfigError(() => etlConfig());
  const sql = connect(
    exitOnConfigError(() => databaseConfig()),
    { connectionsMax: 1 },
  );
  try {
    const present = await sql<{ name: string }[]>`
      select table_name as name from information_schema.tables
      where table_schema = ${pgSchema} and table_name in ${sql([...TABLES])}`;
    if (present.length > 0) {
      await sql`truncate ${sql(present.map(({ name }) => `${pgSchema}.${name}`))}`;
    }
    console.log(`reset: emptied ${present.length} PostgreSQL table(s) in schema ${pgSchema}`);
  } catch (error) {
    console.log(`reset: PostgreSQL skipped (${(error as Error).message})`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Deletes the raw archive in S3 when the archive or the ETL uses it. */
async function emptyS3Raw(): Promise<void> {
  const archive = exitOnConfigError(() => archiveConfig());
  const etl = exitOnConfigError(() => etlConfig());
  if (archive.sink !== "s3" && etl.source !== "s3") return;
  const bucket = archive.s3Bucket ?? etl.s3Bucket;
  if (bucket === undefined) return;
  const store = new S3ObjectStore({ bucket, prefix: archive.s3Prefix, aws: awsConfig() });
  let deleted = 0;
  for await (const object of store.list(RAW_ROOT)) {
    await store.delete(object.key);
    deleted++;
  }
  console.log(`reset: deleted ${deleted} raw object(s) under ${store.location}${RAW_ROOT}`);
}

await main();
