/**
 * @module git/pack-parser
 * A streaming reader for pack files (gitformat-pack "pack-*.pack files have the following format"):
 * header, entries (type-and-size header, OFS_DELTA offset or REF_DELTA base id, one zlib stream
 * each), and the SHA-1 trailer. It reads a push body chunk by chunk and never holds the whole pack:
 * only the bytes not yet parsed are buffered, so memory stays near twice the largest compressed
 * entry plus one input chunk. Entries are handed out inflated but unresolved; resolving deltas
 * needs the bases and belongs to the indexer.
 *
 * A pack's zlib streams do not record their compressed length, so the only way to find where an
 * entry ends is to inflate it. Inflation needs the stream contiguous and is retried only after the
 * buffered amount doubles, which keeps a 32 MB entry arriving in 16 KiB chunks linear, not quadratic;
 * streams of stored blocks (incompressible content) announce their length and need no retry at all.
 */
import { LimitError, ProtocolError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import type { Hasher, InflateResult, Platform } from "../platform.ts";
import { hexEncode } from "../util/bytes.ts";
import { type ObjectId, OID_BYTES, oidFromBytes } from "./object-id.ts";
import { isPackType, PACK_OFS_DELTA, PACK_REF_DELTA, type PackType } from "./object-type.ts";
import {
  decodeEntryHeader,
  decodeOfsDelta,
  decodePackHeader,
  PACK_HEADER_LENGTH,
  PACK_TRAILER_LENGTH,
} from "./pack-format.ts";

/** One entry of a pack, inflated but not resolved. */
export interface PackEntry {
  /** 0-based position in the pack. */
  index: number;
  /** Byte offset of the entry header in the pack. */
  offset: number;
  /** Bytes of the entry header: type and size, plus the OFS_DELTA offset or the REF_DELTA base id. */
  headerLength: number;
  /** 1-4 for whole objects (commit, tree, blob, tag), 6 OFS_DELTA, 7 REF_DELTA. */
  packType: PackType;
  /** Inflated size declared by the entry header (checked against `data.length`). */
  size: number;
  /** OFS_DELTA: absolute offset of the base entry, always the start of an earlier entry. */
  baseOffset?: number;
  /** REF_DELTA: id of the base object (in this pack or, in a thin pack, outside it). */
  baseId?: ObjectId;
  /** The inflated payload: the object content, or the delta instructions (a fresh buffer the caller owns). */
  data: Uint8Array;
  /** Bytes of the zlib stream; the entry spans [offset, offset + headerLength + compressedLength). */
  compressedLength: number;
}

/** What a complete, verified pack was. */
export interface PackParseResult {
  objectCount: number;
  /** Bytes of the pack including its trailer (a tolerated trailing flush-pkt is not counted). */
  packBytes: number;
  /** The trailer, verified to be the SHA-1 of every byte before it. */
  checksum: ObjectId;
}

/** Options of `parsePack`. */
export interface PackParseOptions {
  platform: Platform;
  limits: Limits;
  /** Called for each entry in pack order; parsing waits for the returned promise (back-pressure). */
  onEntry(entry: PackEntry): void | Promise<void>;
  /**
   * Receives every byte of the pack exactly once and in order, header and trailer included, as
   * views of the source's chunks (or of buffers the parser joined when an entry spanned chunks).
   * The parser never writes to a buffer after passing it here, so the caller may keep the views as
   * long as the source does not reuse its chunks; a kept view pins its whole underlying buffer.
   * Bytes are delivered (one call per input chunk) once the parser has used that chunk up, so when
   * `onEntry` runs they may trail the entry by up to one chunk, or by the joined buffer an entry
   * spanning chunks was read from; all of them are delivered and awaited before `parsePack` resolves.
   */
  onBytes?(chunk: Uint8Array): void | Promise<void>;
}

/** The header fields of an entry. */
type EntryHead = Pick<PackEntry, "packType" | "size" | "headerLength" | "baseOffset" | "baseId">;

/** Git's flush-pkt: some clients send one after the pack; we accept exactly these 4 bytes there. */
const FLUSH_PKT = [0x30, 0x30, 0x30, 0x30];
/** Longest entry header: 10 type-and-size bytes plus a 20-byte base id (an OFS offset is at most 8). */
const MAX_HEADER_BYTES = 32;
const EMPTY = new Uint8Array(0);

/**
 * Parses and verifies a pack streamed as chunks of any size, calling `onEntry` for each entry.
 * Throws ProtocolError("ERR_PACK") for malformed or truncated packs (messages carry object indexes
 * and offsets), ProtocolError("ERR_ZLIB") for corrupt zlib streams, LimitError for limits.
 * Example: `await parsePack(body, { platform, limits, onEntry: (e) => index.add(e) })`.
 */
export async function parsePack(
  source: AsyncIterable<Uint8Array>,
  options: PackParseOptions,
): Promise<PackParseResult> {
  const input = new PackInput(source[Symbol.asyncIterator](), options.platform.sha1(), options.onBytes);
  let parsed = false;
  try {
    const result = await new PackParser(input, options).run();
    parsed = true;
    return result;
  } finally {
    if (!parsed) await input.cancel();
  }
}

/** The parse itself: header, entries, trailer, end of input. */
class PackParser {
  readonly #input: PackInput;
  readonly #options: PackParseOptions;
  readonly #starts = new EntryStarts();
  #objectCount = 0;

  constructor(input: PackInput, options: PackParseOptions) {
    this.#input = input;
    this.#options = options;
  }

  async run(): Promise<PackParseResult> {
    await this.#readHeader();
    for (let index = 0; index < this.#objectCount; index++) {
      const entry = await this.#readEntry(index);
      await this.#input.flush();
      await this.#options.onEntry(entry);
    }
    const checksum = await this.#readTrailer();
    const packBytes = this.#input.offset;
    await this.#expectEnd();
    await this.#input.flush();
    return { objectCount: this.#objectCount, packBytes, checksum };
  }

  async #readHeader(): Promise<void> {
    const input = this.#input;
    while (input.buffered < PACK_HEADER_LENGTH) {
      if (!(await input.fill())) {
        throw packError(
          `Pack is truncated: the header needs 12 bytes but the input ended after ${input.buffered}`,
        );
      }
    }
    const [bytes, start] = input.view(PACK_HEADER_LENGTH);
    const header = decodePackHeader(bytes.subarray(start, start + PACK_HEADER_LENGTH));
    const max = this.#options.limits.maxPackObjects;
    if (header.objectCount > max) {
      throw new LimitError(
        "maxPackObjects",
        `Pack declares ${header.objectCount} objects: the limit is ${max}`,
      );
    }
    this.#objectCount = header.objectCount;
    input.consume(PACK_HEADER_LENGTH);
  }

  async #readEntry(index: number): Promise<PackEntry> {
    const input = this.#input;
    const offset = input.offset;
    try {
      const header = await this.#readEntryHeader(index, offset);
      const maxBytes = this.#options.limits.maxObjectBytes;
      if (header.size > maxBytes) {
        throw new LimitError(
          "maxObjectBytes",
          `Object ${index} at offset ${offset} declares ${header.size} bytes: the limit is ${maxBytes}`,
        );
      }
      const inflated = await this.#inflateEntry(index, offset, header.headerLength, header.size);
      input.consume(header.headerLength + inflated.consumed);
      this.#starts.add(offset);
      return { index, offset, ...header, data: inflated.data, compressedLength: inflated.consumed };
    } catch (error) {
      // A count larger than the entries present makes us read the trailer as an entry, which fails
      // in arbitrary ways (bad type, huge size, short stream): when only 20 bytes were left, say so.
      const ours = error instanceof ProtocolError || error instanceof LimitError;
      if (ours && !input.failed && (await input.remainderIs(PACK_TRAILER_LENGTH))) {
        throw packError(
          `Pack is truncated: expected ${this.#objectCount} objects, input ended after ${index} and a 20-byte trailer`,
        );
      }
      throw error;
    }
  }

  /** Decodes the header of entry `index` without consuming it. */
  async #readEntryHeader(index: number, offset: number): Promise<EntryHead> {
    const input = this.#input;
    for (;;) {
      const [bytes, start] = input.view(MAX_HEADER_BYTES);
      const header = this.#decodeEntryHeader(bytes, start, index, offset);
      if (header !== null) return header;
      if (!(await input.fill())) throw this.#truncated(index, offset);
    }
  }

  #decodeEntryHeader(bytes: Uint8Array, start: number, index: number, offset: number): EntryHead | null {
    const head = decodeEntryHeader(bytes, start);
    if (head === null) return null;
    const { packType, size } = head;
    if (!isPackType(packType)) {
      throw packError(
        `Invalid type ${packType} in the header of object ${index} at offset ${offset}: expected 1, 2, 3, 4, 6 or 7`,
      );
    }
    const at = start + head.headerLength;
    if (packType === PACK_OFS_DELTA) {
      const ofs = decodeOfsDelta(bytes, at);
      if (ofs === null) return null;
      const baseOffset = this.#checkBaseOffset(index, offset, ofs.distance);
      return { packType, size, headerLength: head.headerLength + ofs.length, baseOffset };
    }
    if (packType === PACK_REF_DELTA) {
      if (at + OID_BYTES > bytes.length) return null;
      return { packType, size, headerLength: head.headerLength + OID_BYTES, baseId: oidFromBytes(bytes, at) };
    }
    return { packType, size, headerLength: head.headerLength };
  }

  #checkBaseOffset(index: number, offset: number, distance: number): number {
    const baseOffset = offset - distance;
    const where = `Object ${index} at offset ${offset} is an OFS_DELTA`;
    if (distance === 0) {
      throw packError(`${where} with distance 0: expected its base to be an earlier object`);
    }
    if (baseOffset < PACK_HEADER_LENGTH) {
      throw packError(
        `${where} ${distance} bytes back, before the first object at offset ${PACK_HEADER_LENGTH}`,
      );
    }
    if (!this.#starts.has(baseOffset)) {
      throw packError(`${where} whose base offset ${baseOffset} is not the start of an object`);
    }
    return baseOffset;
  }

  /**
   * Inflates the entry whose header (`headerLength` bytes) starts the buffer. The first try uses the
   * bytes already contiguous in the current chunk (no copy); later tries join everything buffered
   * and happen only once that amount has doubled, the input has ended, or the stream's stored
   * blocks say exactly how long it is (see `zlibLengthHint`).
   */
  async #inflateEntry(
    index: number,
    offset: number,
    headerLength: number,
    size: number,
  ): Promise<InflateResult> {
    const input = this.#input;
    // No sane deflater expands data this much (stored blocks cost 5 bytes per 64 KiB): a stream
    // still unfinished past this is corrupt, and waiting longer would buffer the rest of the push.
    const maxStream = 2 * size + 1024 + headerLength;
    let tried = 0; // bytes from the entry start in the last view looked at
    let waitFor = 0; // look again once this many bytes are buffered (or the input has ended)
    for (;;) {
      if ((input.buffered >= waitFor || input.ended) && input.buffered > Math.max(tried, headerLength)) {
        const inHead = input.headAvailable();
        const amount = tried === 0 && inHead > headerLength ? inHead : input.buffered;
        const [bytes, start] = input.view(amount);
        const stream = bytes.subarray(start + headerLength, start + amount);
        const hint = zlibLengthHint(stream);
        if (hint.length <= stream.length || input.ended) {
          const result = this.#inflate(stream, size, index, offset);
          if (result !== null) return result;
        }
        tried = amount;
        if (Math.max(tried, headerLength + hint.length) > maxStream) {
          throw packError(
            `Object ${index} at offset ${offset} is corrupt: its zlib stream is unfinished after ${
              tried - headerLength
            } bytes for ${size} declared bytes`,
          );
        }
        waitFor = hint.exact ? headerLength + hint.length : Math.max(2 * amount, headerLength + hint.length);
      }
      if (!(await input.fill()) && input.buffered <= Math.max(tried, headerLength)) {
        throw this.#truncated(index, offset);
      }
    }
  }

  #inflate(stream: Uint8Array, size: number, index: number, offset: number): InflateResult | null {
    let result: InflateResult | null;
    try {
      result = this.#options.platform.inflate(stream, size, size);
    } catch (error) {
      if (error instanceof LimitError) {
        throw packError(
          `Object ${index} at offset ${offset} inflates to more than the ${size} bytes its header declares`,
        );
      }
      if (error instanceof ProtocolError && error.code === "ERR_ZLIB") {
        throw new ProtocolError(
          "ERR_ZLIB",
          `Cannot inflate object ${index} at offset ${offset}: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    if (result !== null && result.data.length !== size) {
      throw packError(
        `Object ${index} at offset ${offset} inflates to ${result.data.length} bytes but its header declares ${size}`,
      );
    }
    return result;
  }

  #truncated(index: number, offset: number): ProtocolError {
    if (this.#input.buffered === 0) {
      return packError(
        `Pack is truncated: expected ${this.#objectCount} objects, input ended after ${index}`,
      );
    }
    return packError(`Pack is truncated: input ended inside object ${index} at offset ${offset}`);
  }

  async #readTrailer(): Promise<ObjectId> {
    const input = this.#input;
    const digest = input.finishHash();
    while (input.buffered < PACK_TRAILER_LENGTH) {
      if (!(await input.fill())) {
        throw packError(
          `Pack is truncated: the 20-byte trailer at offset ${input.offset} is missing, input ended after ${input.buffered} of its bytes`,
        );
      }
    }
    const [bytes, start] = input.view(PACK_TRAILER_LENGTH);
    const trailer = hexEncode(bytes, start, PACK_TRAILER_LENGTH);
    const actual = hexEncode(digest, 0, PACK_TRAILER_LENGTH);
    if (trailer !== actual) {
      throw packError(`Pack checksum mismatch: the trailer says ${trailer} but the pack hashes to ${actual}`);
    }
    input.consume(PACK_TRAILER_LENGTH);
    return trailer;
  }

  /** After the trailer: nothing, or exactly one flush-pkt. */
  async #expectEnd(): Promise<void> {
    const input = this.#input;
    while (input.buffered <= FLUSH_PKT.length && (await input.fill()));
    if (input.buffered === 0) return;
    if (input.buffered === FLUSH_PKT.length) {
      const [bytes, start] = input.view(FLUSH_PKT.length);
      if (FLUSH_PKT.every((b, i) => bytes[start + i] === b)) return;
    }
    const more = input.ended ? `${input.buffered}` : `more than ${FLUSH_PKT.length}`;
    throw packError(
      `Pack has ${more} bytes after its trailer at offset ${input.offset}: expected the end of the input`,
    );
  }
}

/** What the start of a zlib stream tells about its length. */
interface LengthHint {
  /** The stream is at least this long (or exactly, when `exact`). */
  length: number;
  exact: boolean;
}

/**
 * Reads the length of a zlib stream (RFC 1950) from its leading stored blocks (RFC 1951 3.2.4,
 * "Non-compressed blocks": a byte-aligned header with LEN). Incompressible content — binaries,
 * images, archives — deflates to nothing but stored blocks, so this says exactly how many bytes to
 * wait for, where blind inflate tries would each re-inflate everything buffered and fail. Walks only
 * block headers; returns a lower bound when a compressed block or the end of `stream` comes first.
 */
function zlibLengthHint(stream: Uint8Array): LengthHint {
  // A preset dictionary (FDICT) moves the first block; git never sets one, so assume nothing.
  if (stream.length < 2 || (stream[1]! & 0x20) !== 0) return { length: 0, exact: false };
  let at = 2;
  while (at + 5 <= stream.length) {
    const header = stream[at]!;
    if ((header & 0x06) !== 0) return { length: at, exact: false }; // a compressed block: length unknown
    at += 5 + (stream[at + 1]! | (stream[at + 2]! << 8));
    if ((header & 0x01) !== 0) return { length: at + 4, exact: true }; // final block, then Adler-32
  }
  return { length: at, exact: false };
}

function packError(message: string): ProtocolError {
  return new ProtocolError("ERR_PACK", message);
}

/** Offsets of the entries seen so far, ascending, for OFS_DELTA checks by binary search. */
class EntryStarts {
  #offsets = new Float64Array(1024);
  #count = 0;

  add(offset: number): void {
    if (this.#count === this.#offsets.length) {
      const grown = new Float64Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#offsets[this.#count++] = offset;
  }

  has(offset: number): boolean {
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.#offsets[mid]!;
      if (value === offset) return true;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

/**
 * The unparsed bytes: a queue of input chunks whose head is parsed in place. Consumed bytes go to
 * the pack hash and to `onBytes` a chunk at a time (one native hash call per chunk, not per entry).
 */
class PackInput {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #hasher: Hasher;
  readonly #onBytes: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
  #chunks: Uint8Array[] = [];
  #head = 0; // index of the head chunk in #chunks
  #pos = 0; // bytes of the head chunk consumed
  #emitted = 0; // bytes of the head chunk already hashed and queued for onBytes
  #hashing = true;
  #pending: Uint8Array[] = [];
  /** Bytes buffered and not consumed. */
  buffered = 0;
  /** Pack offset of the first unconsumed byte. */
  offset = 0;
  /** True once the source is exhausted. */
  ended = false;
  /** True once the source has thrown: it must not be read again. */
  failed = false;

  constructor(iterator: AsyncIterator<Uint8Array>, hasher: Hasher, onBytes: PackParseOptions["onBytes"]) {
    this.#iterator = iterator;
    this.#hasher = hasher;
    this.#onBytes = onBytes;
  }

  /** Reads one more non-empty chunk; false when the source is exhausted. */
  async fill(): Promise<boolean> {
    while (!this.ended) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await this.#iterator.next();
      } catch (error) {
        this.failed = true;
        throw error;
      }
      if (next.done === true) {
        this.ended = true;
        break;
      }
      if (next.value.length === 0) continue;
      this.#chunks.push(next.value);
      this.buffered += next.value.length;
      return true;
    }
    return false;
  }

  /** Unconsumed bytes in the head chunk, readable without copying. */
  headAvailable(): number {
    return this.#head < this.#chunks.length ? this.#chunks[this.#head]!.length - this.#pos : 0;
  }

  /**
   * Returns [bytes, start] such that the next min(n, buffered) unconsumed bytes are contiguous at
   * bytes[start..]; everything from `start` to `bytes.length` is unconsumed input.
   */
  view(n: number): [Uint8Array, number] {
    if (this.headAvailable() < Math.min(n, this.buffered)) this.#join(n);
    return [this.#chunks[this.#head] ?? EMPTY, this.#pos];
  }

  /** Consumes `n` bytes, which must lie in the head chunk (as after `view(n)`). */
  consume(n: number): void {
    this.#pos += n;
    this.buffered -= n;
    this.offset += n;
    const chunk = this.#chunks[this.#head]!;
    if (this.#pos < chunk.length) return;
    this.#emit(chunk, this.#emitted, chunk.length);
    this.#chunks[this.#head++] = EMPTY;
    this.#pos = 0;
    this.#emitted = 0;
    this.#compact();
  }

  /** Hashes what is consumed so far and returns the digest; later bytes are only passed to onBytes. */
  finishHash(): Uint8Array {
    this.#emitHead();
    this.#hashing = false;
    return this.#hasher.digest();
  }

  /** Delivers queued bytes to onBytes, including the consumed part of the head chunk. */
  async flush(): Promise<void> {
    if (!this.#hashing) this.#emitHead();
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const chunk of pending) await this.#onBytes!(chunk);
  }

  /** True when exactly `n` unconsumed bytes remain before the end of input (reads at most one chunk past n). */
  async remainderIs(n: number): Promise<boolean> {
    while (this.buffered <= n && (await this.fill()));
    return this.ended && this.buffered === n;
  }

  /** Closes the source after a failed parse so its underlying stream is released. */
  async cancel(): Promise<void> {
    if (this.failed || this.ended) return;
    try {
      await this.#iterator.return?.();
    } catch {
      // The parse error matters more than a failure to close.
    }
  }

  #emitHead(): void {
    const chunk = this.#chunks[this.#head];
    if (chunk === undefined) return;
    this.#emit(chunk, this.#emitted, this.#pos);
    this.#emitted = this.#pos;
  }

  #emit(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    const part = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
    if (this.#hashing) this.#hasher.update(part);
    if (this.#onBytes !== undefined) this.#pending.push(part);
  }

  /** Joins chunks from the head on into one new buffer holding at least min(n, buffered) bytes. */
  #join(n: number): void {
    this.#emitHead();
    const want = Math.min(n, this.buffered);
    let total = this.headAvailable();
    let last = this.#head;
    while (total < want) total += this.#chunks[++last]!.length;
    const joined = new Uint8Array(total);
    let filled = 0;
    for (let i = this.#head; i <= last; i++) {
      const part = i === this.#head ? this.#chunks[i]!.subarray(this.#pos) : this.#chunks[i]!;
      joined.set(part, filled);
      filled += part.length;
      this.#chunks[i] = EMPTY;
    }
    this.#chunks[last] = joined;
    this.#head = last;
    this.#pos = 0;
    this.#emitted = 0;
  }

  // Shifting the array per consumed chunk would be quadratic with tiny chunks: drop the dead prefix in bulk.
  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
