import type { KafkaConfig, StreamConfig } from "../../modules/config/mod.ts";
import { type Logger, writeForwarded } from "../../modules/log/mod.ts";
import type {
  FromSplitterThread,
  SplitterThreadStatus,
  ToSplitterThread,
} from "./_splitter_thread.ts";

/** How long a thread may take to join the group, or to flush, commit and leave it. */
const THREAD_REPLY_MS_MAX = 60_000;

/** Options for {@linkcode SplitterThreads}. */
export interface SplitterThreadsOptions {
  /** How many threads (at least 1). */
  threads: number;
  kafka: KafkaConfig;
  stream: StreamConfig;
  log: Logger;
  /** Called when a thread's consumer crashed for good. */
  onFatal?: (error: Error) => void;
}

/**
 * Stage one on worker threads: each runs a {@linkcode Splitter} as its own member of the raw
 * topic's consumer group, so N threads behave exactly as N instances' stage one would (same
 * partials, same commits), and the raw partitions spread over them. Their log lines are
 * written through `log`; their counters and metrics are summed here.
 */
export class SplitterThreads {
  #o: SplitterThreadsOptions;
  #threads: Thread[] = [];

  constructor(options: SplitterThreadsOptions) {
    if (options.threads < 1) throw new RangeError(`threads must be at least 1: ${options.threads}`);
    this.#o = options;
  }

  /** Starts every thread; resolves once each has joined the group and started consuming. */
  async start(): Promise<void> {
    const { kafka, stream, log } = this.#o;
    for (let index = 0; index < this.#o.threads; index++) {
      this.#threads.push(new Thread(index, log, (message) => this.#fatal(index, message)));
    }
    try {
      await Promise.all(
        this.#threads.map((thread, index) =>
          thread.request({ type: "start", index, kafka, stream }, "started"),
        ),
      );
    } catch (error) {
      for (const thread of this.#threads) thread.terminate();
      throw error;
    }
  }

  /** Stops every thread: each sends what is queued, commits and leaves the group. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#threads.map(async (thread) => {
        await thread.request({ type: "stop" }, "stopped").catch((error: unknown) => {
          this.#o.log.warn("stream thread did not stop cleanly", { error });
        });
        thread.terminate();
      }),
    );
  }

  /** Partitions owned by the threads, as last reported. */
  get partitions(): number[] {
    return this.#threads.flatMap((thread) => thread.status.partitions).sort((a, b) => a - b);
  }

  /** The threads' worker counters, summed. */
  workerCounters(): Record<string, number> {
    return sum(this.#threads.map((thread) => thread.status.counters));
  }

  /** The threads' metrics, summed by series. */
  metrics(): Record<string, number> {
    return sum(this.#threads.map((thread) => thread.status.metrics));
  }

  #fatal(index: number, message: string): void {
    this.#o.onFatal?.(new Error(`stream thread ${index}: ${message}`));
  }
}

function sum(records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) out[name] = (out[name] ?? 0) + value;
  }
  return out;
}

/** One worker thread and the request waiting for its reply. */
class Thread {
  #worker = new Worker(new URL("./_splitter_thread.ts", import.meta.url).href);
  #waiter: ((message: FromSplitterThread) => void) | undefined;
  status: SplitterThreadStatus = { partitions: [], counters: {}, metrics: {} };

  constructor(index: number, log: Logger, onFatal: (message: string) => void) {
    this.#worker.onmessage = (event: MessageEvent<FromSplitterThread>) => {
      const message = event.data;
      if (message.type === "log") return writeForwarded(log, message);
      if (message.type === "status" || message.type === "stopped") {
        const { type: _type, ...status } = message;
        this.status = status;
      }
      if (message.type === "fatal") return onFatal(message.message);
      if (message.type === "status") return;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.(message);
    };
    // A crashed thread cannot consume again: the process must exit and be restarted.
    this.#worker.onerror = (event: ErrorEvent) => {
      const message = `thread ${index} crashed: ${event.message}`;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (waiter !== undefined) waiter({ type: "failed", message });
      else onFatal(message);
    };
  }

  /** Sends `message` and waits for the `expect` reply, within a bound. */
  request(message: ToSplitterThread, expect: FromSplitterThread["type"]): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`stream thread gave no ${expect} reply within ${THREAD_REPLY_MS_MAX} ms`));
      }, THREAD_REPLY_MS_MAX);
      this.#waiter = (reply) => {
        clearTimeout(timer);
        if (reply.type === expect) resolve();
        else reject(new Error(reply.type === "failed" ? reply.message : `got ${reply.type}`));
      };
      this.#worker.postMessage(message);
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}
