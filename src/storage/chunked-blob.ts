/**
 * @module storage/chunked-blob
 * Large immutable byte blobs (stored packs) over any KvStore, whose values are small (Deno KV:
 * 64 KiB). A blob is the raw bytes cut into chunks of `min(maxValueBytes, 1 MiB)` under keys
 * `<prefix>/<8 hex digits of the chunk index>`, so the chunks list in order and a sequential read is
 * a few list pages rather than one get per chunk. Blobs are written once and never modified; the
 * chunks are written non-atomically and stay invisible until a later atomic commit stores the blob's
 * BlobInfo (DESIGN.md "Objects are immutable ... refs are the only mutable state").
 */
import { StorageError } from "../errors.ts";
import { deletePrefix, writeUnordered } from "./storage.ts";
import type { KvLimits, KvMutation, KvStore } from "./types.ts";

/** What a reader needs to know about a finished blob; published by the caller in an atomic commit. */
export interface BlobInfo {
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
}

/** Chunks above 1 MiB would only make range reads coarser. */
const MAX_CHUNK_BYTES = 1 << 20;
/** Completed chunks are written in batches of about this many bytes, one batch in flight. */
const FLUSH_BYTES = 4 << 20;
const EMPTY: Uint8Array = new Uint8Array(0);
/** First allocation for the chunk being filled, so small blobs do not allocate a whole chunk. */
const MIN_BUFFER_BYTES = 16 << 10;

/**
 * The chunk size a store gets: its largest value, at most 1 MiB.
 * @example blobChunkBytes(store.limits) // 65536 on Deno KV
 */
export function blobChunkBytes(limits: KvLimits): number {
  return Math.min(limits.maxValueBytes, MAX_CHUNK_BYTES);
}

/**
 * The key of chunk `index` of the blob at `prefix`.
 * @example chunkKey("packs/p1", 10) === "packs/p1/0000000a"
 */
export function chunkKey(prefix: string, index: number): string {
  return `${prefix}/${index.toString(16).padStart(8, "0")}`;
}

/**
 * Streams bytes into a new blob. Memory stays bounded: the chunk being filled, one batch waiting
 * and one batch being written. Await each `write` before the next.
 * @example
 * const writer = new BlobWriter(store, "packs/p1");
 * for await (const part of body) await writer.write(part);
 * const info = await writer.finish();
 */
export class BlobWriter {
  readonly chunkBytes: number;
  readonly #store: KvStore;
  readonly #prefix: string;
  readonly #flushBytes: number;
  #chunk: Uint8Array = EMPTY;
  #fill = 0;
  #chunks = 0;
  #size = 0;
  #batch: KvMutation[] = [];
  #batchBytes = 0;
  /** Full chunk buffers of the batch, reused once it is stored (a store copies what it commits). */
  #batchBuffers: Uint8Array[] = [];
  #spare: Uint8Array[] = [];
  #inflight: Promise<void> = Promise.resolve();
  #error: unknown = undefined;
  #finished = false;

  constructor(store: KvStore, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
    this.chunkBytes = blobChunkBytes(store.limits);
    this.#flushBytes = Math.max(FLUSH_BYTES, this.chunkBytes);
  }

  /** Appends `bytes` (copied: the caller may reuse its buffer). */
  async write(bytes: Uint8Array): Promise<void> {
    this.#assertWritable();
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(this.chunkBytes - this.#fill, bytes.length - offset);
      this.#reserve(this.#fill + n);
      this.#chunk.set(bytes.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      offset += n;
      this.#size += n;
      if (this.#fill === this.chunkBytes) await this.#seal();
    }
  }

  /** Writes what is buffered and waits for every chunk to be stored. */
  async finish(): Promise<BlobInfo> {
    this.#assertWritable();
    this.#finished = true;
    if (this.#fill > 0) await this.#seal();
    if (this.#batch.length > 0) await this.#flush();
    await this.#inflight;
    this.#throwIfFailed();
    return { size: this.#size, chunkBytes: this.chunkBytes, chunks: this.#chunks };
  }

  #assertWritable(): void {
    this.#throwIfFailed();
    if (this.#finished) throw new StorageError("ERR_STORAGE", `Cannot write blob "${this.#prefix}": it is finished`);
  }

  #throwIfFailed(): void {
    if (this.#error !== undefined) {
      throw new StorageError("ERR_STORAGE", `Cannot write blob "${this.#prefix}": a chunk write failed`, {
        cause: this.#error,
      });
    }
  }

  /**
   * Makes the chunk buffer hold `bytes`: the first chunk grows by doubling so small blobs stay
   * small; once a chunk has filled, later ones start at full size (reused when possible).
   */
  #reserve(bytes: number): void {
    if (bytes <= this.#chunk.length) return;
    const spare = this.#fill === 0 ? this.#spare.pop() : undefined;
    if (spare !== undefined) {
      this.#chunk = spare;
      return;
    }
    const doubled = Math.max(bytes, MIN_BUFFER_BYTES, this.#chunk.length * 2);
    const size = this.#chunks > 0 ? this.chunkBytes : Math.min(this.chunkBytes, doubled);
    const grown = new Uint8Array(size);
    grown.set(this.#chunk.subarray(0, this.#fill));
    this.#chunk = grown;
  }

  async #seal(): Promise<void> {
    const value = this.#chunk.subarray(0, this.#fill);
    this.#batch.push({ type: "set", key: chunkKey(this.#prefix, this.#chunks++), value });
    this.#batchBytes += value.length;
    if (this.#chunk.length === this.chunkBytes) this.#batchBuffers.push(this.#chunk);
    this.#chunk = EMPTY;
    this.#fill = 0;
    if (this.#batchBytes >= this.#flushBytes) await this.#flush();
  }

  /** Starts writing the batch once the previous one is stored (back-pressure). */
  async #flush(): Promise<void> {
    const batch = this.#batch;
    const buffers = this.#batchBuffers;
    this.#batch = [];
    this.#batchBuffers = [];
    this.#batchBytes = 0;
    await this.#inflight;
    this.#throwIfFailed();
    // Caught here so a failure is never an unhandled rejection; the next call reports it.
    this.#inflight = writeUnordered(this.#store, batch).then(
      () => void this.#spare.push(...buffers),
      (error: unknown) => void (this.#error = error),
    );
  }
}

function corrupt(prefix: string, message: string): StorageError {
  return new StorageError("ERR_CORRUPT", `Cannot read blob "${prefix}": ${message}`);
}

/**
 * Yields the bytes [start, end) of a blob as views into its chunks, reading them with list pages.
 * Throws ERR_CORRUPT when a chunk is missing or short.
 * @example for await (const part of readBlobRange(store, "packs/p1", info.chunkBytes, 0, info.size)) out.write(part);
 */
export async function* readBlobRange(
  store: KvStore,
  prefix: string,
  chunkBytes: number,
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end)) {
    throw new RangeError(`Cannot read blob "${prefix}": range [${start}, ${end}) is not 0 <= start <= end`);
  }
  if (start === end) return;
  const first = Math.floor(start / chunkBytes);
  const last = Math.ceil(end / chunkBytes);
  let index = first;
  const range = { prefix: `${prefix}/`, start: chunkKey(prefix, first), end: chunkKey(prefix, last), limit: last - first };
  for await (const entry of store.list(range)) {
    if (entry.key !== chunkKey(prefix, index)) throw corrupt(prefix, `chunk ${index} is missing`);
    const base = index * chunkBytes;
    const hi = Math.min(end - base, chunkBytes);
    if (entry.value.length < hi) {
      throw corrupt(prefix, `chunk ${index} has ${entry.value.length} bytes, expected at least ${hi}`);
    }
    yield entry.value.subarray(Math.max(start - base, 0), hi);
    index++;
  }
  if (index < last) throw corrupt(prefix, `chunk ${index} is missing`);
}

/**
 * Reads the bytes [start, end) of a blob into one new array (for small ranges).
 * @example const header = await readBlobBytes(store, "packs/p1", info.chunkBytes, 0, 12);
 */
export async function readBlobBytes(
  store: KvStore,
  prefix: string,
  chunkBytes: number,
  start: number,
  end: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(Math.max(0, end - start));
  let at = 0;
  for await (const part of readBlobRange(store, prefix, chunkBytes, start, end)) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Deletes every chunk of a blob (non-atomically; unpublish it first). Returns the number of chunks.
 * @example await deleteBlob(store, "packs/p1");
 */
export function deleteBlob(store: KvStore, prefix: string): Promise<number> {
  return deletePrefix(store, `${prefix}/`);
}
