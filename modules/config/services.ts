import { join } from "node:path";
import { type Env, port, str } from "./_env.ts";
import { type PathsConfig, pathsConfig } from "./paths.ts";

/** The services `make up` runs on this machine, and where their data lives. */
export interface ServicesConfig {
  kafka: {
    /** `KAFKA_PORT`, default 9092: the local broker's client listener on 127.0.0.1. */
    port: number;
    /** `KAFKA_CONTROLLER_PORT`, default 9093: the local KRaft controller listener. */
    controllerPort: number;
    /** `.data/kafka`: log dirs and metadata. */
    dataDir: string;
    /** `.cache/kafka/libs`: the broker jars resolved by Maven. */
    libsDir: string;
  };
  postgres: {
    /** `PG_PORT`, default 5433 (not 5432, so a system cluster can coexist). */
    port: number;
    /** `.data/pg`: the project-local cluster, owned by the `postgres` user. */
    dataDir: string;
    /** `PG_BIN_DIR`, default `/usr/lib/postgresql/15/bin`. */
    binDir: string;
  };
  moto: {
    /** `MOTO_PORT`, default 5055: the S3 and Firehose endpoint for tests. */
    port: number;
    dataDir: string;
  };
  /** `.data/run`: pid files and service logs. */
  runDir: string;
  paths: PathsConfig;
}

/** Reads {@linkcode ServicesConfig} from the environment. */
export function servicesConfig(env: Env = process.env): ServicesConfig {
  const paths = pathsConfig(env);
  return {
    kafka: {
      port: port(env, "KAFKA_PORT", 9092),
      controllerPort: port(env, "KAFKA_CONTROLLER_PORT", 9093),
      dataDir: join(paths.dataDir, "kafka"),
      libsDir: join(paths.cacheDir, "kafka", "libs"),
    },
    postgres: {
      port: port(env, "PG_PORT", 5433),
      dataDir: join(paths.dataDir, "pg"),
      binDir: str(env, "PG_BIN_DIR", "/usr/lib/postgresql/15/bin"),
    },
    moto: {
      port: port(env, "MOTO_PORT", 5055),
      dataDir: join(paths.dataDir, "moto"),
    },
    runDir: join(paths.dataDir, "run"),
    paths,
  };
}
