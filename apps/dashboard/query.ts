/**
 * `POST /api/query`: read-only SQL over the 3NF Parquet. Defence in depth:
 * 1. one statement, and it must be a SELECT (DuckDB's own parser says which kind it is), so
 *    writes, COPY, ATTACH, INSTALL/LOAD, SET and PRAGMA never run;
 * 2. the engine itself can only read the 3NF directory and its settings are locked
 *    ({@linkcode openLockedDuckDB}), in case a SELECT finds a way to touch files;
 * 3. a timeout that interrupts the statement, a row limit, a cell and a response size limit,
 *    a memory limit and a bound on queries running at once.
 * Errors come back as one clear message, never a stack trace.
 */
import {
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  JsonDuckDBValueConverter,
  StatementType,
} from "@duckdb/node-api";
import {
  findTables,
  openLockedDuckDB,
  syncViews,
  TABLES_3NF,
  type TableFiles,
} from "./lake_tables.ts";

/** A refused or failed query; `status` is the HTTP status to answer with. */
export class QueryError extends Error {
  override name = "QueryError";
  readonly status: 400 | 408 | 413 | 429 | 503;

  constructor(message: string, status: QueryError["status"] = 400) {
    super(message);
    this.status = status;
  }
}

/** A query's answer. */
export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  /** True when rows were cut at `rowsMax` (or the response size bound). */
  truncated: boolean;
  rowsMax: number;
  elapsedMs: number;
  /** Tables available to query, with their freshness (Parquet mtime). */
  tables: { table: string; modifiedAt: number }[];
}

/** Options for {@linkcode QueryService.open}. */
export interface QueryServiceOptions {
  /** The 3NF directory: the only place SQL can read. */
  tablesDir: string;
  timeoutMs: number;
  rowsMax: number;
  memoryMbMax: number;
  concurrencyMax: number;
  /** Characters kept of one cell's text. @default {2000} */
  cellCharsMax?: number;
  /** Bytes of JSON rows returned at most. @default {4 MiB} */
  resultBytesMax?: number;
}

const STATEMENT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(StatementType).map(([name, value]) => [value, name]),
);

/** Read-only SQL over the 3NF Parquet. */
export class QueryService {
  #instance: DuckDBInstance;
  #options: QueryServiceOptions;
  #running = 0;
  #viewsSignature = "";
  #tables: TableFiles[] = [];

  private constructor(instance: DuckDBInstance, options: QueryServiceOptions) {
    this.#instance = instance;
    this.#options = options;
  }

  /** Opens the locked-down engine over `tablesDir`. */
  static async open(options: QueryServiceOptions): Promise<QueryService> {
    const instance = await openLockedDuckDB({
      allowedDirectories: [options.tablesDir],
      memoryMbMax: options.memoryMbMax,
    });
    return new QueryService(instance, options);
  }

  /** Queries running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Runs one read-only statement.
   *
   * @throws {QueryError} When refused, failed, too slow, or too many queries are running.
   */
  async run(sql: string): Promise<QueryResult> {
    if (sql.trim() === "") throw new QueryError("Enter one SELECT statement.");
    if (this.#running >= this.#options.concurrencyMax) {
      throw new QueryError(
        `Busy: ${this.#running} queries are running (DASHBOARD_QUERY_CONCURRENCY); try again shortly.`,
        429,
      );
    }
    this.#running++;
    const started = performance.now();
    const connection = await this.#instance.connect();
    try {
      await this.#refreshViews(connection);
      const result = await this.#execute(connection, sql);
      return { ...result, elapsedMs: Math.round(performance.now() - started) };
    } finally {
      connection.closeSync();
      this.#running--;
    }
  }

  /** The tables found at the last refresh. */
  get tables(): readonly TableFiles[] {
    return this.#tables;
  }

  /** Releases the engine. */
  close(): void {
    this.#instance.closeSync();
  }

  async #refreshViews(connection: DuckDBConnection): Promise<void> {
    const tables = findTables(this.#options.tablesDir);
    const signature = tables.map((t) => `${t.table}:${t.source}:${t.modifiedAt}`).join("|");
    if (signature === this.#viewsSignature) return;
    try {
      await syncViews(connection, tables);
    } catch (error) {
      throw new QueryError(`The 3NF tables cannot be read right now: ${firstLines(error)}`, 503);
    }
    this.#viewsSignature = signature;
    this.#tables = tables;
  }

  async #execute(connection: DuckDBConnection, sql: string) {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, this.#options.timeoutMs);
    try {
      const prepared = await this.#prepare(connection, sql);
      const result = await prepared.stream();
      const columns = result.columnNames().map((name, index) => ({
        name,
        type: result.columnType(index).toString(),
      }));
      const { rows, truncated } = await this.#readRows(result);
      return {
        columns,
        rows,
        truncated,
        rowsMax: this.#options.rowsMax,
        tables: this.#tableList(),
      };
    } catch (error) {
      if (timedOut) {
        throw new QueryError(
          `Query stopped after ${this.#options.timeoutMs} ms (DASHBOARD_QUERY_TIMEOUT_MS): narrow it down or add a limit.`,
          408,
        );
      }
      throw error instanceof QueryError ? error : new QueryError(friendly(error));
    } finally {
      clearTimeout(timer);
    }
  }

  async #prepare(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
    await this.#checkIsOneSelect(connection, sql);
    let statements: Awaited<ReturnType<DuckDBConnection["extractStatements"]>>;
    try {
      statements = await connection.extractStatements(sql);
    } catch (error) {
      throw new QueryError(friendly(error, "Enter one SELECT statement."));
    }
    if (statements.count !== 1) {
      throw new QueryError(`Enter exactly one SELECT statement: found ${statements.count}.`);
    }
    let prepared: DuckDBPreparedStatement;
    try {
      prepared = await statements.prepare(0);
    } catch (error) {
      throw new QueryError(friendly(error));
    }
    if (prepared.statementType !== StatementType.SELECT) {
      const kind = STATEMENT_NAMES[prepared.statementType] ?? "unknown";
      prepared.destroySync();
      throw new QueryError(
        `Refused: this interface is read-only and runs SELECT statements only; this is a ${kind} statement.`,
      );
    }
    return prepared;
  }

  /**
   * Parses without binding (DuckDB's `json_serialize_sql` only accepts SELECT statements), so a
   * write is refused as a write before DuckDB looks up what it names.
   */
  async #checkIsOneSelect(connection: DuckDBConnection, sql: string): Promise<void> {
    const reader = await connection.runAndReadAll("select json_serialize_sql($sql::varchar)", {
      sql,
    });
    const parsed = JSON.parse(String(reader.getRowsJson()[0]?.[0] ?? "{}")) as {
      error?: boolean;
      error_message?: string;
      statements?: unknown[];
    };
    if (parsed.error === true) {
      const message = parsed.error_message ?? "";
      if (/Only SELECT statements/i.test(message)) {
        throw new QueryError(
          "Refused: this interface is read-only and runs SELECT statements only (no INSERT, CREATE, COPY, ATTACH, INSTALL, LOAD, SET or PRAGMA).",
        );
      }
      // A syntax error: preparing the statement reports it with its position.
      return;
    }
    const count = parsed.statements?.length ?? 0;
    if (count !== 1) throw new QueryError(`Enter exactly one SELECT statement: found ${count}.`);
  }

  async #readRows(result: DuckDBResult) {
    const { rowsMax } = this.#options;
    const cellCharsMax = this.#options.cellCharsMax ?? 2_000;
    const bytesMax = this.#options.resultBytesMax ?? 4 * 1024 * 1024;
    const rows: unknown[][] = [];
    let bytes = 0;
    while (true) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) return { rows, truncated: false };
      for (const row of chunk.convertRows(JsonDuckDBValueConverter)) {
        const cells = row.map((cell) => clip(cell, cellCharsMax));
        bytes += JSON.stringify(cells).length;
        if (rows.length >= rowsMax || bytes > bytesMax) return { rows, truncated: true };
        rows.push(cells);
      }
    }
  }

  #tableList() {
    return this.#tables.map(({ table, modifiedAt }) => ({ table, modifiedAt }));
  }
}

/** Long text cells are cut so one value cannot make the answer huge. */
function clip(cell: unknown, charsMax: number): unknown {
  if (typeof cell === "string" && cell.length > charsMax) return `${cell.slice(0, charsMax)}…`;
  if (cell !== null && typeof cell === "object") {
    const text = JSON.stringify(cell);
    return text.length > charsMax ? `${text.slice(0, charsMax)}…` : cell;
  }
  return cell;
}

/** DuckDB's message, first lines only, with advice where the cause is ours. */
function friendly(error: unknown, fallback = "The query failed."): string {
  const text = firstLines(error);
  if (text === "" || /native callback/i.test(text)) return fallback;
  if (/^Permission Error/i.test(text)) {
    return `Refused: only the lake's 3NF tables can be read (${TABLES_3NF.join(", ")}). ${text}`;
  }
  if (/^Catalog Error: Table with name (\w+) does not exist/i.test(text)) {
    return `${text} The tables are ${TABLES_3NF.join(", ")}; a table appears once \`make etl\` has written it.`;
  }
  return text;
}

/** The first few lines of an error's message (DuckDB adds a caret line for syntax errors). */
export function firstLines(error: unknown, linesMax = 4): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").slice(0, linesMax).join("\n").slice(0, 1000).trim();
}
