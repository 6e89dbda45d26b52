import { afterAll, beforeAll, expect, test } from "bun:test";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import {
  FIREHOSE_LIMITS,
  type FirehosePartialFailure,
  FirehoseSink,
  planFirehoseCalls,
} from "./firehose_sink.ts";
import type { Chunk } from "./partition_buffer.ts";

const bytes = (size: number, fill = 0x61) => new Uint8Array(size).fill(fill);

test("planFirehoseCalls() keeps order and stays within 500 records per call", () => {
  const records = Array.from({ length: 1_201 }, (_, i) => new TextEncoder().encode(`${i}\n`));
  const calls = planFirehoseCalls(records);
  expect(calls.map((call) => call.length)).toEqual([500, 500, 201]);
  expect(calls.flat()).toEqual(records);
  expect(planFirehoseCalls([])).toEqual([]);
});

test("planFirehoseCalls() stays within 4 MiB per call, a full call exactly at the limit", () => {
  const record = bytes(FIREHOSE_LIMITS.bytesPerRecordMax); // 1,000 KiB
  const calls = planFirehoseCalls([record, record, record, record, record]);
  // 4 x 1,000 KiB = 4,000 KiB <= 4 MiB; a fifth would exceed it.
  expect(calls.map((call) => call.length)).toEqual([4, 1]);
  const exact = [bytes(2 * 1024 * 1024), bytes(2 * 1024 * 1024 - 1), bytes(1)];
  const limits = { ...FIREHOSE_LIMITS, bytesPerRecordMax: 4 * 1024 * 1024 };
  expect(planFirehoseCalls([...exact, bytes(1)], limits).map((call) => call.length)).toEqual([
    3, 1,
  ]);
});

test("planFirehoseCalls() refuses a record over 1,000 KiB", () => {
  expect(() => planFirehoseCalls([bytes(FIREHOSE_LIMITS.bytesPerRecordMax + 1)])).toThrow(
    RangeError,
  );
});

/** A Firehose look-alike on loopback: moto never fails records, so partial failures are staged here. */
interface Call {
  stream: string;
  records: string[];
}
const calls: Call[] = [];
const accepted: string[] = [];
let refuseOddOnce = new Set<string>();
let failNextCall = false;
let server: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      if (request.headers.get("x-amz-target") !== "Firehose_20150804.PutRecordBatch") {
        return new Response("unexpected", { status: 400 });
      }
      const body = (await request.json()) as {
        DeliveryStreamName: string;
        Records: { Data: string }[];
      };
      const records = body.Records.map((r) => Buffer.from(r.Data, "base64").toString());
      calls.push({ stream: body.DeliveryStreamName, records });
      if (failNextCall) {
        failNextCall = false;
        return Response.json(
          { __type: "ServiceUnavailableException", message: "slow down" },
          { status: 503, headers: { "content-type": "application/x-amz-json-1.1" } },
        );
      }
      const answers = records.map((record) => {
        if (refuseOddOnce.delete(record)) {
          return { ErrorCode: "ServiceUnavailableException", ErrorMessage: "try again" };
        }
        accepted.push(record);
        return { RecordId: `id-${accepted.length}` };
      });
      return Response.json(
        {
          FailedPutCount: answers.filter((a) => "ErrorCode" in a).length,
          Encrypted: false,
          RequestResponses: answers,
        },
        { headers: { "content-type": "application/x-amz-json-1.1" } },
      );
    },
  });
});
afterAll(() => server.stop(true));

function chunkOf(lines: string[]): Chunk {
  const encoded = lines.map((line) => new TextEncoder().encode(line));
  return {
    topic: "t",
    partition: 0,
    firstOffset: 0,
    lastOffset: lines.length - 1,
    hourMs: 0,
    lines: encoded,
    bytes: encoded.reduce((sum, l) => sum + l.byteLength, 0),
    generation: 1,
  };
}

function sink(onRefused: (n: number) => void, retried: unknown[]) {
  return new FirehoseSink({
    client: new FirehoseClient({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${server.port}`,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    }),
    stream: "meetup-raw",
    requestTimeoutMs: 5_000,
    retry: () => ({
      delayMs: 1,
      delayMsMax: 2,
      onRetry: (error) => {
        retried.push(error);
      },
    }),
    onRefused,
    limits: { ...FIREHOSE_LIMITS, recordsPerCallMax: 4 },
  });
}

const signals = () => ({ stop: new AbortController().signal, abort: new AbortController().signal });

test("FirehoseSink retries only the records a partial failure refused, until all are in", async () => {
  calls.length = 0;
  accepted.length = 0;
  const lines = Array.from({ length: 6 }, (_, i) => `{"n":${i}}\n`);
  refuseOddOnce = new Set(lines.filter((_, i) => i % 2 === 1));
  let refused = 0;
  const retried: unknown[] = [];
  await sink((n) => (refused += n), retried).write(chunkOf(lines), signals());
  // Calls of at most 4 records: [0..3] refuses 1 and 3, which go again alone, then [4, 5].
  const [l1, l3, l5] = [lines[1] ?? "", lines[3] ?? "", lines[5] ?? ""];
  expect(calls.map((call) => call.records)).toEqual([
    lines.slice(0, 4),
    [l1, l3],
    lines.slice(4, 6),
    [l5],
  ]);
  expect(calls.every((call) => call.stream === "meetup-raw")).toBe(true);
  expect([...accepted].sort()).toEqual([...lines].sort());
  expect(refused).toBe(3);
  expect(retried.map((e) => (e as FirehosePartialFailure).codes)).toEqual([
    ["ServiceUnavailableException", "ServiceUnavailableException"],
    ["ServiceUnavailableException"],
  ]);
});

test("FirehoseSink retries a whole call that failed, sending every record once accepted", async () => {
  calls.length = 0;
  accepted.length = 0;
  refuseOddOnce = new Set();
  failNextCall = true;
  const lines = ['{"a":1}\n', '{"b":2}\n'];
  const retried: unknown[] = [];
  await sink(() => {}, retried).write(chunkOf(lines), signals());
  expect(calls.map((call) => call.records)).toEqual([lines, lines]);
  expect(accepted).toEqual(lines);
  expect(retried).toHaveLength(1);
  expect((retried[0] as Error).name).toBe("ServiceUnavailableException");
});

test("FirehoseSink skips a record too large for Firehose and says so", async () => {
  calls.length = 0;
  accepted.length = 0;
  const oversize: number[] = [];
  const big = new FirehoseSink({
    client: new FirehoseClient({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${server.port}`,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    }),
    stream: "s",
    requestTimeoutMs: 5_000,
    retry: () => ({ delayMs: 1, delayMsMax: 1 }),
    onOversize: (_chunk, size) => oversize.push(size),
    limits: { ...FIREHOSE_LIMITS, bytesPerRecordMax: 10 },
  });
  await big.write(chunkOf(["short\n", "much too long\n"]), signals());
  expect(accepted).toEqual(["short\n"]);
  expect(oversize).toEqual([14]);
});
