import { describe, expect, test } from "bun:test";
import { ConfigError } from "./config_error.ts";
import { databaseConfig } from "./database.ts";
import { kafkaConfig } from "./kafka.ts";
import { PROJECT_ROOT, pathsConfig } from "./paths.ts";
import { parseRate, replayConfig } from "./replay.ts";
import { servicesConfig } from "./services.ts";

function message(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("config defaults", () => {
  test("match the names and values the design documents", () => {
    const kafka = kafkaConfig({});
    expect(kafka.brokers).toEqual(["127.0.0.1:9092"]);
    expect(kafka.raw).toEqual({ name: "meetup.rsvps.raw", partitions: 6 });
    expect(kafka.dlq.name).toBe("meetup.rsvps.dlq");
    expect(kafka.stats.name).toBe("meetup.rsvps.stats");
    expect(databaseConfig({}).url).toBe("postgres://postgres@127.0.0.1:5433/meetup");
    expect(pathsConfig({}).lakeDir).toBe(`${PROJECT_ROOT}/data/lake`);
    const replay = replayConfig({});
    expect(replay.port).toBe(8090);
    expect(replay.rate).toEqual({ kind: "realtime", speed: 1 });
    expect(replay.keepTime).toBe(false);
    expect(replay.source).toEqual({
      kind: "files",
      patterns: [`${pathsConfig({}).rsvpDataDir}/*.jsonl`],
    });
    expect(servicesConfig({}).kafka.dataDir).toBe(`${PROJECT_ROOT}/.data/kafka`);
  });

  test("follow the environment", () => {
    const kafka = kafkaConfig({
      KAFKA_BROKERS: "a:1, b:2",
      TOPIC_RAW: "t",
      TOPIC_RAW_PARTITIONS: "3",
    });
    expect(kafka.brokers).toEqual(["a:1", "b:2"]);
    expect(kafka.raw).toEqual({ name: "t", partitions: 3 });
    expect(databaseConfig({ PG_PORT: "6000" }).url).toBe(
      "postgres://postgres@127.0.0.1:6000/meetup",
    );
    expect(replayConfig({ REPLAY_SOURCE: "synthetic", REPLAY_SEED: "9" }).source).toEqual({
      kind: "synthetic",
      seed: 9,
    });
    expect(replayConfig({ REPLAY_KEEP_TIME: "yes" }).keepTime).toBe(true);
  });
});

describe("config errors name the variable, the value and what was expected", () => {
  test("for numbers, ports, booleans, lists and URLs", () => {
    expect(message(() => kafkaConfig({ TOPIC_RAW_PARTITIONS: "six" }))).toBe(
      'Invalid TOPIC_RAW_PARTITIONS="six": expected an integer from 1 to 1024',
    );
    expect(message(() => replayConfig({ REPLAY_PORT: "70000" }))).toBe(
      'Invalid REPLAY_PORT="70000": expected an integer from 1 to 65535',
    );
    expect(message(() => replayConfig({ REPLAY_KEEP_TIME: "maybe" }))).toContain(
      "REPLAY_KEEP_TIME",
    );
    expect(message(() => kafkaConfig({ KAFKA_BROKERS: "localhost" }))).toBe(
      'Invalid KAFKA_BROKERS="localhost": expected host:port[,host:port...]',
    );
    expect(message(() => kafkaConfig({ KAFKA_COMPRESSION: "zstd" }))).toBe(
      'Invalid KAFKA_COMPRESSION="zstd": expected one of none, gzip',
    );
    expect(message(() => databaseConfig({ DATABASE_URL: "mysql://x" }))).toContain("DATABASE_URL");
  });

  test("for replay rates", () => {
    expect(parseRate("max")).toEqual({ kind: "max" });
    expect(parseRate("realtime:2.5")).toEqual({ kind: "realtime", speed: 2.5 });
    expect(parseRate("1000")).toEqual({ kind: "fixed", perSecond: 1000 });
    for (const bad of ["0", "realtime:0", "fast", "-5", "1e3"]) {
      expect(message(() => parseRate(bad))).toContain(`REPLAY_RATE="${bad}"`);
    }
  });
});
