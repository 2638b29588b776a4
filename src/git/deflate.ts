/**
 * @module git/deflate
 * A zlib (RFC 1950) stream writer for the portable Platform: LZ77 over a hash chain (RFC 1951
 * section 4), coded with the fixed Huffman codes of section 3.2.6, and a stored block (section 3.2.4)
 * for any 64 KiB chunk that would not shrink, so the output is never much larger than the input.
 * Git accepts any valid zlib stream for loose objects and pack entries (gitformat-pack "Pack file
 * entry"); runtimes with a native zlib pass its better compressor instead.
 */

/** Largest n such that adler32's b sum cannot pass 2^31 in n steps, so it stays a small integer. */
const ADLER_CHUNK = 3800;
const ADLER_MOD = 65521;

/**
 * The Adler-32 checksum of RFC 1950 section 8.2, continued from `start` (1 for a new checksum).
 * @example adler32(new TextEncoder().encode("Wikipedia")) // 0x11e60398
 */
export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  const n = data.length;
  let i = 0;
  while (i < n) {
    const end = Math.min(i + ADLER_CHUNK, n);
    // Unrolled by eight: measured about 25% faster on V8 and twice as fast on JavaScriptCore.
    for (const end8 = end - 7; i < end8; i += 8) {
      a += data[i]!;
      b += a;
      a += data[i + 1]!;
      b += a;
      a += data[i + 2]!;
      b += a;
      a += data[i + 3]!;
      b += a;
      a += data[i + 4]!;
      b += a;
      a += data[i + 5]!;
      b += a;
      a += data[i + 6]!;
      b += a;
      a += data[i + 7]!;
      b += a;
    }
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

const WINDOW = 32768;
const WINDOW_MASK = WINDOW - 1;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
/** A stored block holds at most 65535 bytes, so the input is coded in chunks of that size. */
const CHUNK = 65535;
/** How many earlier positions with the same hash are compared before settling for the best so far. */
const MAX_CHAIN = 48;
/** A match this long is good enough to stop searching. */
const NICE_MATCH = 128;

/** RFC 1951 section 3.2.5: the shortest length of each length symbol 257-285. */
// deno-fmt-ignore
export const LENGTH_BASE: readonly number[] = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
  258,
];
/** RFC 1951 section 3.2.5: how many extra bits follow each length symbol 257-285. */
// deno-fmt-ignore
export const LENGTH_EXTRA: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/** RFC 1951 section 3.2.5: the shortest distance of each distance symbol 0-29. */
// deno-fmt-ignore
export const DIST_BASE: readonly number[] = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
];
/** RFC 1951 section 3.2.5: how many extra bits follow each distance symbol 0-29. */
// deno-fmt-ignore
export const DIST_EXTRA: readonly number[] = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];

// Fixed-code bit patterns, already reversed for LSB-first output. A length or distance entry holds
// its Huffman code followed by its extra bits, so one write emits both.
const literalBits = new Uint16Array(257);
const literalCount = new Uint8Array(257);
const lengthBits = new Uint32Array(MAX_MATCH + 1);
const lengthCount = new Uint8Array(MAX_MATCH + 1);
/** Distance symbol of `d - 1` for d <= 256, and of `256 + ((d - 1) >> 7)` above that (zlib's trick). */
const distSymbol = new Uint8Array(512);

function reverse(code: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) r |= ((code >>> i) & 1) << (bits - 1 - i);
  return r;
}

/** RFC 1951 section 3.2.6: the Huffman code and its length for literal/length symbol `s`. */
function fixedCode(s: number): [code: number, bits: number] {
  if (s < 144) return [0x30 + s, 8];
  if (s < 256) return [0x190 + s - 144, 9];
  if (s < 280) return [s - 256, 7];
  return [0xc0 + s - 280, 8];
}

for (let s = 0; s <= 256; s++) {
  const [code, bits] = fixedCode(s);
  literalBits[s] = reverse(code, bits);
  literalCount[s] = bits;
}
for (let i = 0; i < 29; i++) {
  const [code, bits] = fixedCode(257 + i);
  const last = i === 28 ? MAX_MATCH : LENGTH_BASE[i + 1]! - 1;
  for (let len = LENGTH_BASE[i]!; len <= last; len++) {
    lengthBits[len] = reverse(code, bits) | ((len - LENGTH_BASE[i]!) << bits);
    lengthCount[len] = bits + LENGTH_EXTRA[i]!;
  }
}
const reversedDistance = new Uint8Array(30);
for (let i = 0; i < 30; i++) {
  reversedDistance[i] = reverse(i, 5);
  const last = i === 29 ? WINDOW : DIST_BASE[i + 1]! - 1;
  for (let d = DIST_BASE[i]!; d <= last; d++) {
    if (d <= 256) distSymbol[d - 1] = i;
    else distSymbol[256 + ((d - 1) >>> 7)] = i;
  }
}

// Hash chains, shared by every call (compression is synchronous). `head` is reset per call; `prev` is
// only read through positions inserted by the current call, so it needs no reset.
const head = new Int32Array(1 << 15);
const prev = new Int32Array(WINDOW);

/** Output with an LSB-first bit buffer (RFC 1951 section 3.1.1). */
interface Writer {
  out: Uint8Array;
  pos: number;
  bitBuf: number;
  bitCount: number;
}

function writeBits(w: Writer, value: number, bits: number): void {
  w.bitBuf |= value << w.bitCount;
  w.bitCount += bits;
  while (w.bitCount >= 8) {
    w.out[w.pos++] = w.bitBuf;
    w.bitBuf >>>= 8;
    w.bitCount -= 8;
  }
}

function flushByte(w: Writer): void {
  if (w.bitCount > 0) w.out[w.pos++] = w.bitBuf;
  w.bitBuf = 0;
  w.bitCount = 0;
}

function storedBlock(w: Writer, data: Uint8Array, start: number, end: number, final: number): void {
  writeBits(w, final, 3);
  flushByte(w);
  const len = end - start;
  w.out[w.pos++] = len;
  w.out[w.pos++] = len >>> 8;
  w.out[w.pos++] = ~len;
  w.out[w.pos++] = ~len >>> 8;
  w.out.set(data.subarray(start, end), w.pos);
  w.pos += len;
}

/**
 * Codes `data[start, end)` as one fixed-Huffman block, matching against everything before it too.
 * Returns false, with the writer left mid-block, as soon as the block grows past `limit` bytes.
 */
function fixedBlock(
  w: Writer,
  data: Uint8Array,
  start: number,
  end: number,
  final: number,
  limit: number,
  hashShift: number,
): boolean {
  writeBits(w, final | 2, 3);
  const out = w.out;
  const n = data.length;
  let pos = w.pos;
  let buf = w.bitBuf;
  let count = w.bitCount;
  let p = start;
  while (p < end) {
    let bestLength = 0;
    let bestDistance = 0;
    if (p + MIN_MATCH <= n) {
      const h = Math.imul((data[p]! << 16) | (data[p + 1]! << 8) | data[p + 2]!, 0x9e3779b1) >>> hashShift;
      let candidate = head[h]!;
      head[h] = p;
      prev[p & WINDOW_MASK] = candidate;
      const maxLength = Math.min(MAX_MATCH, end - p);
      const oldest = Math.max(p - WINDOW, -1);
      bestLength = MIN_MATCH - 1;
      for (let chain = MAX_CHAIN; candidate > oldest && chain > 0; chain--) {
        if (data[candidate + bestLength] === data[p + bestLength] && data[candidate] === data[p]) {
          let k = 1;
          while (k < maxLength && data[candidate + k] === data[p + k]) k++;
          if (k > bestLength) {
            bestLength = k;
            bestDistance = p - candidate;
            if (k >= NICE_MATCH || k === maxLength) break;
          }
        }
        candidate = prev[candidate & WINDOW_MASK]!;
      }
    }
    if (bestLength >= MIN_MATCH) {
      buf |= lengthBits[bestLength]! << count;
      count += lengthCount[bestLength]!;
      while (count >= 8) {
        out[pos++] = buf;
        buf >>>= 8;
        count -= 8;
      }
      const d = bestDistance - 1;
      const symbol = d < 256 ? distSymbol[d]! : distSymbol[256 + (d >>> 7)]!;
      buf |= (reversedDistance[symbol]! | ((d + 1 - DIST_BASE[symbol]!) << 5)) << count;
      count += 5 + DIST_EXTRA[symbol]!;
      insertRange(data, p + 1, p + bestLength, hashShift);
      p += bestLength;
    } else {
      buf |= literalBits[data[p]!]! << count;
      count += literalCount[data[p]!]!;
      p++;
    }
    while (count >= 8) {
      out[pos++] = buf;
      buf >>>= 8;
      count -= 8;
    }
    if (pos > limit) return false;
  }
  w.pos = pos;
  w.bitBuf = buf;
  w.bitCount = count;
  writeBits(w, literalBits[256]!, literalCount[256]!);
  return true;
}

/** Adds the positions inside a match to the hash chains so later data can refer to them. */
function insertRange(data: Uint8Array, from: number, to: number, hashShift: number): void {
  const last = Math.min(to, data.length - MIN_MATCH + 1);
  for (let q = from; q < last; q++) {
    const h = Math.imul((data[q]! << 16) | (data[q + 1]! << 8) | data[q + 2]!, 0x9e3779b1) >>> hashShift;
    prev[q & WINDOW_MASK] = head[h]!;
    head[h] = q;
  }
}

/**
 * Compresses `data` into one zlib stream.
 * @example inflateSync(deflateZlib(bytes)) // equals bytes
 */
export function deflateZlib(data: Uint8Array): Uint8Array {
  const n = data.length;
  const chunks = Math.max(1, Math.ceil(n / CHUNK));
  const w: Writer = { out: new Uint8Array(n + 8 * chunks + 32), pos: 0, bitBuf: 0, bitCount: 0 };
  // CMF 0x78: deflate with a 32 KiB window; FLG 0x01: "fastest" level, no dictionary, check bits.
  w.out[w.pos++] = 0x78;
  w.out[w.pos++] = 0x01;
  const hashBits = Math.min(15, Math.max(8, 32 - Math.clz32(n)));
  head.fill(-1, 0, 1 << hashBits);
  for (let start = 0; start < n || start === 0; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const final = end === n ? 1 : 0;
    const saved = { pos: w.pos, bitBuf: w.bitBuf, bitCount: w.bitCount };
    // A stored block costs its 3 header bits padded to a byte boundary, 4 length bytes and the data.
    const storedEnd = saved.pos + (saved.bitCount > 5 ? 2 : 1) + 4 + (end - start);
    if (!fixedBlock(w, data, start, end, final, storedEnd, 32 - hashBits) || w.pos >= storedEnd) {
      Object.assign(w, saved);
      storedBlock(w, data, start, end, final);
    }
    if (final === 1) break;
  }
  flushByte(w);
  const check = adler32(data);
  w.out[w.pos++] = check >>> 24;
  w.out[w.pos++] = check >>> 16;
  w.out[w.pos++] = check >>> 8;
  w.out[w.pos++] = check;
  return w.out.slice(0, w.pos);
}
