import { Kafka, type KafkaConfig as KafkaJsConfig, logLevel } from "kafkajs";
import type { KafkaConfig } from "../config/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";

/** Options for {@linkcode createKafka}. */
export interface CreateKafkaOptions {
  /** Appended to the configured client id, e.g. `ingest`. */
  clientSuffix?: string;
  /** Where kafkajs logs go. @default {a logger named "kafka"} */
  logger?: Logger;
  /** Overrides of kafkajs settings (retry, timeouts). */
  overrides?: Partial<KafkaJsConfig>;
}

// kafkajs 2 warns on every producer that its default partitioner changed in 2.0; ours is the
// new (Java-compatible murmur2) one on purpose, so the warning is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";

let warningFilterInstalled = false;

/**
 * kafkajs's request queue arms a timer with a delay computed from a time already past, which
 * Bun (like Node 23+) reports as a TimeoutNegativeWarning and clamps to 1 ms: harmless, but it
 * fills stderr. Every other warning is still printed.
 */
export function filterKafkajsTimerWarnings(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const others = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    if (others.length === 0) console.warn(`${warning.name}: ${warning.message}`);
    for (const listener of others) listener(warning);
  });
}

const LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * Creates a kafkajs client from the project's config, logging through the project's
 * JSON-line logger.
 *
 * @example
 * ```ts
 * const kafka = createKafka(kafkaConfig(), { clientSuffix: "ingest" });
 * ```
 */
export function createKafka(config: KafkaConfig, options: CreateKafkaOptions = {}): Kafka {
  const log = options.logger ?? createLogger("kafka");
  filterKafkajsTimerWarnings();
  return new Kafka({
    clientId: options.clientSuffix ? `${config.clientId}-${options.clientSuffix}` : config.clientId,
    brokers: config.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        log[LEVELS[level] ?? "info"](`kafkajs: ${message}`, fields);
      },
    ...options.overrides,
  });
}
