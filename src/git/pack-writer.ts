/**
 * @module git/pack-writer
 * Emits a pack (gitformat-pack "pack-*.pack files have the following format") as a stream of
 * chunks: header, entries, SHA-1 trailer. It tracks the running offset (OFS_DELTA distances are
 * offsets in the pack being written) and hashes everything it emits, so entries can be deflated
 * fresh, reused from a stored pack as already-compressed streams, or spliced whole.
 */
import type { Hasher, Platform } from "../platform.ts";
import { concatBytes } from "../util/bytes.ts";
import { type ObjectId, OID_BYTES, oidToBytesInto } from "./object-id.ts";
import { PACK_OFS_DELTA, PACK_REF_DELTA, type WholePackType } from "./object-type.ts";
import { encodeEntryHeader, encodeOfsDelta, encodePackHeader, PACK_HEADER_LENGTH } from "./pack-format.ts";

/** Receives the pack's bytes in order; a returned promise is awaited before the next write. */
export type PackSink = (chunk: Uint8Array) => void | Promise<void>;

/** Entries shorter than this go out as one chunk, header and stream joined. */
const JOIN_BELOW = 4096;

/**
 * Writes a pack of exactly `objectCount` entries. Every write returns the offset of the entry it
 * wrote; await each call before the next (offsets and the hash follow call order). The writer
 * never touches a chunk after emitting it, so the sink may keep chunks without copying.
 * Example: `const w = new PackWriter(platform, 1, sink); await w.writeWhole(3, blob); await w.finish();`
 */
export class PackWriter {
  readonly #platform: Platform;
  readonly #objectCount: number;
  readonly #emit: PackSink;
  readonly #hasher: Hasher;
  readonly #header: Uint8Array;
  #offset = 0;
  #written = 0;
  #finished = false;

  constructor(platform: Platform, objectCount: number, emit: PackSink) {
    this.#platform = platform;
    this.#objectCount = objectCount;
    this.#emit = emit;
    this.#hasher = platform.sha1();
    this.#header = encodePackHeader(objectCount);
  }

  /** Bytes emitted so far, counting the 12-byte header even before the first write emits it. */
  get offset(): number {
    return this.#offset === 0 ? PACK_HEADER_LENGTH : this.#offset;
  }

  /** Entries written so far. */
  get written(): number {
    return this.#written;
  }

  /** Writes a whole object; `compressed` is its zlib stream when already at hand (else it is deflated here). */
  async writeWhole(packType: WholePackType, content: Uint8Array, compressed?: Uint8Array): Promise<number> {
    const stream = compressed ?? this.#platform.deflate(content);
    return this.#entry(encodeEntryHeader(packType, content.length), stream);
  }

  /**
   * Splices a stored entry as is: its complete header (with any delta base) and its zlib stream.
   * Passing the whole entry as `headerBytes` and an empty `compressedBytes` works too.
   */
  async writeRaw(headerBytes: Uint8Array, compressedBytes: Uint8Array): Promise<number> {
    return this.#entry(headerBytes, compressedBytes);
  }

  /** Writes an OFS_DELTA of `size` delta bytes whose base starts `distance` bytes before this entry. */
  async writeOfsDelta(size: number, distance: number, compressed: Uint8Array): Promise<number> {
    if (!(distance > 0 && distance <= this.offset - PACK_HEADER_LENGTH)) {
      throw new RangeError(
        `Invalid OFS_DELTA distance ${distance} at offset ${this.offset}: the base must be an earlier entry`,
      );
    }
    return this.#entry(
      concatBytes([encodeEntryHeader(PACK_OFS_DELTA, size), encodeOfsDelta(distance)]),
      compressed,
    );
  }

  /** Writes a REF_DELTA of `size` delta bytes against the object `baseId`. */
  async writeRefDelta(size: number, baseId: ObjectId, compressed: Uint8Array): Promise<number> {
    const sizeBytes = encodeEntryHeader(PACK_REF_DELTA, size);
    const header = new Uint8Array(sizeBytes.length + OID_BYTES);
    header.set(sizeBytes, 0);
    oidToBytesInto(baseId, header, sizeBytes.length);
    return this.#entry(header, compressed);
  }

  /** Emits the trailer (the SHA-1 of everything before it) and returns it; checks the entry count. */
  async finish(): Promise<Uint8Array> {
    if (this.#written !== this.#objectCount) {
      throw new RangeError(
        `Cannot finish the pack: its header declares ${this.#objectCount} objects but ${this.#written} were written`,
      );
    }
    this.#checkOpen();
    await this.#startIfNeeded();
    this.#finished = true;
    const trailer = this.#hasher.digest();
    this.#offset += trailer.length;
    await this.#emit(trailer);
    return trailer;
  }

  async #entry(header: Uint8Array, stream: Uint8Array): Promise<number> {
    this.#checkOpen();
    if (this.#written === this.#objectCount) {
      throw new RangeError(
        `Cannot write entry ${this.#written + 1}: the pack header declares ${this.#objectCount} objects`,
      );
    }
    await this.#startIfNeeded();
    const at = this.#offset;
    this.#written++;
    if (header.length > 0 && stream.length > 0 && header.length + stream.length < JOIN_BELOW) {
      await this.#send(concatBytes([header, stream]));
    } else {
      // Large or pre-joined parts (writeRaw(entry, empty)) go out as they are, never copied.
      if (header.length > 0) await this.#send(header);
      if (stream.length > 0) await this.#send(stream);
    }
    return at;
  }

  #checkOpen(): void {
    if (this.#finished) throw new RangeError("Cannot write to a pack that is already finished");
  }

  async #startIfNeeded(): Promise<void> {
    if (this.#offset === 0) await this.#send(this.#header);
  }

  async #send(chunk: Uint8Array): Promise<void> {
    this.#hasher.update(chunk);
    this.#offset += chunk.length;
    await this.#emit(chunk);
  }
}
