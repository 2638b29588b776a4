import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { concatBytes, utf8Decode, utf8Encode } from "../../../src/util/bytes.ts";
import {
  gunzip,
  iterateStream,
  limitBytes,
  openChunkSource,
  readAllBytes,
  streamFromIterable,
} from "../../../src/util/streams.ts";

async function* iterate(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** A stream that records whether it was cancelled. */
function trackedStream(chunks: Uint8Array[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of iterateStream(stream)) parts.push(part);
  return concatBytes(parts);
}

async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const compressed = streamFromIterable(iterate([data])).pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return readStream(compressed);
}

const abc = [utf8Encode("a"), utf8Encode("bc"), utf8Encode("def")];

describe("iterateStream", () => {
  it("yields every chunk and releases the stream", async () => {
    const { stream, cancelled } = trackedStream(abc);
    assert.equal(utf8Decode(await readStream(stream)), "abcdef");
    assert.equal(cancelled(), false);
    assert.equal(stream.locked, false);
  });

  it("cancels the stream when the loop stops early", async () => {
    const { stream, cancelled } = trackedStream(abc);
    for await (const chunk of iterateStream(stream)) {
      assert.equal(utf8Decode(chunk), "a");
      break;
    }
    assert.equal(cancelled(), true);
  });

  it("rethrows a stream error", async () => {
    const boom = new Error("boom");
    const stream = new ReadableStream<Uint8Array>({ pull: (c) => c.error(boom) });
    await assert.rejects(readStream(stream), (e) => e === boom);
  });
});

describe("openChunkSource", () => {
  it("pulls from streams and iterables alike, then returns null", async () => {
    for (const source of [trackedStream(abc).stream, iterate(abc)]) {
      const chunks = openChunkSource(source);
      assert.equal(utf8Decode((await chunks.next())!), "a");
      assert.equal(utf8Decode((await chunks.next())!), "bc");
      assert.equal(utf8Decode((await chunks.next())!), "def");
      assert.equal(await chunks.next(), null);
      assert.equal(await chunks.next(), null);
      await chunks.cancel();
    }
  });

  it("cancel stops the producer", async () => {
    const tracked = trackedStream(abc);
    const source = openChunkSource(tracked.stream);
    await source.next();
    await source.cancel("done");
    assert.equal(tracked.cancelled(), true);
    assert.equal(await source.next(), null);
  });
});

describe("limitBytes / readAllBytes", () => {
  it("passes data at the limit through", async () => {
    assert.equal(utf8Decode(await readAllBytes(limitBytes(iterate(abc), 6, "maxPushBytes"), 6, "maxPushBytes")), "abcdef");
    assert.equal((await readAllBytes(iterate([]), 0, "x")).length, 0);
  });

  it("throws LimitError naming the limit as soon as it is exceeded", async () => {
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of limitBytes(iterate(abc), 5, "maxPushBytes")) seen.push(utf8Decode(chunk));
      })(),
      (error: unknown) => {
        assert.ok(error instanceof LimitError);
        assert.equal(error.limit, "maxPushBytes");
        assert.equal(error.code, "ERR_LIMIT");
        assert.equal(error.message, "Input exceeds the limit maxPushBytes of 5 bytes");
        return true;
      },
    );
    assert.deepEqual(seen, ["a", "bc", "de"], "the bytes up to the limit are passed on, then the error");
    await assert.rejects(readAllBytes(iterate(abc), 3, "maxNegotiationBytes"), {
      message: "Input exceeds the limit maxNegotiationBytes of 3 bytes",
    });
  });

  it("readAllBytes returns a single chunk without copying", async () => {
    const only = utf8Encode("only");
    assert.equal(await readAllBytes(iterate([only]), 10, "x"), only);
  });
});

describe("streamFromIterable", () => {
  it("pulls lazily, skips empty chunks and closes at the end", async () => {
    let produced = 0;
    async function* source() {
      for (const c of [utf8Encode("a"), new Uint8Array(0), utf8Encode("b"), utf8Encode("c"), utf8Encode("d")]) {
        produced++;
        yield c;
      }
    }
    const stream = streamFromIterable(source());
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(produced <= 1, `produced ${produced} chunks before any read`);
    const reader = stream.getReader();
    assert.equal(utf8Decode((await reader.read()).value!), "a");
    assert.equal(utf8Decode((await reader.read()).value!), "b");
    assert.ok(produced <= 4, `produced ${produced} chunks after two reads`);
    assert.equal(utf8Decode((await reader.read()).value!), "c");
    assert.equal(utf8Decode((await reader.read()).value!), "d");
    assert.equal((await reader.read()).done, true);
  });

  it("returns the iterator on cancel", async () => {
    let finalized = false;
    async function* source() {
      try {
        for (;;) yield utf8Encode("x");
      } finally {
        finalized = true;
      }
    }
    const reader = streamFromIterable(source()).getReader();
    await reader.read();
    await reader.cancel();
    assert.equal(finalized, true);
  });

  it("turns an iterator error into a stream error", async () => {
    const boom = new Error("boom");
    async function* source(): AsyncGenerator<Uint8Array> {
      yield utf8Encode("x");
      throw boom;
    }
    await assert.rejects(readStream(streamFromIterable(source())), (e) => e === boom);
  });
});

describe("gunzip", () => {
  it("round-trips with CompressionStream, however the input is chunked", async () => {
    const data = new Uint8Array(200_000).map((_, i) => (i * 31) % 97);
    const compressed = await gzip(data);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < compressed.length; at += 333) chunks.push(compressed.subarray(at, at + 333));
    assert.deepEqual(await readStream(gunzip(trackedStream(chunks).stream)), data);
  });

  it("reports corrupt gzip as ProtocolError ERR_REQUEST", async () => {
    const bad = utf8Encode("this is not gzip at all");
    await assert.rejects(readStream(gunzip(trackedStream([bad]).stream)), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.equal(error.code, "ERR_REQUEST");
      assert.match(error.message, /^Cannot decode gzip request body: ./);
      return true;
    });
  });

  it("reports truncated gzip as ProtocolError ERR_REQUEST", async () => {
    const compressed = await gzip(utf8Encode("hello world, hello world, hello world"));
    const truncated = compressed.subarray(0, compressed.length - 6);
    await assert.rejects(readStream(gunzip(trackedStream([truncated]).stream)), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.match(error.message, /^Cannot decode gzip request body: /);
      return true;
    });
  });

  it("passes errors of the source through unchanged", async () => {
    const compressed = await gzip(new Uint8Array(10_000));
    const limited = streamFromIterable(limitBytes(iterate([compressed.subarray(0, 10), compressed.subarray(10)]), 12, "maxPushBytes"));
    await assert.rejects(readStream(gunzip(limited)), (error: unknown) => {
      assert.ok(error instanceof LimitError, String(error));
      assert.equal(error.limit, "maxPushBytes");
      return true;
    });
    const reset = new TypeError("network connection lost");
    const failing = streamFromIterable(
      (async function* () {
        yield compressed.subarray(0, 10);
        throw reset;
      })(),
    );
    await assert.rejects(readStream(gunzip(failing)), (e) => e === reset);
  });
});
