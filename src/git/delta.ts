/**
 * @module git/delta
 * Git's delta format (gitformat-pack "Deltified representation"): a base-size and a result-size
 * varint ("Size encoding"), then instructions that copy a byte range of the base (opcode bit 7 set,
 * bits 0-6 select which offset and size bytes follow; size 0 means 0x10000) or insert 1-127 literal
 * bytes. Opcode 0 is reserved. `applyDelta` validates everything a client could get wrong, because
 * deltas arrive in pushes; `createDelta` is a compact block-hash encoder for serving and tests.
 */
import { LimitError, ProtocolError } from "../errors.ts";

/** The two sizes at the start of a delta and how many bytes they took. */
export interface DeltaHeader {
  /** Size the base object must have. */
  baseSize: number;
  /** Size of the object the delta produces. */
  resultSize: number;
  /** Bytes taken by the two varints; instructions start here. */
  headerLength: number;
}

/** Git's own encoder never copies more than this per instruction; it is also the "size 0" value. */
const MAX_COPY = 0x10000;
/** An insert instruction carries at most 127 literal bytes (its opcode is the count). */
const MAX_INSERT = 127;
/** Below this length a byte loop beats `set(subarray(...))`, which allocates a view. */
const SMALL_COPY = 24;

function deltaError(message: string): ProtocolError {
  return new ProtocolError("ERR_DELTA", message);
}

/** Reads one "size encoding" varint (little-endian 7-bit groups); returns [value, next position]. */
function readSize(delta: Uint8Array, pos: number, what: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= delta.length) {
      throw deltaError(`Delta header is truncated: the ${what} size ends after ${pos} bytes`);
    }
    const byte = delta[pos++]!;
    value += (byte & 0x7f) * scale;
    if (value > Number.MAX_SAFE_INTEGER) throw deltaError(`Delta ${what} size does not fit in 53 bits`);
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
}

/**
 * Decodes the base and result sizes at the start of `delta`.
 * Example: `readDeltaHeader(Uint8Array.of(0x90, 0x01, 0x05))` is `{ baseSize: 144, resultSize: 5, headerLength: 3 }`.
 */
export function readDeltaHeader(delta: Uint8Array): DeltaHeader {
  const [baseSize, afterBase] = readSize(delta, 0, "base");
  const [resultSize, headerLength] = readSize(delta, afterBase, "result");
  return { baseSize, resultSize, headerLength };
}

/**
 * Applies `delta` to `base`. Throws ProtocolError("ERR_DELTA") for any malformed delta and
 * LimitError("maxObjectBytes") when the declared result is larger than `maxOutput`.
 * Example: `applyDelta(base, createDelta(base, target), 1 << 25)` equals `target`.
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array, maxOutput: number): Uint8Array {
  const { baseSize, resultSize, headerLength } = readDeltaHeader(delta);
  if (baseSize !== base.length) {
    throw deltaError(`Delta expects a base of ${baseSize} bytes but the base has ${base.length} bytes`);
  }
  if (resultSize > maxOutput) {
    throw new LimitError(
      "maxObjectBytes",
      `Delta result of ${resultSize} bytes exceeds the limit of ${maxOutput} bytes`,
    );
  }
  const out = new Uint8Array(resultSize);
  let pos = headerLength;
  let written = 0;
  const end = delta.length;
  while (pos < end) {
    if (written === resultSize) {
      throw deltaError(
        `Delta has ${end - pos} trailing bytes after its ${resultSize}-byte result is complete`,
      );
    }
    const start = pos;
    const op = delta[pos++]!;
    if (op & 0x80) {
      if (pos + bitCount(op & 0x7f) > end) {
        throw deltaError(`Delta copy instruction at byte ${start} is truncated`);
      }
      let offset = 0;
      let size = 0;
      if (op & 0x01) offset = delta[pos++]!;
      if (op & 0x02) offset |= delta[pos++]! << 8;
      if (op & 0x04) offset |= delta[pos++]! << 16;
      // Bit 3 is the offset's top byte: add it arithmetically so offsets ≥ 2^31 stay positive.
      if (op & 0x08) offset += delta[pos++]! * 0x1000000;
      if (op & 0x10) size = delta[pos++]!;
      if (op & 0x20) size |= delta[pos++]! << 8;
      if (op & 0x40) size |= delta[pos++]! << 16;
      if (size === 0) size = MAX_COPY;
      if (offset + size > baseSize) {
        throw deltaError(`Delta copies bytes ${offset}..${offset + size} but the base has ${baseSize} bytes`);
      }
      if (written + size > resultSize) throw overflowError(start, written + size, resultSize);
      if (size < SMALL_COPY) {
        for (let i = 0; i < size; i++) out[written + i] = base[offset + i]!;
      } else {
        out.set(base.subarray(offset, offset + size), written);
      }
      written += size;
    } else if (op !== 0) {
      if (pos + op > end) {
        throw deltaError(
          `Delta insert instruction at byte ${start} needs ${op} bytes but only ${end - pos} remain`,
        );
      }
      if (written + op > resultSize) throw overflowError(start, written + op, resultSize);
      if (op < SMALL_COPY) {
        for (let i = 0; i < op; i++) out[written + i] = delta[pos + i]!;
      } else {
        out.set(delta.subarray(pos, pos + op), written);
      }
      pos += op;
      written += op;
    } else {
      throw deltaError(`Invalid delta opcode 0 at byte ${start}: it is reserved`);
    }
  }
  if (written !== resultSize) {
    throw deltaError(`Delta ends after producing ${written} of its declared ${resultSize} bytes`);
  }
  return out;
}

function overflowError(at: number, reached: number, resultSize: number): ProtocolError {
  return deltaError(
    `Delta instruction at byte ${at} writes up to byte ${reached} but the result has ${resultSize} bytes`,
  );
}

function bitCount(bits: number): number {
  let n = 0;
  for (let b = bits; b !== 0; b &= b - 1) n++;
  return n;
}

// ---- Encoder ------------------------------------------------------------------------------------

/** Bytes per indexed base block and per rolling-hash window. */
const BLOCK = 16;
/** Candidates examined per target position: bounds the work on very repetitive bases. */
const MAX_CHAIN = 32;
const HASH_BASE = 0x01000193;
/** HASH_BASE^(BLOCK-1) mod 2^32, removes the byte leaving the window. */
const HASH_OUT = powMod32(HASH_BASE, BLOCK - 1);

function powMod32(base: number, exp: number): number {
  let r = 1;
  for (let i = 0; i < exp; i++) r = Math.imul(r, base);
  return r;
}

function windowHash(bytes: Uint8Array, at: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, HASH_BASE) + bytes[at + i]!) | 0;
  return h;
}

/** A growable output buffer. */
class DeltaOutput {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }
  ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  size(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }
  insert(source: Uint8Array, from: number, to: number): void {
    for (let at = from; at < to; at += MAX_INSERT) {
      const n = Math.min(MAX_INSERT, to - at);
      this.ensure(n + 1);
      this.bytes[this.length++] = n;
      this.bytes.set(source.subarray(at, at + n), this.length);
      this.length += n;
    }
  }
  copy(offset: number, size: number): void {
    for (let done = 0; done < size; done += MAX_COPY) {
      this.copyOne(offset + done, Math.min(MAX_COPY, size - done));
    }
  }
  private copyOne(offset: number, size: number): void {
    this.ensure(8);
    const b = this.bytes;
    const opAt = this.length++;
    let op = 0x80;
    for (let i = 0; i < 4; i++) {
      const byte = Math.floor(offset / 2 ** (8 * i)) & 0xff;
      if (byte !== 0) {
        op |= 1 << i;
        b[this.length++] = byte;
      }
    }
    // 0x10000 is encoded by leaving every size byte out.
    if (size !== MAX_COPY) {
      for (let i = 0; i < 3; i++) {
        const byte = (size >> (8 * i)) & 0xff;
        if (byte !== 0) {
          op |= 0x10 << i;
          b[this.length++] = byte;
        }
      }
    }
    b[opAt] = op;
  }
}

/** Hash table over the base's aligned 16-byte blocks; chains link blocks with the same bucket. */
interface BlockIndex {
  heads: Int32Array;
  next: Int32Array;
  shift: number;
}

function bucketOf(hash: number, shift: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> shift;
}

function indexBase(base: Uint8Array): BlockIndex {
  // Copy offsets have 4 bytes: blocks past 4 GiB cannot be addressed.
  const blocks = Math.floor(Math.min(base.length, 0xffffffff) / BLOCK);
  let bits = 4;
  while (1 << bits < blocks) bits++;
  const shift = 32 - bits;
  const heads = new Int32Array(1 << bits).fill(-1);
  const next = new Int32Array(blocks);
  // Walk backwards so each chain lists the earliest blocks first: matches found there can run
  // furthest. A block repeating the previous one replaces it, so runs (zeros, repeated lines) take
  // one chain slot instead of crowding out every other candidate.
  let previousHash = 0;
  for (let k = blocks - 1; k >= 0; k--) {
    const hash = windowHash(base, k * BLOCK);
    const bucket = bucketOf(hash, shift);
    const repeat = k + 1 < blocks && hash === previousHash && heads[bucket] === k + 1 &&
      sameBlock(base, k * BLOCK);
    next[k] = repeat ? next[k + 1]! : heads[bucket]!;
    heads[bucket] = k;
    previousHash = hash;
  }
  return { heads, next, shift };
}

function sameBlock(base: Uint8Array, at: number): boolean {
  for (let i = 0; i < BLOCK; i++) if (base[at + i] !== base[at + BLOCK + i]) return false;
  return true;
}

/** Length of the common run of `a` from `i` and `b` from `j`, at most `limit`. */
function matchForward(a: Uint8Array, i: number, b: Uint8Array, j: number, limit: number): number {
  let n = 0;
  while (n < limit && a[i + n] === b[j + n]) n++;
  return n;
}

/**
 * Encodes `target` as a delta against `base`: indexes the base in 16-byte blocks, slides a rolling
 * hash over the target, extends verified matches forwards and backwards, and emits copies of at most
 * 0x10000 bytes (git's own chunking) and inserts of at most 127 bytes.
 * Example: `createDelta(enc("hello world"), enc("hello"))` decodes back to "hello" with applyDelta.
 */
export function createDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  const out = new DeltaOutput(32 + target.length + Math.ceil(target.length / MAX_INSERT));
  out.size(base.length);
  out.size(target.length);
  const index = indexBase(base);
  const { heads, next, shift } = index;
  let literalStart = 0;
  let pos = 0;
  let hash = target.length >= BLOCK ? windowHash(target, 0) : 0;
  while (pos + BLOCK <= target.length) {
    let bestLength = 0;
    let bestOffset = 0;
    let chain = 0;
    for (let k = heads[bucketOf(hash, shift)]!; k >= 0 && chain < MAX_CHAIN; k = next[k]!, chain++) {
      const offset = k * BLOCK;
      const limit = Math.min(base.length - offset, target.length - pos);
      if (limit <= bestLength) continue;
      const length = matchForward(base, offset, target, pos, limit);
      if (length > bestLength) {
        bestLength = length;
        bestOffset = offset;
        if (length === limit) break;
      }
    }
    if (bestLength < BLOCK) {
      const leaving = target[pos]!;
      const entering = target[pos + BLOCK];
      pos++;
      if (entering !== undefined) {
        hash = (Math.imul(hash - Math.imul(leaving, HASH_OUT), HASH_BASE) + entering) | 0;
      }
      continue;
    }
    // Grow the match backwards over literals still pending, saving insert bytes.
    while (pos > literalStart && bestOffset > 0 && target[pos - 1] === base[bestOffset - 1]) {
      pos--;
      bestOffset--;
      bestLength++;
    }
    out.insert(target, literalStart, pos);
    out.copy(bestOffset, bestLength);
    pos += bestLength;
    literalStart = pos;
    if (pos + BLOCK <= target.length) hash = windowHash(target, pos);
  }
  out.insert(target, literalStart, target.length);
  return out.bytes.slice(0, out.length);
}
