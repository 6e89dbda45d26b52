import { type Env, port, url } from "./_env.ts";

/** PostgreSQL connection settings. */
export interface DatabaseConfig {
  /** `DATABASE_URL`, default the project-local cluster on 127.0.0.1:`PG_PORT`, database `meetup`. */
  url: string;
}

/** Reads {@linkcode DatabaseConfig} from the environment. */
export function databaseConfig(env: Env = process.env): DatabaseConfig {
  const pgPort = port(env, "PG_PORT", 5433);
  const fallback = `postgres://postgres@127.0.0.1:${pgPort}/meetup`;
  return { url: url(env, "DATABASE_URL", fallback, ["postgres:", "postgresql:"]) };
}
