import { type Env, int, list, oneOf, str } from "./_env.ts";
import { ConfigError } from "./config_error.ts";

/** Compression codecs kafkajs supports without extra native codecs. */
export const COMPRESSIONS = ["none", "gzip"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** One topic the project creates itself (never by broker auto-create). */
export interface TopicConfig {
  name: string;
  partitions: number;
}

/** Kafka settings shared by every process. */
export interface KafkaConfig {
  /** `KAFKA_BROKERS`, default `127.0.0.1:9092`. */
  brokers: string[];
  /** `KAFKA_CLIENT_ID`, default `meetup-rsvps`. */
  clientId: string;
  /** `KAFKA_REPLICATION_FACTOR`, default 1 (one local broker). */
  replicationFactor: number;
  /** `KAFKA_COMPRESSION`: `none` (default) or `gzip`. */
  compression: Compression;
  /** `meetup.rsvps.raw`: `TOPIC_RAW`, `TOPIC_RAW_PARTITIONS` (default 6). */
  raw: TopicConfig;
  /** `meetup.rsvps.dlq`: `TOPIC_DLQ`, `TOPIC_DLQ_PARTITIONS` (default 1). */
  dlq: TopicConfig;
  /** `meetup.rsvps.stats`: `TOPIC_STATS`, `TOPIC_STATS_PARTITIONS` (default 1). */
  stats: TopicConfig;
}

const BROKER = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

/** Reads {@linkcode KafkaConfig} from the environment. */
export function kafkaConfig(env: Env = process.env): KafkaConfig {
  const brokers = list(env, "KAFKA_BROKERS", ["127.0.0.1:9092"]);
  for (const broker of brokers) {
    if (!BROKER.test(broker)) {
      throw new ConfigError("KAFKA_BROKERS", brokers.join(","), "host:port[,host:port...]");
    }
  }
  const topic = (name: string, fallback: string, partitions: number): TopicConfig => ({
    name: str(env, name, fallback),
    partitions: int(env, `${name}_PARTITIONS`, partitions, 1, 1024),
  });
  return {
    brokers,
    clientId: str(env, "KAFKA_CLIENT_ID", "meetup-rsvps"),
    replicationFactor: int(env, "KAFKA_REPLICATION_FACTOR", 1, 1, 32),
    compression: oneOf(env, "KAFKA_COMPRESSION", "none", COMPRESSIONS),
    raw: topic("TOPIC_RAW", "meetup.rsvps.raw", 6),
    dlq: topic("TOPIC_DLQ", "meetup.rsvps.dlq", 1),
    stats: topic("TOPIC_STATS", "meetup.rsvps.stats", 1),
  };
}
