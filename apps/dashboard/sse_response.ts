import type { Subscription } from "./sse_hub.ts";

/**
 * The HTTP response of one SSE client, drained from its {@linkcode Subscription}.
 *
 * Hono's `streamSSE` would do for a handful of clients, but it writes through a
 * TransformStream and only learns of a dead client on its next write. Here the body is a
 * pull stream with no buffer of its own (`highWaterMark: 0`): Bun pulls only when the socket
 * can take more, so a client that stops reading leaves its events in the bounded queue, where
 * the hub sees it and drops it; the stream is then closed and `closeSoon` is called, which
 * should end the connection shortly (Bun: `server.timeout(request, 1)`) rather than hold the
 * unsent bytes until the idle timeout.
 *
 * @param subscription The client's queue.
 * @param signal The request's abort signal (the client went away).
 * @param closeSoon Ends the underlying connection soon (called for a dropped slow client).
 */
export function sseResponse(
  subscription: Subscription,
  signal: AbortSignal,
  closeSoon: () => void = () => {},
): Response {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const end = () => {
    const reason = subscription.closedReason;
    if (controller === undefined || reason === undefined) return;
    const current = controller;
    controller = undefined;
    try {
      current.close();
      if (reason === "slow") closeSoon();
    } catch {
      // Already closed by the other side: nothing left to release.
    }
  };
  signal.addEventListener("abort", () => subscription.close("aborted"), { once: true });
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async pull(c) {
        const chunk = await subscription.next();
        if (chunk === undefined) return end();
        c.enqueue(chunk);
      },
      cancel() {
        subscription.close("aborted");
      },
    },
    { highWaterMark: 0 },
  );
  // A client dropped while Bun is not pulling (its socket is full) must be ended from here.
  void subscription.closed.then(end);
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
