import { expect, test } from "bun:test";
import { archiveConfig, normalizeS3Prefix } from "./archive.ts";
import { ConfigError } from "./config_error.ts";

test("archiveConfig() defaults: local sink, small Firehose-like buffering hints", () => {
  expect(archiveConfig({})).toEqual({
    sink: "local",
    s3Bucket: undefined,
    s3Prefix: "",
    firehoseStream: undefined,
    groupId: "meetup-archive",
    flushBytes: 1024 * 1024,
    flushSeconds: 30,
    bufferBytesMax: 64 * 1024 * 1024,
    retryDelayMs: 250,
    retryDelayMsMax: 30_000,
    requestTimeoutMs: 30_000,
    sessionTimeoutMs: 30_000,
    statsSeconds: 10,
    metricsPort: undefined,
    shutdownSeconds: 30,
  });
});

test("archiveConfig() reads the sink's own settings", () => {
  const s3 = archiveConfig({ ARCHIVE_SINK: "s3", S3_BUCKET: "meetup-lake", S3_PREFIX: "/prod/" });
  expect([s3.sink, s3.s3Bucket, s3.s3Prefix]).toEqual(["s3", "meetup-lake", "prod/"]);
  const firehose = archiveConfig({ ARCHIVE_SINK: "firehose", FIREHOSE_STREAM: "raw" });
  expect([firehose.sink, firehose.firehoseStream]).toEqual(["firehose", "raw"]);
  expect(archiveConfig({ ARCHIVE_METRICS_PORT: "9464" }).metricsPort).toBe(9464);
});

test("archiveConfig() names the variable a sink lacks or a bad value", () => {
  const cases: [Record<string, string>, string][] = [
    [{ ARCHIVE_SINK: "s3" }, "S3_BUCKET"],
    [{ ARCHIVE_SINK: "firehose" }, "FIREHOSE_STREAM"],
    [{ ARCHIVE_SINK: "kinesis" }, "ARCHIVE_SINK"],
    [{ S3_BUCKET: "Not_A_Bucket" }, "S3_BUCKET"],
    [{ ARCHIVE_FLUSH_BYTES: "0" }, "ARCHIVE_FLUSH_BYTES"],
    [{ ARCHIVE_FLUSH_SECONDS: "901" }, "ARCHIVE_FLUSH_SECONDS"],
    [{ ARCHIVE_SESSION_TIMEOUT_MS: "1000" }, "ARCHIVE_SESSION_TIMEOUT_MS"],
    [
      { ARCHIVE_RETRY_DELAY_MS: "500", ARCHIVE_RETRY_DELAY_MAX_MS: "100" },
      "ARCHIVE_RETRY_DELAY_MAX_MS",
    ],
  ];
  for (const [env, variable] of cases) {
    let caught: unknown;
    try {
      archiveConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as Error).message).toStartWith(`Invalid ${variable}=`);
  }
});

test("normalizeS3Prefix() gives no leading and one trailing slash", () => {
  expect(normalizeS3Prefix("")).toBe("");
  expect(normalizeS3Prefix("/")).toBe("");
  expect(normalizeS3Prefix("a")).toBe("a/");
  expect(normalizeS3Prefix("//a/b//")).toBe("a/b/");
});
