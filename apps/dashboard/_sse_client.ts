/**
 * A minimal Server-Sent Events reader over `fetch`, for the dashboard's tests and benchmark
 * (Bun has no EventSource). Parses `id`, `event`, `data` and skips comments and `retry`.
 */

/** One received event. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** Parses SSE text incrementally: feed chunks, get complete messages. */
export class SseParser {
  #buffer = "";

  /** Adds text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    this.#buffer += text;
    const out: SseMessage[] = [];
    let end = this.#buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const message = parseBlock(block);
      if (message !== undefined) out.push(message);
      end = this.#buffer.indexOf("\n\n");
    }
    return out;
  }
}

function parseBlock(block: string): SseMessage | undefined {
  let id: string | undefined;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  return data.length === 0 ? undefined : { id, event, data: data.join("\n") };
}

/** An open SSE connection read message by message. */
export class SseClient {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #parser = new SseParser();
  #pending: SseMessage[] = [];
  #decoder = new TextDecoder();
  readonly controller: AbortController;
  /** The id of the last message with one. */
  lastEventId: string | undefined;

  private constructor(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    controller: AbortController,
  ) {
    this.#reader = reader;
    this.controller = controller;
  }

  /** Connects to `url`, optionally resuming after `lastEventId`. */
  static async connect(url: string, lastEventId?: string): Promise<SseClient> {
    const controller = new AbortController();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const response = await fetch(url, { headers, signal: controller.signal });
    if (!response.ok || response.body === null) {
      throw new Error(`SSE connect to ${url} failed: HTTP ${response.status}`);
    }
    return new SseClient(response.body.getReader(), controller);
  }

  /** The next message; `undefined` when the stream ended. */
  async next(): Promise<SseMessage | undefined> {
    while (this.#pending.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#pending.push(...this.#parser.push(this.#decoder.decode(value, { stream: true })));
    }
    const message = this.#pending.shift()!;
    if (message.id !== undefined) this.lastEventId = message.id;
    return message;
  }

  /** The next message of kind `event` (others are skipped), failing after `timeoutMs`. */
  async nextOf(event: string, timeoutMs = 15_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no '${event}' event within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      while (Date.now() < deadline) {
        const message = await Promise.race([this.next(), timeout]);
        if (message === undefined) throw new Error(`stream ended before a '${event}' event`);
        if (message.event === event) return message;
      }
      throw new Error(`no '${event}' event within ${timeoutMs} ms`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection from the client side. */
  close(): void {
    this.controller.abort();
  }
}
