import { describe, expect, test } from "bun:test";
import { runSession, type SessionOptions, type Transport } from "./session.ts";
import type { RecordSource, ReplayRecord } from "./source.ts";

function source(count: number): RecordSource {
  return {
    description: "test",
    open(since) {
      let index = since;
      return {
        next: (): IteratorResult<ReplayRecord> =>
          index >= count
            ? { done: true, value: undefined }
            : {
                done: false,
                value: {
                  text: `{"n":${index},"mtime":${1000 * index++}}`,
                  mtime: 1000 * (index - 1),
                  pass: 0,
                },
              },
      };
    },
  };
}

/** A client that never reads: everything sent stays buffered. */
class StuckTransport implements Transport {
  closed = false;
  sent: string[] = [];
  closedWith = "";
  drains = 0;
  send(text: string) {
    this.sent.push(text);
    return true;
  }
  bufferedBytes() {
    return this.sent.reduce((sum, text) => sum + text.length, 0) - this.drains * 1_000_000;
  }
  drained() {
    this.drains++;
    return Promise.resolve();
  }
  close(reason: string) {
    this.closedWith = reason;
    this.closed = true;
  }
}

function options(overrides: Partial<SessionOptions>): SessionOptions & { slept: number[] } {
  let clock = 0;
  const slept: number[] = [];
  return {
    rate: { kind: "max" },
    keepTime: true,
    sinceCount: 0,
    clientBufferBytesMax: 1_000_000,
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    onSent: () => {},
    onDropped: () => {},
    slept,
    ...overrides,
  };
}

describe("runSession()", () => {
  test("sends every record in order from since_count, then stays quiet", async () => {
    const transport = new StuckTransport();
    await runSession(source(5), transport, options({ sinceCount: 2 }));
    expect(transport.sent).toEqual([
      '{"n":2,"mtime":2000}',
      '{"n":3,"mtime":3000}',
      '{"n":4,"mtime":4000}',
    ]);
    expect(transport.closed).toBe(false);
  });

  test("realtime waits out the original gaps on the injected clock", async () => {
    const opts = options({ rate: { kind: "realtime", speed: 10 } });
    await runSession(source(4), new StuckTransport(), opts);
    expect(opts.slept).toEqual([100, 100, 100]);
  });

  test("drops a slow client in a timed mode, counting it, instead of buffering without bound", async () => {
    let dropped = 0;
    const transport = new StuckTransport();
    await runSession(
      source(1000),
      transport,
      options({
        rate: { kind: "fixed", perSecond: 1_000_000 },
        clientBufferBytesMax: 100,
        onDropped: () => dropped++,
      }),
    );
    expect(dropped).toBe(1);
    expect(transport.closed).toBe(true);
    expect(transport.closedWith).toContain("too slow");
    expect(transport.sent.length).toBeLessThan(10);
  });

  test("at max rate waits for a slow client to drain instead of dropping it", async () => {
    const transport = new StuckTransport();
    await runSession(source(50), transport, options({ clientBufferBytesMax: 100 }));
    expect(transport.sent.length).toBe(50);
    expect(transport.drains).toBeGreaterThan(0);
    expect(transport.closed).toBe(false);
  });

  test("stops when the client goes", async () => {
    const transport = new StuckTransport();
    const sends = transport.send.bind(transport);
    transport.send = (text) => {
      if (transport.sent.length === 3) transport.closed = true;
      return transport.closed ? false : sends(text);
    };
    await runSession(source(100), transport, options({}));
    expect(transport.sent.length).toBe(3);
  });
});
