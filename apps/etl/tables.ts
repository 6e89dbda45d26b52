/**
 * The 3NF tables, parents before children: the order the PostgreSQL load inserts in (and the
 * reverse of the order it deletes in). The columns of each come from its Parquet file.
 */
export const TABLES = [
  "topics",
  "groups",
  "group_topics",
  "members",
  "venues",
  "events",
  "rsvps",
] as const;

/** One of {@linkcode TABLES}. */
export type TableName = (typeof TABLES)[number];

/** A table's rows and order-independent checksum, as `sql/etl/10_checksums.sql` computes them. */
export interface TableChecksum {
  rows: number;
  checksum: string;
}

/** One named check with its value and, for checks that must hold, the value it must have. */
export interface CheckResult {
  name: string;
  value: number;
  expected: number | undefined;
  ok: boolean;
}
