import { parseArgs } from "node:util";
import type { Env } from "./_env.ts";

/** One command-line option that stands for an environment variable. */
export interface EnvFlag {
  /** The variable the option sets. */
  env: string;
  /** A string option takes a value (`--port 8090`); a boolean one sets `value` when present. */
  type: "string" | "boolean";
  /** For a boolean option, what the variable becomes (e.g. `"1"`). */
  value?: string;
}

/** Options for {@linkcode commandLine}. */
export interface CommandLineOptions {
  /** Printed for `-h`/`--help`. */
  help: string;
  /** `--name` -> the variable it overrides. */
  flags?: Readonly<Record<string, EnvFlag>>;
  /** Options that are not settings (e.g. `--write N`), returned in `values`. */
  extra?: Readonly<Record<string, { type: "string" | "boolean" }>>;
  /** The arguments. @default {process.argv.slice(2)} */
  args?: string[];
  /** The environment the flags override. @default {process.env} */
  env?: Env;
}

/** What the command line asks for: the environment with the flags applied, and extra values. */
export interface CommandLine {
  env: Record<string, string | undefined>;
  values: Record<string, string | boolean | undefined>;
}

/**
 * Reads an entry point's command line: every setting option overrides its environment variable,
 * so `modules/config` validates flags and variables alike and names the variable at fault.
 * `--help` prints the help and returns `undefined`; an unknown option or a missing value prints
 * one line and exits with status 2.
 *
 * @example
 * ```ts
 * const cli = commandLine({ help: HELP, flags: { port: { env: "REPLAY_PORT", type: "string" } } });
 * if (cli === undefined) return; // --help was printed
 * const config = exitOnConfigError(() => replayConfig(cli.env));
 * ```
 */
export function commandLine(options: CommandLineOptions): CommandLine | undefined {
  const flags = options.flags ?? {};
  const parseOptions: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, flag] of Object.entries(flags)) parseOptions[name] = { type: flag.type };
  for (const [name, extra] of Object.entries(options.extra ?? {}))
    parseOptions[name] = { type: extra.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: options.args ?? process.argv.slice(2),
      options: parseOptions,
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}; see --help`);
    process.exit(2);
  }
  if (values.help === true) {
    console.log(options.help);
    return undefined;
  }
  const env: Record<string, string | undefined> = { ...(options.env ?? process.env) };
  for (const [name, flag] of Object.entries(flags)) {
    const value = values[name];
    if (typeof value === "string") env[flag.env] = value;
    else if (value === true) env[flag.env] = flag.value ?? "1";
  }
  return { env, values };
}
