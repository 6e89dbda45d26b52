/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger: one JSON object per line on stderr. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default {"info"}, or `LOG_LEVEL` */
  level?: LogLevel;
  /** Where lines go. @default {stderr} */
  write?: (line: string) => void;
  /** The clock for the `time` field. @default {Date.now} */
  now?: () => number;
}

/**
 * Creates a logger whose lines carry `time`, `level`, `service` and `msg`, then the fields.
 *
 * @example
 * ```ts
 * const log = createLogger("ingest");
 * log.info("connected", { url });
 * ```
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LOG_LEVEL as LogLevel | undefined;
  const level = options.level ?? (envLevel && envLevel in RANK ? envLevel : "info");
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const emit = (at: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < RANK[level]) return;
    write(
      JSON.stringify(
        { time: new Date(now()).toISOString(), level: at, service, msg, ...fields },
        errorJson,
      ),
    );
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

function errorJson(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** One log line sent from a worker thread to the thread whose logger writes it. */
export interface ForwardedLog {
  type: "log";
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * A logger for a worker thread that posts every line (as {@linkcode ForwardedLog}) to the
 * thread that owns the real logger, which decides what is written (level, destination), as if
 * the code ran there. Pair with {@linkcode writeForwarded}.
 *
 * @example
 * ```ts
 * const log = forwardingLogger("stream", (line) => self.postMessage(line));
 * ```
 */
export function forwardingLogger(service: string, post: (line: ForwardedLog) => void): Logger {
  return createLogger(service, {
    level: "debug",
    write(line) {
      const { level, msg, time: _time, service: _service, ...fields } = JSON.parse(line);
      post({ type: "log", level, msg, fields });
    },
  });
}

/** Writes a line a {@linkcode forwardingLogger} posted, through `log`. */
export function writeForwarded(log: Logger, line: ForwardedLog): void {
  log[line.level](line.msg, line.fields);
}
