import { describe, expect, test } from "bun:test";
import { perSecond, positionFrom } from "./pipeline_health.ts";
import { scrapeCounters, sumCounters } from "./scrape.ts";

const METRICS = `# HELP ingest_received_total Messages received
# TYPE ingest_received_total counter
ingest_received_total 120
ingest_produced_total{topic="raw"} 100
ingest_produced_total{topic="dlq"} 15
ingest_bytes_received_total 99999
ingest_rejected_total{reason="not-json"} 5
ingest_buffer_depth 7
`;

describe("sumCounters()", () => {
  test("sums received as in and produced as out, ignoring bytes, rejects and gauges", () => {
    expect(sumCounters(METRICS)).toEqual({ in: 120, out: 115 });
  });

  test("reads nothing from an empty or foreign answer", () => {
    expect(sumCounters("")).toEqual({ in: 0, out: 0 });
    expect(sumCounters("<html>not metrics</html>\n")).toEqual({ in: 0, out: 0 });
  });
});

describe("scrapeCounters()", () => {
  test("fetches over HTTP and fails with the status on a non-200 answer", async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) =>
        new URL(request.url).pathname === "/metrics"
          ? new Response(METRICS)
          : new Response("no", { status: 404 }),
    });
    try {
      expect(await scrapeCounters(`http://127.0.0.1:${server.port}/metrics`)).toEqual({
        in: 120,
        out: 115,
      });
      await expect(scrapeCounters(`http://127.0.0.1:${server.port}/other`)).rejects.toThrow(
        "HTTP 404",
      );
    } finally {
      await server.stop(true);
    }
  });
});

describe("perSecond()", () => {
  const sample = (at: number, value: number) => ({ at, totals: new Map([["k", value]]) });

  test("is the difference over the elapsed seconds", () => {
    expect(perSecond(sample(0, 10), sample(2000, 30), "k")).toBe(10);
  });

  test("is null on the first poll, a missing key, no elapsed time or a counter reset", () => {
    expect(perSecond(undefined, sample(1000, 5), "k")).toBeNull();
    expect(perSecond(sample(0, 1), sample(1000, 5), "other")).toBeNull();
    expect(perSecond(sample(1000, 1), sample(1000, 5), "k")).toBeNull();
    expect(perSecond(sample(0, 50), sample(1000, 5), "k")).toBeNull();
  });
});

describe("positionFrom()", () => {
  test("reads the stream's checkpoint position from the commit metadata", () => {
    expect(positionFrom('{"v":1,"pos":120,"max":1}', 40)).toBe(120);
    expect(positionFrom('{"pos":40}', 40)).toBe(40);
  });

  test("is null without metadata, for foreign metadata, or a position behind the commit", () => {
    expect(positionFrom(null, 5)).toBeNull();
    expect(positionFrom("", 5)).toBeNull();
    expect(positionFrom("not json", 5)).toBeNull();
    expect(positionFrom('{"pos":"7"}', 5)).toBeNull();
    expect(positionFrom('{"pos":3}', 5)).toBeNull();
    expect(positionFrom('{"pos":9}', null)).toBeNull();
  });
});
