#!/usr/bin/env bun
/**
 * Starts, stops and reports the project's local services: a KRaft Kafka broker, a PostgreSQL
 * cluster and (when asked) the moto server. Ports and paths come from modules/config.
 *
 *   bun scripts/services.ts up [kafka] [postgres] [moto]
 *   bun scripts/services.ts down | status | clean
 */
import { rmSync } from "node:fs";
import { exitOnConfigError, servicesConfig } from "../modules/config/mod.ts";
import { ServiceError } from "./services/_process.ts";
import { kafkaDown, kafkaStatus, kafkaUp } from "./services/kafka.ts";
import { motoDown, motoStatus, motoUp } from "./services/moto.ts";
import { postgresDown, postgresStatus, postgresUp } from "./services/postgres.ts";

const USAGE = `Usage: bun scripts/services.ts <command> [service...]

Commands:
  up [svc...]     start services (default: kafka postgres) and wait until healthy; no-op if up
  down [svc...]   stop services, keeping their data (default: all)
  status          one line per service
  clean           stop everything and delete .data (Kafka logs, PostgreSQL cluster)

Services: kafka, postgres, moto.  Settings: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
PG_PORT (5433), MOTO_PORT (5055), MEETUP_DATA_DIR (.data), MEETUP_CACHE_DIR (.cache).`;

const SERVICES = ["kafka", "postgres", "moto"] as const;
type Service = (typeof SERVICES)[number];

function services(args: string[], fallback: Service[]): Service[] {
  if (args.length === 0) return fallback;
  for (const arg of args) {
    if (!(SERVICES as readonly string[]).includes(arg)) {
      throw new ServiceError(`unknown service '${arg}': expected one of ${SERVICES.join(", ")}`);
    }
  }
  return args as Service[];
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return;
  }
  const config = exitOnConfigError(() => servicesConfig());
  const up = { kafka: kafkaUp, postgres: postgresUp, moto: motoUp };
  const down = { kafka: kafkaDown, postgres: postgresDown, moto: motoDown };
  switch (command) {
    case "up":
      for (const name of services(rest, ["kafka", "postgres"])) console.log(await up[name](config));
      return;
    case "down":
      for (const name of services(rest, [...SERVICES]).reverse())
        console.log(await down[name](config));
      return;
    case "status":
      console.log([kafkaStatus(config), postgresStatus(config), motoStatus(config)].join("\n"));
      return;
    case "clean":
      for (const name of [...SERVICES].reverse()) console.log(await down[name](config));
      rmSync(config.paths.dataDir, { recursive: true, force: true });
      console.log(`removed ${config.paths.dataDir}`);
      return;
    default:
      throw new ServiceError(`unknown command '${command}'; see --help`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ServiceError) {
    console.error(`services: ${error.message}`);
    process.exit(1);
  }
  throw error;
});
