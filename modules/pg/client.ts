import postgres from "postgres";
import type { DatabaseConfig } from "../config/mod.ts";

/** A `postgres` (porsager) connection pool. */
export type Sql = postgres.Sql;

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** Pool size. @default {4} */
  connectionsMax?: number;
  /** Seconds before an idle connection closes. @default {30} */
  idleTimeoutSeconds?: number;
}

/**
 * Opens a connection pool to `DATABASE_URL`. Server notices are not printed.
 *
 * @example
 * ```ts
 * const sql = connect(databaseConfig());
 * const [{ now }] = await sql`select now()`;
 * await sql.end();
 * ```
 */
export function connect(config: DatabaseConfig, options: ConnectOptions = {}): Sql {
  return postgres(config.url, {
    max: options.connectionsMax ?? 4,
    idle_timeout: options.idleTimeoutSeconds ?? 30,
    connect_timeout: 10,
    onnotice: () => {},
  });
}
