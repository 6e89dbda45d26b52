import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { commandLine } from "./command_line.ts";
import { PROJECT_ROOT } from "./paths.ts";

const flags = {
  port: { env: "REPLAY_PORT", type: "string" },
  "keep-time": { env: "REPLAY_KEEP_TIME", type: "boolean", value: "1" },
  "no-loop": { env: "REPLAY_LOOP", type: "boolean", value: "0" },
} as const;

test("commandLine() lets each flag override its variable and returns extra values", () => {
  const cli = commandLine({
    help: "usage",
    flags,
    extra: { write: { type: "string" } },
    args: ["--port", "9000", "--no-loop", "--write", "5"],
    env: { REPLAY_PORT: "8090", OTHER: "kept" },
  });
  expect(cli?.env).toEqual({ REPLAY_PORT: "9000", REPLAY_LOOP: "0", OTHER: "kept" });
  expect(cli?.values.write).toBe("5");
  expect(
    commandLine({ help: "usage", flags, args: [], env: { REPLAY_PORT: "8090" } })?.env,
  ).toEqual({
    REPLAY_PORT: "8090",
  });
});

test("commandLine() prints the help for --help and -h and returns undefined", () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (text: string) => printed.push(text);
  try {
    expect(commandLine({ help: "usage text", flags, args: ["--help"] })).toBeUndefined();
    expect(commandLine({ help: "usage text", flags, args: ["-h"] })).toBeUndefined();
  } finally {
    console.log = log;
  }
  expect(printed).toEqual(["usage text", "usage text"]);
});

test("an unknown option stops an entry point with one line and status 2", () => {
  const result = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, "apps/replay/main.ts"), "--bogus"],
    {
      encoding: "utf8",
    },
  );
  expect(result.status).toBe(2);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toContain("--bogus");
  expect(result.stderr).toContain("see --help");
});
