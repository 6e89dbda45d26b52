/**
 * Configuration: the environment read into typed, validated settings. Every default lives here,
 * and every variable name is a public interface documented in the README.
 *
 * A bad value throws a {@linkcode ConfigError} with one line naming the variable; entry points
 * call {@linkcode exitOnConfigError} to print that line and stop.
 *
 * @module
 */

export type { Env } from "./_env.ts";
export * from "./archive.ts";
export * from "./aws.ts";
export * from "./command_line.ts";
export * from "./config_error.ts";
export * from "./dashboard.ts";
export * from "./database.ts";
export * from "./entry.ts";
export * from "./etl.ts";
export * from "./ingest.ts";
export * from "./kafka.ts";
export * from "./paths.ts";
export * from "./replay.ts";
export * from "./services.ts";
export * from "./stream.ts";
