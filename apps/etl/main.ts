/**
 * `make etl`: the raw lake -> 3NF Parquet -> PostgreSQL, with checks. See docs/etl.md.
 */
import {
  awsConfig,
  databaseConfig,
  etlConfig,
  exitOnConfigError,
} from "../../modules/config/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { runEtl } from "./etl.ts";
import { formatSummary, summaryFields } from "./summary.ts";

const HELP = `Usage: bun apps/etl/main.ts [options]        (make etl)

Reads every raw object under LAKE_DIR/raw/ (after copying new ones from S3 when ETL_SOURCE=s3),
stages only the objects it has not seen, rebuilds the 3NF tables as Parquet under LAKE_DIR/3nf/,
loads them into PostgreSQL in one transaction, and ends with a summary: rows per table, orphan
foreign keys, rsvps rows = distinct rsvp_ids, and Parquet vs PostgreSQL checksums. Exit status:
0 when every check holds, 1 when one fails or the run fails, 2 for a bad setting.

Options:
  --no-postgres       stop after the Parquet files (same as ETL_POSTGRES=0)
  -h, --help          this text

Environment (defaults in brackets):
  LAKE_DIR [data/lake]            raw/ is read, 3nf/ and etl/ (state, rejects) are written
  ETL_SOURCE [local]              local | s3 (sync s3://S3_BUCKET/S3_PREFIXraw/ first)
  S3_BUCKET, S3_PREFIX []         the archive's bucket and key prefix (ETL_SOURCE=s3)
  AWS_REGION, AWS_ENDPOINT_URL    standard AWS SDK settings
  ETL_S3_SYNC_CONCURRENCY [8]     objects downloaded at once
  ETL_POSTGRES [1]                load PostgreSQL (DATABASE_URL)
  ETL_PG_SCHEMA [public]          the schema holding the 3NF tables
  ETL_PG_BULK_ROWS [10000]        changed rows from which a table is bulk-loaded (indexes and
                                  foreign keys rebuilt; the table is locked until commit)
  ETL_STAGE_BATCH_BYTES [536870912]  raw bytes parsed per staging batch (memory: ~3.5x)
  ETL_DUCKDB_MEMORY_LIMIT [4GB]   DuckDB spills to disk past this
  ETL_DUCKDB_THREADS [0]          0 = one per core
`;

const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) {
  process.stdout.write(HELP);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== "--no-postgres");
if (unknown.length > 0) {
  console.error(`Unknown option ${unknown[0]}; see --help`);
  process.exit(2);
}

const { etl, database, aws } = exitOnConfigError(() => ({
  etl: etlConfig(),
  database: databaseConfig(),
  aws: awsConfig(),
}));
if (args.includes("--no-postgres")) etl.postgres = false;

const log = createLogger("etl");
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(130);
    log.warn("stopping: interrupting the running stage (again to force)", { signal });
    controller.abort(new Error(`stopped by ${signal}`));
  });
}

log.info("etl started", {
  lakeDir: etl.lakeDir,
  source: etl.source,
  postgres: etl.postgres,
  schema: etl.pgSchema,
});
try {
  const summary = await runEtl(etl, { log, database, aws, signal: controller.signal });
  log.info("etl summary", summaryFields(summary));
  process.stdout.write(`${formatSummary(summary)}\n`);
  process.exit(summary.ok ? 0 : 1);
} catch (error) {
  log.error("etl failed", { error });
  process.exit(controller.signal.aborted ? 130 : 1);
}
