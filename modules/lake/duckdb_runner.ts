import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/** Values a `sql/` file reads through `getvariable(name)`. */
export type SqlVariables = Readonly<Record<string, string | number | boolean>>;

/** One result row, with DuckDB values converted to JS (BIGINT as `bigint`, DECIMAL as text). */
export type SqlRow = Record<string, unknown>;

/** Options for {@linkcode DuckDBRunner.open}. */
export interface DuckDBRunnerOptions {
  /** DuckDB's `memory_limit`, e.g. `"4GB"`; past it, operators spill to disk. @default {DuckDB's: 80% of RAM} */
  memoryLimit?: string;
  /** DuckDB's `threads`; 0 keeps DuckDB's default (one per core). @default {0} */
  threads?: number;
}

/** Options for {@linkcode DuckDBRunner.runFile}. */
export interface RunFileOptions {
  /** Set as DuckDB variables before the file runs (the file's own defaults then do not apply). */
  variables?: SqlVariables;
  /** Interrupts the running statement; the file then rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** Called before each statement, with its 1-based index and the file's statement count. */
  onStatement?: (index: number, count: number) => void;
}

/** What {@linkcode DuckDBRunner.runFile} ran and what the file's last statement returned. */
export interface RunFileResult {
  /** The file, as given. */
  path: string;
  /** How many statements ran. */
  statements: number;
  /** Rows of the last statement (empty for statements that return none). */
  rows: SqlRow[];
  /** Wall time of the whole file. */
  durationMs: number;
}

const VARIABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Runs `sql/` files through `@duckdb/node-api` exactly as the duckdb CLI would run them with
 * `-cmd "set variable name = ..." -f file.sql`: the same engine version, the same statements, in
 * order, on one connection (so temp tables and variables carry from one file to the next).
 *
 * @example Run one ETL step against the state database
 * ```ts
 * const runner = await DuckDBRunner.open("data/lake/etl/state.duckdb");
 * try {
 *   const { rows } = await runner.runFile("sql/etl/09_checks.sql", {
 *     variables: { lake_dir: "data/lake" },
 *   });
 * } finally {
 *   runner.close();
 * }
 * ```
 */
export class DuckDBRunner {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance;
    this.#connection = connection;
  }

  /**
   * Opens (creating if needed) a DuckDB database file, or an in-memory one for `":memory:"`.
   *
   * @throws {Error} When the file cannot be opened, e.g. another process holds its lock.
   */
  static async open(path: string, options: DuckDBRunnerOptions = {}): Promise<DuckDBRunner> {
    const settings: Record<string, string> = {};
    if (options.memoryLimit !== undefined) settings.memory_limit = options.memoryLimit;
    if (options.threads !== undefined && options.threads > 0) {
      settings.threads = String(options.threads);
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, settings);
    } catch (error) {
      throw new Error(`Cannot open DuckDB database ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new DuckDBRunner(instance, await instance.connect());
  }

  /**
   * Sets DuckDB variables (`set variable name = value`), read in SQL with `getvariable(name)`.
   *
   * @throws {TypeError} When a name is not a lower-case SQL identifier, or a number is not finite.
   */
  async setVariables(variables: SqlVariables): Promise<void> {
    for (const [name, value] of Object.entries(variables)) {
      await this.#connection.run(`set variable ${name} = ${sqlLiteral(name, value)}`);
    }
  }

  /**
   * Runs every statement of a `.sql` file in order and returns the last one's rows. A failing
   * statement rolls back an open transaction and rejects with the file, the statement number
   * and DuckDB's message.
   */
  async runFile(path: string, options: RunFileOptions = {}): Promise<RunFileResult> {
    const started = performance.now();
    const text = await readFile(path, "utf8");
    if (options.variables !== undefined) await this.setVariables(options.variables);
    const label = displayPath(path);
    const rows = await this.#runStatements(text, label, options);
    return { path, ...rows, durationMs: performance.now() - started };
  }

  /** Runs one SQL text (one or more statements) and returns the last statement's rows. */
  async query(sql: string, options: Omit<RunFileOptions, "variables"> = {}): Promise<SqlRow[]> {
    return (await this.#runStatements(sql, "query", options)).rows;
  }

  async #runStatements(
    text: string,
    label: string,
    options: Omit<RunFileOptions, "variables">,
  ): Promise<{ statements: number; rows: SqlRow[] }> {
    const { signal, onStatement } = options;
    signal?.throwIfAborted();
    const interrupt = () => this.#connection.interrupt();
    signal?.addEventListener("abort", interrupt, { once: true });
    try {
      const extracted = await this.#connection.extractStatements(text);
      let rows: SqlRow[] = [];
      for (let index = 0; index < extracted.count; index++) {
        onStatement?.(index + 1, extracted.count);
        rows = await this.#runOne(extracted, index, label, signal);
      }
      return { statements: extracted.count, rows };
    } finally {
      signal?.removeEventListener("abort", interrupt);
    }
  }

  async #runOne(
    extracted: Awaited<ReturnType<DuckDBConnection["extractStatements"]>>,
    index: number,
    label: string,
    signal: AbortSignal | undefined,
  ): Promise<SqlRow[]> {
    try {
      const prepared = await extracted.prepare(index);
      try {
        const result = await prepared.run();
        return await result.getRowObjectsJS();
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      // A failed statement leaves DuckDB's transaction aborted; end it so the connection is
      // usable again (this fails harmlessly when no transaction was open).
      await this.#connection.run("rollback").catch(() => {});
      if (signal?.aborted) throw signal.reason;
      throw new Error(
        `Cannot run ${label} statement ${index + 1} of ${extracted.count}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Interrupts the statement that is running, if any. */
  interrupt(): void {
    this.#connection.interrupt();
  }

  /** Closes the connection and the database (a file database is checkpointed and unlocked). */
  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}

function sqlLiteral(name: string, value: string | number | boolean): string {
  if (!VARIABLE_NAME.test(name)) {
    throw new TypeError(
      `Cannot set DuckDB variable as its name is not a lower-case identifier: current value is ${JSON.stringify(name)}`,
    );
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new TypeError(
        `Cannot set DuckDB variable '${name}' as its value is not finite: current value is ${value}`,
      );
    }
    return String(value);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

function displayPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown.startsWith("..") ? path : shown;
}
