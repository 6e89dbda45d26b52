/** Label values of one series, e.g. `{ reason: "not-json" }`. */
export type Labels = Readonly<Record<string, string>>;

interface Series {
  labels: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge";
  series: Map<string, Series>;
}

/**
 * A set of counters and gauges rendered in the Prometheus text exposition format, for
 * `/metrics` endpoints and periodic JSON log lines.
 *
 * @example
 * ```ts
 * const metrics = new Registry();
 * const received = metrics.counter("ingest_received_total", "Messages received");
 * received.inc();
 * metrics.render(); // "# HELP ingest_received_total ..."
 * ```
 */
export class Registry {
  #families = new Map<string, Family>();

  /** A monotonically increasing count. */
  counter(name: string, help: string): Metric {
    return this.#family(name, help, "counter");
  }

  /** A value that goes up and down (a buffer depth, a lag). */
  gauge(name: string, help: string): Metric {
    return this.#family(name, help, "gauge");
  }

  #family(name: string, help: string, type: Family["type"]): Metric {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
      throw new TypeError(
        `Cannot register metric as its name is invalid: current value is ${name}`,
      );
    }
    let family = this.#families.get(name);
    if (family === undefined) {
      family = { name, help, type, series: new Map() };
      this.#families.set(name, family);
    }
    return new Metric(family);
  }

  /** Every series as Prometheus text. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.#families.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
      if (family.series.size === 0) lines.push(`${family.name} 0`);
      for (const { labels, value } of family.series.values()) {
        lines.push(`${family.name}${formatLabels(labels)} ${value}`);
      }
    }
    return `${lines.join("\n")}\n`;
  }

  /** Every series as a flat object, for a JSON log line: `{ "name{label=value}": n }`. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const family of this.#families.values()) {
      for (const { labels, value } of family.series.values()) {
        out[`${family.name}${formatLabels(labels).replaceAll('"', "")}`] = value;
      }
    }
    return out;
  }
}

/** One metric family; label sets are created on first use. */
export class Metric {
  #family: Family;

  constructor(family: Family) {
    this.#family = family;
  }

  #series(labels: Labels): Series {
    const key = formatLabels(labels);
    let series = this.#family.series.get(key);
    if (series === undefined) {
      series = { labels, value: 0 };
      this.#family.series.set(key, series);
    }
    return series;
  }

  /** Adds `by` (default 1). Counters only go up. */
  inc(by = 1, labels: Labels = {}): void {
    if (this.#family.type === "counter" && by < 0) {
      throw new RangeError(`Cannot decrease counter ${this.#family.name}: current value is ${by}`);
    }
    this.#series(labels).value += by;
  }

  /** Sets a gauge. */
  set(value: number, labels: Labels = {}): void {
    this.#series(labels).value = value;
  }

  /** The current value for `labels`. */
  get(labels: Labels = {}): number {
    return this.#family.series.get(formatLabels(labels))?.value ?? 0;
  }
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  const escapeValue = (value: string) =>
    value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
  return `{${keys.map((key) => `${key}="${escapeValue(labels[key] ?? "")}"`).join(",")}}`;
}
