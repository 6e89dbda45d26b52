import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ServicesConfig } from "../../modules/config/mod.ts";
import { assertPortFree, run, ServiceError, tail } from "./_process.ts";

/**
 * The project-local PostgreSQL cluster. `initdb` and `pg_ctl` refuse to run as root, so as root
 * they run as the `postgres` user that Debian's package creates, with `.data/pg` owned by it.
 */
function binDir(config: ServicesConfig): string {
  if (existsSync(join(config.postgres.binDir, "pg_ctl"))) return config.postgres.binDir;
  // Fall back to the newest server Debian installed, so a PostgreSQL 16 machine works too.
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(dir, "pg_ctl"))) return dir;
  }
  throw new ServiceError(
    `postgres: no pg_ctl in PG_BIN_DIR=${config.postgres.binDir}; run make setup (installs Debian's postgresql)`,
  );
}

function asOwner(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ["runuser", ["-u", "postgres", "--", command, ...args]];
}

function pgCtl(config: ServicesConfig, args: string[]): { status: number; out: string } {
  const [command, argv] = asOwner(join(binDir(config), "pg_ctl"), [
    "-D",
    config.postgres.dataDir,
    ...args,
  ]);
  const result = spawnSync(command, argv, { encoding: "utf8" });
  return { status: result.status ?? 1, out: `${result.stdout}${result.stderr}`.trim() };
}

/** Whether the cluster's postmaster is running. */
export function postgresRunning(config: ServicesConfig): boolean {
  return (
    existsSync(join(config.postgres.dataDir, "PG_VERSION")) &&
    pgCtl(config, ["status"]).status === 0
  );
}

/** Status line for the local cluster. */
export function postgresStatus(config: ServicesConfig): string {
  return postgresRunning(config)
    ? `postgres  running  127.0.0.1:${config.postgres.port}  data ${config.postgres.dataDir}`
    : "postgres  stopped";
}

/** Creates the cluster on first use, starts it, waits for it and creates database `meetup`. */
export async function postgresUp(config: ServicesConfig): Promise<string> {
  const { dataDir, port } = config.postgres;
  const bin = binDir(config);
  if (postgresRunning(config)) return "postgres already up";
  await assertPortFree(port, "postgres");
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0) chownPostgres(dataDir);
    const [command, argv] = asOwner(join(bin, "initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    run(command, argv, "postgres initdb");
  }
  const log = join(dataDir, "server.log");
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=on`;
  const started = pgCtl(config, ["-l", log, "-o", options, "-w", "-t", "60", "start"]);
  if (started.status !== 0) {
    throw new ServiceError(
      `postgres failed to start: ${started.out.split("\n").pop()} ${tail(log, 3)}`,
    );
  }
  const psql = join(bin, "psql");
  const exists = run(
    psql,
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-tAc",
      "select 1 from pg_database where datname = 'meetup'",
    ],
    "postgres check database",
  );
  if (exists.trim() !== "1") {
    run(
      psql,
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-c", "create database meetup"],
      "postgres create database",
    );
  }
  return `postgres up on 127.0.0.1:${port} (database meetup)`;
}

function chownPostgres(dir: string): void {
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (id.status !== 0)
    throw new ServiceError(
      "postgres: no 'postgres' user; run make setup (installs Debian's postgresql)",
    );
  chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
}

/** Stops the cluster (fast shutdown), keeping its data. */
export function postgresDown(config: ServicesConfig): string {
  if (!postgresRunning(config)) return "postgres was not running";
  const stopped = pgCtl(config, ["-m", "fast", "-w", "-t", "60", "stop"]);
  if (stopped.status !== 0) throw new ServiceError(`postgres failed to stop: ${stopped.out}`);
  return "postgres stopped";
}
