/**
 * The lake: where raw RSVPs land and where the ETL reads them. An object store (a local
 * directory or an S3 bucket prefix, both with whole, atomic object writes) and the raw archive's
 * key layout and line format (`raw/YYYY/MM/DD/HH/<name>`, one message per line), and the
 * runner that executes the `sql/` files through DuckDB.
 *
 * @module
 */
export * from "./duckdb_runner.ts";
export * from "./object_store.ts";
export * from "./object_store_local.ts";
export * from "./object_store_s3.ts";
export * from "./raw_keys.ts";
