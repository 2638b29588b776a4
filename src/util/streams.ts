/**
 * @module streams
 * Glue between web ReadableStreams and async iterables, with the byte limits of src/limits.ts
 * applied while data flows (DESIGN "Streaming and memory": every accumulating loop is bounded).
 * Request bodies may be gzip-encoded (gitprotocol-http: clients may send `Content-Encoding: gzip`),
 * decoded with the web `DecompressionStream`.
 */

import { LimitError, ProtocolError, ReposError } from "../errors.ts";
import { concatBytes } from "./bytes.ts";

/** Anything a byte decoder can read from. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** A pull interface over a ByteSource: `next()` gives the next chunk or null at the end. */
export interface ChunkSource {
  next(): Promise<Uint8Array | null>;
  /** Stops the underlying producer early (idempotent; a no-op once it has ended). */
  cancel(reason?: unknown): Promise<void>;
}

/** Opens `source` for pulling. A ReadableStream is read through its own reader (no iterator wrapper). */
export function openChunkSource(source: ByteSource): ChunkSource {
  return isReadableStream(source) ? streamChunkSource(source) : iterableChunkSource(source);
}

function isReadableStream(source: ByteSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === "function";
}

function streamChunkSource(stream: ReadableStream<Uint8Array>): ChunkSource {
  const reader = stream.getReader();
  let done = false;
  return {
    async next() {
      if (done) return null;
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        done = true; // an errored stream has nothing left to cancel
        throw error;
      }
      if (!result.done) return result.value;
      done = true;
      reader.releaseLock();
      return null;
    },
    async cancel(reason) {
      if (done) return;
      done = true;
      await reader.cancel(reason);
    },
  };
}

function iterableChunkSource(iterable: AsyncIterable<Uint8Array>): ChunkSource {
  const iterator = iterable[Symbol.asyncIterator]();
  let done = false;
  return {
    async next() {
      if (done) return null;
      let result: IteratorResult<Uint8Array>;
      try {
        result = await iterator.next();
      } catch (error) {
        done = true; // a generator that threw is finished
        throw error;
      }
      if (!result.done) return result.value;
      done = true;
      return null;
    },
    async cancel() {
      if (done) return;
      done = true;
      await iterator.return?.();
    },
  };
}

/**
 * Iterates a ReadableStream with a reader (Safari and older runtimes lack `for await` on streams).
 * Breaking out of the loop cancels the stream. Example: `for await (const c of iterateStream(body))`.
 */
export async function* iterateStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const result = await reader.read();
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } catch (error) {
    finished = true; // an errored stream cannot be cancelled
    throw error;
  } finally {
    if (!finished) await reader.cancel();
    reader.releaseLock();
  }
}

/**
 * Passes `source` through, throwing LimitError(limitName) once more than `max` bytes arrive. The
 * bytes up to the limit are still yielded first, so a consumer that needs only the start of a body
 * (a push's command list) decodes it whatever size the transport's chunks have, and the error
 * surfaces where the excess is read. Example: `limitBytes(body, limits.maxPushBytes, "maxPushBytes")`.
 */
export async function* limitBytes(
  source: AsyncIterable<Uint8Array>,
  max: number,
  limitName: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const chunk of source) {
    if (total + chunk.length > max) {
      if (max > total) yield chunk.subarray(0, max - total);
      throw limitExceeded(limitName, max);
    }
    total += chunk.length;
    yield chunk;
  }
}

function limitExceeded(limitName: string, max: number): LimitError {
  return new LimitError(limitName, `Input exceeds the limit ${limitName} of ${max} bytes`);
}

/** Reads `source` to the end into one array; throws LimitError(limitName) beyond `max` bytes. */
export async function readAllBytes(source: AsyncIterable<Uint8Array>, max: number, limitName: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw limitExceeded(limitName, max);
    parts.push(chunk);
  }
  return parts.length === 1 ? parts[0]! : concatBytes(parts, total);
}

/**
 * A pull-based ReadableStream over `iterable`: the iterator advances only when the consumer reads
 * (one chunk of read-ahead), errors become stream errors, and cancelling the stream returns the iterator.
 */
export function streamFromIterable(iterable: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A pull that enqueues nothing is not called again, so skip empty chunks here.
      for (;;) {
        const result = await iterator.next();
        if (result.done) return controller.close();
        if (result.value.length > 0) return controller.enqueue(result.value);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/**
 * Decodes a gzip request body (`Content-Encoding: gzip`). Corrupt or truncated gzip surfaces as
 * ProtocolError("ERR_REQUEST"); errors of `source` itself (a LimitError, a dropped connection) pass unchanged.
 */
export function gunzip(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const sourceFailure: { error?: unknown } = {};
  const input = streamFromIterable(watchErrors(iterateStream(source), sourceFailure));
  const inflated = input.pipeThrough(new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>);
  return streamFromIterable(translateGzipErrors(inflated, sourceFailure));
}

async function* watchErrors(
  source: AsyncIterable<Uint8Array>,
  failure: { error?: unknown },
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* source;
  } catch (error) {
    failure.error = error;
    throw error;
  }
}

async function* translateGzipErrors(
  inflated: ReadableStream<Uint8Array>,
  sourceFailure: { error?: unknown },
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* iterateStream(inflated);
  } catch (error) {
    if (error instanceof ReposError || ("error" in sourceFailure && error === sourceFailure.error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProtocolError("ERR_REQUEST", `Cannot decode gzip request body: ${reason}`, { cause: error });
  }
}
