/**
 * @module util/push-stream
 * A ReadableStream fed by an async producer that awaits each write until the consumer has room,
 * so a producer writing hundreds of megabytes never runs ahead of a slow client (back-pressure
 * without polling). Cancelling the stream makes the next write throw StreamCancelled.
 */

export class StreamCancelled extends Error {
  constructor() {
    super("Stream was cancelled by the consumer");
    this.name = "StreamCancelled";
  }
}

export type Write = (chunk: Uint8Array) => Promise<void>;

/**
 * Runs `produce(write)` and exposes what it writes as a stream. If `produce` throws, the stream
 * errors (callers that must report errors in-band catch them inside `produce`).
 * @example
 * const body = pushStream(async (write) => { await write(new TextEncoder().encode("hi")); });
 */
export function pushStream(produce: (write: Write) => Promise<void>, highWaterMark = 8): ReadableStream<Uint8Array> {
  let wake: (() => void) | null = null;
  let cancelled = false;
  const resume = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const write: Write = async (chunk) => {
          if (cancelled) throw new StreamCancelled();
          if (chunk.length === 0) return;
          controller.enqueue(chunk);
          while (!cancelled && (controller.desiredSize ?? 1) <= 0) {
            await new Promise<void>((resolve) => (wake = resolve));
          }
          if (cancelled) throw new StreamCancelled();
        };
        queueMicrotask(() => {
          produce(write).then(
            () => {
              if (!cancelled) controller.close();
            },
            (error) => {
              if (!cancelled) controller.error(error);
            },
          );
        });
      },
      pull() {
        resume();
      },
      cancel() {
        cancelled = true;
        resume();
      },
    },
    { highWaterMark },
  );
}
