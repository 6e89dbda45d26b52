import type { EtlSummary } from "./etl.ts";
import { type CheckResult, TABLES } from "./tables.ts";

function sum(checks: readonly CheckResult[], prefix: string): number {
  return checks.filter((check) => check.name.startsWith(prefix)).reduce((n, c) => n + c.value, 0);
}

function check(checks: readonly CheckResult[], name: string): CheckResult | undefined {
  return checks.find((c) => c.name === name);
}

/** The end-of-run summary for people: counts per table, the checks, and the verdict. */
export function formatSummary(summary: EtlSummary): string {
  const { stage, checks, postgres } = summary;
  const lines = [`ETL summary for ${summary.lakeDir}`];
  if (summary.sync !== undefined) {
    lines.push(`  s3 sync: ${summary.sync.listed} objects listed, ${summary.sync.copied} copied`);
  }
  const linesTotal = check(checks, "raw: lines")?.value ?? 0;
  const rejected = check(checks, "raw: lines rejected")?.value ?? 0;
  lines.push(
    `  raw: ${stage.objectsTotal} objects (${stage.objectsStaged} staged now), ${linesTotal} lines, ${rejected} rejected${rejected > 0 ? ` -> ${summary.rejectsFile}` : ""}`,
  );
  lines.push(
    `  ${"table".padEnd(14)}${"parquet".padStart(10)}${"postgres".padStart(10)}  checksum`,
  );
  for (const table of TABLES) {
    const parquet = summary.parquet.get(table);
    const pg = postgres?.checksums.get(table);
    const verdict =
      pg === undefined ? "-" : summary.mismatched.includes(table) ? "DIFFERENT" : "equal";
    lines.push(
      `  ${table.padEnd(14)}${String(parquet?.rows ?? 0).padStart(10)}${String(pg?.rows ?? "-").padStart(10)}  ${verdict}`,
    );
  }
  const orphansPg =
    postgres === undefined ? "" : `, ${sum(postgres.checks, "orphans:")} in PostgreSQL`;
  lines.push(`  orphan foreign keys: ${sum(checks, "orphans:")} in Parquet${orphansPg}`);
  lines.push(`  duplicate primary keys: ${sum(checks, "duplicate keys:")}`);
  const ids = check(checks, "raw: distinct rsvp_ids = rsvps rows");
  lines.push(`  rsvps rows = distinct rsvp_ids in raw: ${ids?.expected} = ${ids?.value}`);
  if (postgres !== undefined) {
    const seconds = postgres.load.durationMs / 1000;
    const rate = Math.round(postgres.load.rowsCopied / Math.max(seconds, 0.001));
    lines.push(
      `  postgres: schema ${postgres.schema} v${postgres.migrate.version}, ${postgres.load.rowsCopied} rows loaded in ${seconds.toFixed(1)} s (${rate} rows/s)`,
    );
  }
  const failed = [...checks, ...(postgres?.checks ?? [])].filter((c) => !c.ok).map((c) => c.name);
  const problems = [...failed, ...summary.mismatched.map((table) => `checksum: ${table}`)];
  const verdict = summary.ok ? "OK" : `FAILED (${problems.join("; ")})`;
  lines.push(`  result: ${verdict} in ${(summary.durationMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

/** The same summary as plain JSON fields, for the final log line. */
export function summaryFields(summary: EtlSummary): Record<string, unknown> {
  return {
    ok: summary.ok,
    durationMs: Math.round(summary.durationMs),
    objects: summary.stage.objectsTotal,
    objectsStaged: summary.stage.objectsStaged,
    linesRejected: check(summary.checks, "raw: lines rejected")?.value ?? 0,
    parquetRows: Object.fromEntries([...summary.parquet].map(([t, c]) => [t, c.rows])),
    postgresRows:
      summary.postgres === undefined
        ? undefined
        : Object.fromEntries([...summary.postgres.checksums].map(([t, c]) => [t, c.rows])),
    orphans: sum(summary.checks, "orphans:"),
    mismatched: summary.mismatched,
  };
}
