import { describe, expect, test } from "bun:test";
import { ConfigError } from "./config_error.ts";
import { streamConfig } from "./stream.ts";

describe("streamConfig()", () => {
  test("defaults: ingest time, 5-minute window of 1 s slots, 2 s lateness", () => {
    expect(streamConfig({})).toMatchObject({
      group: "meetup-stream",
      timeBasis: "ingest",
      slotMs: 1000,
      windowMs: 300_000,
      allowedLatenessMs: 2000,
      emitMs: 1000,
      start: "earliest",
      partialsTopic: "meetup.rsvps.stream-partials",
    });
  });

  test("event time defaults to a longer lateness unless one is set", () => {
    expect(streamConfig({ STREAM_TIME: "event" }).allowedLatenessMs).toBe(60_000);
    const set = { STREAM_TIME: "event", STREAM_ALLOWED_LATENESS_MS: "5000" };
    expect(streamConfig(set).allowedLatenessMs).toBe(5000);
  });

  test("names the variable of a bad value", () => {
    expect(() => streamConfig({ STREAM_TIME: "wall" })).toThrow(/STREAM_TIME="wall"/);
    expect(() => streamConfig({ STREAM_SLOT_MS: "250", STREAM_WINDOW_MS: "1000" })).not.toThrow();
    const uneven = () => streamConfig({ STREAM_SLOT_MS: "300", STREAM_WINDOW_MS: "1000" });
    expect(uneven).toThrow(ConfigError);
    expect(uneven).toThrow(/STREAM_WINDOW_MS="1000": expected a multiple of STREAM_SLOT_MS/);
    expect(() => streamConfig({ STREAM_EMIT_MS: "0" })).toThrow(/STREAM_EMIT_MS/);
    expect(() => streamConfig({ STREAM_SESSION_TIMEOUT_MS: "1000" })).toThrow(/6000/);
  });
});
