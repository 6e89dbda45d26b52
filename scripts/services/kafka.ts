import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { ServicesConfig } from "../../modules/config/mod.ts";
import { filterKafkajsTimerWarnings } from "../../modules/kafka/mod.ts";
import {
  assertPortFree,
  run,
  runningPid,
  ServiceError,
  startDetached,
  stopPid,
  tail,
  waitFor,
} from "./_process.ts";

/** Status line for the local broker. */
export function kafkaStatus(config: ServicesConfig): string {
  const pid = runningPid(config.runDir, "kafka");
  return pid === undefined
    ? "kafka     stopped"
    : `kafka     running  pid ${pid}  127.0.0.1:${config.kafka.port}  data ${config.kafka.dataDir}`;
}

function classpath(config: ServicesConfig): string {
  const { libsDir } = config.kafka;
  if (!existsSync(libsDir) || !readdirSync(libsDir).some((file) => file.startsWith("kafka_"))) {
    throw new ServiceError(`kafka: broker jars missing in ${libsDir}; run make setup`);
  }
  return `${libsDir}/*`;
}

function writeProperties(config: ServicesConfig): string {
  const { port, controllerPort, dataDir } = config.kafka;
  const file = join(dataDir, "server.properties");
  const props = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.bootstrap.servers": `127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "log.dirs": join(dataDir, "logs"),
    // Topics are created by the project with explicit partitions, never on first use.
    "auto.create.topics.enable": "false",
    "num.partitions": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "6",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "log.retention.hours": "168",
  };
  const text = Object.entries(props)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
  writeFileSync(file, `# Written by scripts/services.ts; edits are overwritten.\n${text}\n`);
  writeFileSync(
    join(dataDir, "log4j2.yaml"),
    [
      "Configuration:",
      "  Appenders:",
      "    Console:",
      "      name: STDOUT",
      "      PatternLayout:",
      '        pattern: "[%d] %p %m (%c)%n"',
      "  Loggers:",
      "    Root:",
      "      level: WARN",
      "      AppenderRef:",
      "        - ref: STDOUT",
      "    Logger:",
      "      - name: kafka.server.KafkaRaftServer",
      "        level: INFO",
      "",
    ].join("\n"),
  );
  return file;
}

/** Formats the KRaft storage once (a new cluster id), then starts the broker and waits for it. */
export async function kafkaUp(config: ServicesConfig): Promise<string> {
  if (runningPid(config.runDir, "kafka") !== undefined) return "kafka already up";
  if (Bun.which("java") === null) {
    throw new ServiceError(
      "kafka: java not found on PATH; install a Java 17 runtime (make setup checks for it)",
    );
  }
  const cp = classpath(config);
  await assertPortFree(config.kafka.port, "kafka");
  await assertPortFree(config.kafka.controllerPort, "kafka controller");
  mkdirSync(config.kafka.dataDir, { recursive: true });
  const properties = writeProperties(config);
  const java = [
    "-cp",
    cp,
    `-Dlog4j2.configurationFile=${join(config.kafka.dataDir, "log4j2.yaml")}`,
  ];
  if (!existsSync(join(config.kafka.dataDir, "logs", "meta.properties"))) {
    const clusterId = newClusterId();
    run(
      "java",
      [
        ...java,
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "-t",
        clusterId,
        "-c",
        properties,
      ],
      "kafka storage format",
    );
  }
  startDetached(config.runDir, "kafka", "java", [
    "-Xms512m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    ...java,
    "kafka.Kafka",
    properties,
  ]);
  const log = join(config.runDir, "kafka.log");
  await waitFor("kafka", () => brokerReady(config.kafka.port), 90_000, `log: ${log}`).catch(
    (error) => {
      throw new ServiceError(`${(error as Error).message}: ${tail(log)}`);
    },
  );
  return `kafka up on 127.0.0.1:${config.kafka.port}`;
}

async function brokerReady(port: number): Promise<boolean> {
  filterKafkajsTimerWarnings();
  const kafka = new Kafka({
    clientId: "services-health",
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Stops the broker, keeping its data. */
export async function kafkaDown(config: ServicesConfig): Promise<string> {
  return (await stopPid(config.runDir, "kafka", 60_000))
    ? "kafka stopped"
    : "kafka was not running";
}

/**
 * A random cluster id in Kafka's form (16 bytes, base64url). Like Kafka's `Uuid.randomUuid()`,
 * never one starting with "-": the storage tool would read it as an option and fail.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}
