/**
 * @module platform
 * The two places where the web platform has a gap for a git server, as small functions the core
 * receives from its entry point (hono's serve-static pattern): SHA-1 hashing that can be fed
 * incrementally (WebCrypto's digest is one-shot) and zlib inflate that reports how many input bytes
 * one stream consumed (a pack stores back-to-back zlib streams without their compressed lengths, and
 * DecompressionStream cannot say where one ends). Deflate is here too so a runtime can supply its
 * native compressor; the portable one writes stored blocks.
 *
 * The portable defaults live in src/git and run everywhere; adapters pass faster native ones.
 */

/** An incremental SHA-1. `digest()` may be called once. */
export interface Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** Result of inflating one zlib stream that starts at the beginning of the input. */
export interface InflateResult {
  /** The inflated bytes. */
  data: Uint8Array;
  /** How many bytes of the input the zlib stream occupied (header, deflate data and adler32). */
  consumed: number;
}

/** The runtime-supplied primitives. Every function is synchronous: they sit on per-object hot paths. */
export interface Platform {
  /** Starts a new SHA-1 computation. */
  sha1(): Hasher;
  /**
   * Inflates the single zlib stream at the start of `input`; bytes after it are ignored.
   * Returns `null` when `input` ends before the stream does (the caller reads more and retries).
   * Throws a ProtocolError("ERR_ZLIB") when the stream is corrupt, and a LimitError when it
   * inflates to more than `maxOutput` bytes. `expectedSize` (pack entries declare it, -1 when
   * unknown) lets an implementation size its output buffer.
   */
  inflate(input: Uint8Array, expectedSize: number, maxOutput: number): InflateResult | null;
  /** Compresses `data` into one zlib stream. */
  deflate(data: Uint8Array): Uint8Array;
  /**
   * Optional hint that a lot of short-lived buffer memory just became garbage (ingest calls it after
   * every 32 MiB of object data). Runtimes whose collector lags behind large buffers (Bun) collect
   * here: a 200 MB push of big blobs peaked at 224 MB without it and 146 MB with it.
   */
  reclaim?(): void;
}
