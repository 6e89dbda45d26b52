import { resolve } from "node:path";
import { type Env, str } from "./_env.ts";

/** The repository root: every relative path setting is resolved against it. */
export const PROJECT_ROOT: string = resolve(import.meta.dir, "../..");

/** Where the project keeps its files, all resolved to absolute paths. */
export interface PathsConfig {
  /** Service data (Kafka log dirs, the PostgreSQL cluster): `MEETUP_DATA_DIR`, default `.data`. */
  dataDir: string;
  /** Downloaded runtimes (Kafka jars): `MEETUP_CACHE_DIR`, default `.cache`. */
  cacheDir: string;
  /** The lake root (`raw/`, `3nf/`, ...): `LAKE_DIR`, default `data/lake`. */
  lakeDir: string;
  /** Reports, screenshots and benchmark output: `REPORTS_DIR`, default `data/reports`. */
  reportsDir: string;
  /** The recorded RSVP files: `RSVP_DATA_DIR`, default `../shared/data/rsvps`. */
  rsvpDataDir: string;
}

/** Reads {@linkcode PathsConfig} from the environment. */
export function pathsConfig(env: Env = process.env): PathsConfig {
  const at = (name: string, fallback: string) => resolve(PROJECT_ROOT, str(env, name, fallback));
  return {
    dataDir: at("MEETUP_DATA_DIR", ".data"),
    cacheDir: at("MEETUP_CACHE_DIR", ".cache"),
    lakeDir: at("LAKE_DIR", "data/lake"),
    reportsDir: at("REPORTS_DIR", "data/reports"),
    rsvpDataDir: at("RSVP_DATA_DIR", "../shared/data/rsvps"),
  };
}
