/**
 * @module bytes
 * Byte helpers shared by every layer: concatenation, comparison, UTF-8 and hex codecs, big-endian
 * integers, and `ByteQueue`, the FIFO of incoming chunks that streaming decoders (pkt-line, pack)
 * read from. Git's wire formats are bytes, not text (gitprotocol-common "pkt-line Format": payloads
 * are binary-safe), so text conversion is explicit and never strips or adds anything silently.
 */

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is data in git (ref names, messages), not a byte-order mark to drop.
const lenientDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
// Only ever fed ASCII (hex digits), where windows-1252, the Encoding spec's "latin1", is exact.
const asciiDecoder = new TextDecoder("latin1");

/** Concatenates `parts` into one new array of `total` bytes (default: the sum of their lengths). */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  let size = total ?? 0;
  if (total === undefined) for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** memcmp: compares `len` bytes of `a` at `aOff` with `b` at `bOff`; returns -1, 0 or 1. */
export function compareBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): -1 | 0 | 1 {
  for (let i = 0; i < len; i++) {
    const x = a[aOff + i]!;
    const y = b[bOff + i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** UTF-8 encodes `text` (lone surrogates become U+FFFD). Example: `utf8Encode("want ")`. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Writes `text` as UTF-8 into `target`; returns the number of bytes written. */
export function utf8EncodeInto(text: string, target: Uint8Array): number {
  return encoder.encodeInto(text, target).written;
}

/** The number of bytes `utf8Encode(text)` produces, computed without allocating. */
export function utf8ByteLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      n += 2; // the pair counts 2 UTF-16 units and makes 4 bytes
      i++;
    } else n += 2; // 3 bytes, including U+FFFD for a lone surrogate
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. A leading BOM is kept. */
export function utf8Decode(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes);
}

/** Decodes UTF-8; throws a TypeError when `bytes` is not valid UTF-8. A leading BOM is kept. */
export function utf8DecodeStrict(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (error) {
    throw new TypeError(`Cannot decode UTF-8: ${bytes.length} bytes are not valid UTF-8`, { cause: error });
  }
}

const HEX_DIGITS = utf8Encode("0123456789abcdef");
const HEX_VALUES = buildHexValues();

function buildHexValues(): Int8Array {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) table[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[0x61 + i] = 10 + i;
    table[0x41 + i] = 10 + i;
  }
  return table;
}

/** The value of the hex digit with character code `code` (either case), or -1. */
export function hexValue(code: number): number {
  return code < 256 ? HEX_VALUES[code]! : -1;
}

const ID_CODES = new Array<number>(40);

/** Lowercase hex of `length` bytes of `bytes` from `offset`. Example: `hexEncode(raw, 0, 20)`. */
export function hexEncode(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (offset < 0 || length < 0 || offset + length > bytes.length) {
    throw new RangeError(`Cannot hex-encode ${length} bytes at offset ${offset} of a ${bytes.length}-byte array`);
  }
  // Small inputs (object ids): char codes into a reused array, then one fromCharCode. Concatenating
  // pairs builds rope strings in Bun's engine that cost twice the memory and time when kept (a push
  // indexing 48k objects held +221 MiB of them).
  if (length <= 64) {
    const codes = length === 20 ? ID_CODES : new Array<number>(length * 2);
    for (let i = 0; i < length; i++) {
      const b = bytes[offset + i]!;
      codes[2 * i] = HEX_DIGITS[b >> 4]!;
      codes[2 * i + 1] = HEX_DIGITS[b & 15]!;
    }
    return String.fromCharCode.apply(null, codes);
  }
  const ascii = new Uint8Array(length * 2);
  for (let i = 0; i < length; i++) {
    const b = bytes[offset + i]!;
    ascii[2 * i] = HEX_DIGITS[b >> 4]!;
    ascii[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return asciiDecoder.decode(ascii);
}

/** Decodes hex digits (either case); throws a RangeError on odd length or a non-hex character. */
export function hexDecode(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) {
    throw new RangeError(`Cannot decode hex ${quoteValue(hex)}: expected an even number of digits, got ${hex.length}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(hex.charCodeAt(2 * i));
    const lo = hexValue(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      throw new RangeError(`Cannot decode hex ${quoteValue(hex)}: expected only hexadecimal digits`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Reads an unsigned 32-bit big-endian integer (pack headers, idx tables). */
export function readUint32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Writes `value` (0 ≤ value < 2^32) as 4 big-endian bytes at `offset`. */
export function writeUint32BE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

/**
 * Quotes a value for an error message, JSON-escaped and cut to `max` characters so a hostile
 * 64 KiB input cannot turn into a 64 KiB log line. Example: `quoteValue("00zz")` → `"00zz"`.
 */
export function quoteValue(value: string, max = 80): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}... (${value.length} characters)`;
}

/** Quotes bytes for an error message, one character per byte (Latin-1) so every byte stays visible. */
export function quoteBytes(bytes: Uint8Array, max = 80): string {
  const text = String.fromCharCode(...bytes.subarray(0, max + 1));
  return bytes.length <= max ? quoteValue(text, max) : `${JSON.stringify(text.slice(0, max))}... (${bytes.length} bytes)`;
}

/**
 * A FIFO of byte chunks for streaming decoders: `push` what arrives, `take` what a frame needs.
 * Chunks are kept by reference (the producer must not reuse them); `peek`/`take` return views into
 * a chunk when the bytes lie in one, and copy only when they span chunks, so a whole stream costs
 * O(total bytes). Example: `q.push(chunk); if (q.length >= 4) header = q.take(4);`
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // index of the first live chunk in #chunks
  #offset = 0; // bytes already consumed from #chunks[#head]
  #length = 0;

  /** Number of bytes queued. */
  get length(): number {
    return this.#length;
  }

  /** Appends `chunk` (empty chunks are ignored). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The byte at `index` from the front; `index` must be below `length`. */
  byteAt(index: number): number {
    this.#checkCount(index + 1);
    let i = this.#head;
    let j = this.#offset + index;
    while (j >= this.#chunks[i]!.length) {
      j -= this.#chunks[i]!.length;
      i++;
    }
    return this.#chunks[i]![j]!;
  }

  /** A contiguous view of the first `n` bytes without consuming them (a copy only when they span chunks). */
  peek(n: number): Uint8Array {
    this.#checkCount(n);
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[this.#head]!;
    if (this.#offset + n <= first.length) return first.subarray(this.#offset, this.#offset + n);
    const out = new Uint8Array(n);
    let filled = 0;
    for (let i = this.#head; filled < n; i++) {
      const chunk = this.#chunks[i]!;
      const start = i === this.#head ? this.#offset : 0;
      const count = Math.min(chunk.length - start, n - filled);
      // A subarray costs more than copying a few bytes by hand (many tiny chunks from the network).
      if (count < 32) for (let k = 0; k < count; k++) out[filled + k] = chunk[start + k]!;
      else out.set(chunk.subarray(start, start + count), filled);
      filled += count;
    }
    return out;
  }

  /** Removes and returns the first `n` bytes. */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Removes the first `n` bytes. */
  skip(n: number): void {
    this.#checkCount(n);
    this.#length -= n;
    let rest = this.#offset + n;
    while (rest > 0 && rest >= this.#chunks[this.#head]!.length) {
      rest -= this.#chunks[this.#head]!.length;
      this.#chunks[this.#head] = EMPTY; // drop the reference so consumed chunks can be collected
      this.#head++;
    }
    this.#offset = rest;
    this.#compact();
  }

  /** Removes and returns everything queued, as one array (no copy when it is one chunk). */
  takeAll(): Uint8Array {
    const chunks = this.drain();
    return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
  }

  /** Removes and returns everything queued as the original chunks (the first one trimmed), without copying. */
  drain(): Uint8Array[] {
    const live = this.#chunks.slice(this.#head);
    if (live.length > 0 && this.#offset > 0) live[0] = live[0]!.subarray(this.#offset);
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
    return live;
  }

  #checkCount(n: number): void {
    if (!(n >= 0 && n <= this.#length)) {
      throw new RangeError(`Cannot read ${n} bytes from a ByteQueue holding ${this.#length} bytes`);
    }
  }

  // Shifting the array on every consumed chunk would be quadratic; drop the dead prefix in bulk.
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

const EMPTY = new Uint8Array(0);
