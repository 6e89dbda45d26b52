import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { ConfigError, type ReplayConfig } from "../../modules/config/mod.ts";
import { SyntheticRsvps } from "./synthetic.ts";

/** One message to send: its exact text and the mtime it carries (if it can be read). */
export interface ReplayRecord {
  text: string;
  mtime: number | undefined;
  /** Which pass over the files this is (0 first); restamping restarts at each pass. */
  pass: number;
}

/** Where the replay's messages come from. */
export interface RecordSource {
  /** A fresh iterator positioned after the first `sinceCount` records. */
  open(sinceCount: number): Iterator<ReplayRecord>;
  /** A short description for logs. */
  readonly description: string;
}

const MTIME = /"mtime"\s*:\s*(\d{1,16})/;

/** The mtime a message carries, read without parsing the whole message; undefined if none. */
export function readMtime(text: string): number | undefined {
  const match = MTIME.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Expands paths and globs (a glob only in the last path segment), each sorted by name. */
export function expandPatterns(patterns: readonly string[]): string[] {
  const files: string[] = [];
  for (const pattern of patterns) {
    const absolute = resolve(pattern);
    const name = basename(absolute);
    if (!/[*?[{]/.test(name)) {
      files.push(absolute);
      continue;
    }
    const dir = dirname(absolute);
    const matched = [...new Bun.Glob(name).scanSync({ cwd: dir, onlyFiles: true })].sort();
    if (matched.length === 0)
      throw new ConfigError(
        "REPLAY_SOURCE",
        pattern,
        "paths or globs that match at least one file",
      );
    files.push(...matched.map((file) => resolve(dir, file)));
  }
  return files;
}

/** Every non-empty line of the files, in file order, exactly as stored (no trailing newline). */
export function readLines(files: readonly string[]): string[] {
  const lines: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new ConfigError(
        "REPLAY_SOURCE",
        file,
        `a readable JSONL file (${(error as Error).message})`,
      );
    }
    for (const line of text.split("\n")) if (line.trim() !== "") lines.push(line);
  }
  return lines;
}

/** Recorded files, in order, looped or not. */
export function fileSource(files: readonly string[], loop: boolean): RecordSource {
  const lines = readLines(files);
  if (lines.length === 0)
    throw new ConfigError("REPLAY_SOURCE", files.join(","), "files with at least one line");
  const mtimes = lines.map(readMtime);
  return {
    description: `${lines.length} records from ${files.length} file(s)${loop ? ", looped" : ""}`,
    open(sinceCount) {
      let index = sinceCount;
      return {
        next(): IteratorResult<ReplayRecord> {
          if (!loop && index >= lines.length) return { done: true, value: undefined };
          const at = index % lines.length;
          const pass = Math.floor(index / lines.length);
          index++;
          return { done: false, value: { text: lines[at] as string, mtime: mtimes[at], pass } };
        },
      };
    },
  };
}

/** The seeded synthetic generator: endless, the same for the same seed. */
export function syntheticSource(seed: number): RecordSource {
  return {
    description: `synthetic RSVPs (seed ${seed})`,
    open(sinceCount) {
      const generator = new SyntheticRsvps({ seed });
      for (let skipped = 0; skipped < sinceCount; skipped++) generator.next();
      return {
        next(): IteratorResult<ReplayRecord> {
          const record = generator.next();
          return { done: false, value: { text: record.text, mtime: record.mtime, pass: 0 } };
        },
      };
    },
  };
}

/** The source that `REPLAY_SOURCE` names. */
export function sourceFromConfig(config: ReplayConfig): RecordSource {
  return config.source.kind === "synthetic"
    ? syntheticSource(config.source.seed)
    : fileSource(expandPatterns(config.source.patterns), config.loop);
}
