import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, pathsConfig, type ReplayConfig } from "../../modules/config/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { startReplayServer } from "./server.ts";
import { expandPatterns, sourceFromConfig } from "./source.ts";

const files = expandPatterns([join(pathsConfig().rsvpDataDir, "*.jsonl")]);
/** What a byte-exact replay must send: every line of every file, in order, as stored. */
const recorded = files.flatMap((file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== ""),
);

function config(overrides: Partial<ReplayConfig>): ReplayConfig {
  return {
    host: "127.0.0.1",
    port: 0,
    source: { kind: "files", patterns: files },
    rate: { kind: "max" },
    keepTime: true,
    loop: false,
    clientBufferBytesMax: 4 * 1024 * 1024,
    ...overrides,
  };
}

const log = createLogger("replay-test", { level: "error" });
const servers: { stop(force: boolean): void }[] = [];

function start(overrides: Partial<ReplayConfig>): string {
  const settings = config(overrides);
  const { server } = startReplayServer(settings, sourceFromConfig(settings), log);
  servers.push(server);
  return `127.0.0.1:${server.port}/2/rsvps`;
}

/** Collects `count` text frames from a WebSocket client. */
function receive(url: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const messages: string[] = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${messages.length}/${count} messages`)),
      30_000,
    );
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") reject(new Error("binary frame; the stream sends text"));
      messages.push(event.data as string);
      if (messages.length === count) {
        clearTimeout(timer);
        ws.close();
        resolve(messages);
      }
    };
    ws.onerror = () => reject(new Error("websocket error"));
  });
}

let keepTimeUrl = "";
beforeAll(() => {
  keepTimeUrl = start({});
});
afterAll(() => {
  for (const server of servers) server.stop(true);
});

describe("apps/replay over WebSocket", () => {
  test("sends the recorded files' records byte for byte, in order, in original-bytes mode", async () => {
    expect(recorded.length).toBe(1541 + 1 + 1386 + 1);
    const messages = await receive(`ws://${keepTimeUrl}`, recorded.length);
    expect(messages).toEqual(recorded);
  });

  test("serves several clients at once, each from the start", async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => receive(`ws://${keepTimeUrl}`, 100)));
    expect(a).toEqual(recorded.slice(0, 100));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  test("resumes after since_count records", async () => {
    expect(await receive(`ws://${keepTimeUrl}?since_count=2900`, 29)).toEqual(recorded.slice(2900));
  });

  test("re-stamps mtime to now by default, keeping offsets and every other byte", async () => {
    const url = start({ keepTime: false });
    const before = Date.now();
    const messages = await receive(`ws://${url}`, 50);
    const mtime = (text: string) => Number(/"mtime":(\d+)/.exec(text)?.[1]);
    expect(mtime(messages[0] ?? "")).toBeGreaterThanOrEqual(before);
    expect(mtime(messages[0] ?? "")).toBeLessThanOrEqual(Date.now());
    for (let i = 1; i < 50; i++) {
      expect(mtime(messages[i] ?? "") - mtime(messages[0] ?? "")).toBe(
        mtime(recorded[i] ?? "") - mtime(recorded[0] ?? ""),
      );
      expect((messages[i] ?? "").replace(/"mtime":\d+/, "")).toBe(
        (recorded[i] ?? "").replace(/"mtime":\d+/, ""),
      );
    }
  });
});

describe("apps/replay over HTTP", () => {
  test("streams the same records as chunked JSON lines", async () => {
    const response = await fetch(`http://${keepTimeUrl}`);
    expect(response.headers.get("content-type")).toContain("application/json");
    const reader = response.body?.getReader();
    let text = "";
    const decoder = new TextDecoder();
    while (reader && text.split("\n").length <= recorded.length) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader?.cancel();
    expect(text.split("\n").slice(0, recorded.length)).toEqual(recorded);
  });

  test("answers bad parameters, unknown paths, /healthz and /metrics", async () => {
    const base = `http://${keepTimeUrl.replace("/2/rsvps", "")}`;
    const bad = await fetch(`http://${keepTimeUrl}?since_count=-1`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("since_count");
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/replay_messages_sent_total \d+/);
  });
});

describe("apps/replay command line", () => {
  const bun = process.execPath;
  const main = join(PROJECT_ROOT, "apps/replay/main.ts");

  test("--help explains the options", () => {
    const result = spawnSync(bun, [main, "--help"], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("REPLAY_RATE");
  });

  test("a bad setting stops it with one line naming the variable", () => {
    const result = spawnSync(bun, [main], {
      encoding: "utf8",
      env: { ...process.env, REPLAY_RATE: "fast" },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      'Invalid REPLAY_RATE="fast": expected realtime, realtime:<speed>, <N> per second, or max',
    );
  });

  test("--write N writes N valid synthetic records", () => {
    const out = join(tmpdir(), `replay-write-${process.pid}.jsonl`);
    const result = spawnSync(bun, [main, "--write", "1000", "--out", out, "--seed", "7"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines.length).toBe(1000);
    expect(lines.every((line) => JSON.parse(line).rsvp_id > 0)).toBe(true);
  });
});
