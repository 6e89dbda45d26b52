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
import { exitOnConfigError, kafkaConfig, pathsConfig } from "../modules/config/mod.ts";
import { createKafka, ensureTopics, projectTopics } from "../modules/kafka/mod.ts";

const HELP = `Usage: bun scripts/reset.ts [--yes]        (make reset)

Back to empty: deletes and re-creates the topics TOPIC_RAW, TOPIC_DLQ, TOPIC_STATS, deletes every
consumer group with offsets on them, and deletes LAKE_DIR (raw archive and 3NF Parquet).
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
  const what = `This deletes topics ${topics.join(", ")} on ${kafka.brokers.join(",")}, their consumer groups' offsets, and ${paths.lakeDir}.`;
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
}

await main();
