import { ConfigError } from "./config_error.ts";

/**
 * Runs `load` and returns its result; a {@linkcode ConfigError} prints its one line to stderr
 * and exits with status 2. Anything else is rethrown.
 *
 * @example Stop on a bad setting
 * ```ts
 * const config = exitOnConfigError(() => kafkaConfig());
 * ```
 */
export function exitOnConfigError<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
