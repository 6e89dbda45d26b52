/**
 * A configuration value that cannot be used. Its message is one line that names the variable,
 * the value found and what was expected; entry points print it and exit with status 2.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** The environment variable at fault. */
  readonly variable: string;

  constructor(variable: string, value: string, expected: string) {
    super(`Invalid ${variable}=${JSON.stringify(value)}: expected ${expected}`);
    this.variable = variable;
  }
}
