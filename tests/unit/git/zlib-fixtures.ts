/**
 * Shared fixtures for the zlib tests: a bit writer for hand-made deflate streams (RFC 1951), streams
 * that are corrupt in one specific way, and fast-check arbitraries for data and node:zlib options.
 */
import { constants, deflateSync, type ZlibOptions } from "node:zlib";
import fc from "fast-check";

/** Writes deflate's LSB-first bit stream (RFC 1951 section 3.1.1). */
export class BitWriter {
  readonly #bytes: number[] = [];
  #acc = 0;
  #count = 0;

  /** Writes `n` bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, n: number): this {
    for (let i = 0; i < n; i++) this.#bit((value >>> i) & 1);
    return this;
  }

  /** Writes a Huffman code of `len` bits, most significant first. */
  code(code: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.#bit((code >>> i) & 1);
    return this;
  }

  /** Pads to a byte boundary with zero bits. */
  align(): this {
    while (this.#count !== 0) this.#bit(0);
    return this;
  }

  bytes(...values: number[]): this {
    this.align();
    this.#bytes.push(...values);
    return this;
  }

  finish(): Uint8Array {
    this.align();
    return Uint8Array.from(this.#bytes);
  }

  #bit(bit: number): void {
    this.#acc |= bit << this.#count;
    if (++this.#count === 8) {
      this.#bytes.push(this.#acc);
      this.#acc = 0;
      this.#count = 0;
    }
  }
}

/** Fixed-code literal (RFC 1951 section 3.2.6). */
export function fixedLiteral(w: BitWriter, byte: number): BitWriter {
  return byte < 144 ? w.code(0x30 + byte, 8) : w.code(0x190 + byte - 144, 9);
}

/** Fixed-code literal/length symbol 256..287. */
export function fixedSymbol(w: BitWriter, symbol: number): BitWriter {
  return symbol < 280 ? w.code(symbol - 256, 7) : w.code(0xc0 + symbol - 280, 8);
}

/** A match of length 3..10 and distance 1..4 in a fixed block (no extra bits needed). */
export function fixedMatch(w: BitWriter, length: number, distance: number): BitWriter {
  return fixedSymbol(w, 257 + length - 3).code(distance - 1, 5);
}

/** Straightforward Adler-32 (RFC 1950 section 8.2), independent of the code under test. */
export function referenceAdler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The two zlib header bytes for `cmf` and the flag bits of `flg`, with FCHECK filled in. */
export function zlibHeader(cmf = 0x78, flg = 0): [number, number] {
  const base = flg & 0xe0;
  return [cmf, base + (31 - (((cmf << 8) | base) % 31)) % 31];
}

/** Wraps raw deflate bytes into a zlib stream whose trailer is the adler32 of `data`. */
export function wrap(deflate: Uint8Array, data: Uint8Array, header = zlibHeader()): Uint8Array {
  const check = referenceAdler32(data);
  return Uint8Array.from([
    ...header,
    ...deflate,
    check >>> 24,
    (check >>> 16) & 255,
    (check >>> 8) & 255,
    check & 255,
  ]);
}

const text = new TextEncoder();
const empty = new Uint8Array(0);

/** A fixed block: "ab" then a match of length 4 at distance 2 ("abab"), so "ababab". */
export const FIXED_ABABAB = wrap(
  fixedSymbol(
    fixedMatch(fixedLiteral(fixedLiteral(new BitWriter().bits(1, 1).bits(1, 2), 0x61), 0x62), 4, 2),
    256,
  )
    .finish(),
  text.encode("ababab"),
);

/** A dynamic block whose literal/length code is one 1-bit code for end-of-block: zlib accepts it. */
export const DYNAMIC_SINGLE_CODE = wrap(singleCodeBlock(), empty);

function singleCodeBlock(): Uint8Array {
  // Code length code: 18 gets "0", 0 gets "10", 1 gets "11". CODE_LENGTH_ORDER puts 18 at index 2, 0 at
  // index 3 and 1 at index 17, so 18 code length code lengths are sent (HCLEN 14).
  const w = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(14, 4);
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  for (const symbol of order) w.bits(symbol === 18 ? 1 : symbol === 0 || symbol === 1 ? 2 : 0, 3);
  // Literals 0-255: 138 + 118 zeros; symbol 256: length 1; the one distance code: length 0.
  w.code(0, 1).bits(138 - 11, 7).code(0, 1).bits(118 - 11, 7).code(3, 2).code(2, 2);
  return w.code(0, 1).finish(); // end-of-block
}

export interface CorruptCase {
  name: string;
  bytes: Uint8Array;
  message: RegExp;
}

/** Streams that are corrupt in one specific way, each long enough that zlib must reject it. */
export const CORRUPT_CASES: CorruptCase[] = [
  { name: "header check", bytes: Uint8Array.from([0x78, 0x00, 0, 0, 0, 0, 0, 0]), message: /header 0x7800/ },
  {
    name: "compression method 7",
    bytes: Uint8Array.from([...zlibHeader(0x77), 3, 0, 0, 0, 0, 1]),
    message: /compression method 7/,
  },
  {
    name: "window 2^16",
    bytes: Uint8Array.from([...zlibHeader(0x88), 3, 0, 0, 0, 0, 1]),
    message: /window size/,
  },
  {
    name: "preset dictionary",
    bytes: Uint8Array.from([...zlibHeader(0x78, 0x20), 0, 0, 0, 1, 3, 0, 0, 0, 0, 1]),
    message: /dictionary/,
  },
  {
    name: "block type 3",
    bytes: wrap(new BitWriter().bits(1, 1).bits(3, 2).finish(), empty),
    message: /type 3/,
  },
  {
    name: "stored length complement",
    bytes: wrap(new BitWriter().bits(1, 1).bits(0, 2).bytes(5, 0, 0, 0, 1, 2, 3, 4, 5).finish(), empty),
    message: /stored block length 5/,
  },
  {
    name: "too many length codes",
    bytes: wrap(
      new BitWriter().bits(1, 1).bits(2, 2).bits(30, 5).bits(0, 5).bits(0, 4).bytes(0, 0, 0).finish(),
      empty,
    ),
    message: /287 literal\/length/,
  },
  {
    name: "over-subscribed code length code",
    bytes: wrap(
      new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4)
        .bits(1, 3).bits(1, 3).bits(1, 3).bits(1, 3).bytes(0, 0, 0).finish(),
      empty,
    ),
    message: /code length code lengths are over-subscribed/,
  },
  {
    name: "incomplete code length code",
    bytes: wrap(
      new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4)
        .bits(0, 3).bits(0, 3).bits(0, 3).bits(2, 3).bytes(0, 0, 0).finish(),
      empty,
    ),
    message: /code length code lengths are incomplete/,
  },
  {
    // Symbols 0 and 16 get one bit each (0 and 1); the first length is a repeat of nothing.
    name: "repeat without a previous length",
    bytes: wrap(
      new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4)
        .bits(1, 3).bits(0, 3).bits(0, 3).bits(1, 3).code(1, 1).bits(0, 2).bytes(0, 0, 0).finish(),
      empty,
    ),
    message: /no previous length/,
  },
  {
    // Symbols 0 and 18 get one bit each; 138 + 120 zeros leave symbol 256 without a code.
    name: "no end-of-block code",
    bytes: wrap(
      new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4)
        .bits(0, 3).bits(0, 3).bits(1, 3).bits(1, 3).code(1, 1).bits(127, 7).code(1, 1).bits(109, 7)
        .bytes(0, 0, 0).finish(),
      empty,
    ),
    message: /no end-of-block/,
  },
  {
    name: "distance too far back",
    bytes: wrap(
      fixedSymbol(fixedMatch(fixedLiteral(new BitWriter().bits(1, 1).bits(1, 2), 0x61), 3, 2), 256)
        .finish(),
      text.encode("aaaa"),
    ),
    message: /distance 2 reaches before the start of the output \(1 bytes written\)/,
  },
  {
    name: "fixed literal/length symbol 286",
    bytes: wrap(fixedSymbol(fixedSymbol(new BitWriter().bits(1, 1).bits(1, 2), 286), 256).finish(), empty),
    message: /invalid literal\/length code/,
  },
  {
    name: "fixed distance symbol 30",
    bytes: wrap(
      fixedSymbol(
        fixedSymbol(fixedLiteral(new BitWriter().bits(1, 1).bits(1, 2), 0x61), 257)
          .code(30, 5),
        256,
      ).finish(),
      text.encode("aaaa"),
    ),
    message: /invalid distance code/,
  },
  {
    name: "adler32 mismatch",
    bytes: (() => {
      const bytes = FIXED_ABABAB.slice();
      bytes[bytes.length - 1]! ^= 0x40;
      return bytes;
    })(),
    message: /adler32 checksum/,
  },
];

const WORDS = ["the ", "tree ", "commit ", "parent ", "\n", "author ", "0000", "  ", "{", "}", "ab", "\0"]
  .map((s) => text.encode(s));

/** Bytes that compress well: words, short runs and a little noise. */
export const compressibleBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(...WORDS),
      fc.uint8Array({ maxLength: 4 }),
      fc.integer({ min: 0, max: 255 })
        .chain((b) => fc.integer({ min: 1, max: 300 }).map((n) => new Uint8Array(n).fill(b))),
    ),
    { maxLength: 120 },
  )
  .map((parts) => concat(parts));

/** Data worth compressing: random bytes or compressible text. */
export const anyData = fc.oneof(fc.uint8Array({ maxLength: 3000 }), compressibleBytes);

/** node:zlib options covering every level, strategy, window and memory level (zlib format). */
export const zlibOptions: fc.Arbitrary<ZlibOptions> = fc.record({
  level: fc.integer({ min: 0, max: 9 }),
  strategy: fc.constantFrom(
    constants.Z_DEFAULT_STRATEGY,
    constants.Z_FILTERED,
    constants.Z_HUFFMAN_ONLY,
    constants.Z_RLE,
    constants.Z_FIXED,
  ),
  windowBits: fc.integer({ min: 9, max: 15 }),
  memLevel: fc.integer({ min: 1, max: 9 }),
});

/** node:zlib's deflateSync as a plain Uint8Array. */
export function nodeDeflate(data: Uint8Array, options: ZlibOptions = {}): Uint8Array {
  return new Uint8Array(deflateSync(data, options));
}

/** Incompressible bytes from xorshift32, the same for the same seed. */
export function noiseBytes(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A few streams of each block kind for exhaustive truncation tests. */
export function truncationStreams(): Array<{ name: string; stream: Uint8Array; data: Uint8Array }> {
  const prose = text.encode(
    "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 1 +0000\n".repeat(40),
  );
  const noise = noiseBytes(1500);
  const mixed = concat([prose, noise, prose.subarray(0, 900)]);
  return [
    { name: "stored", stream: nodeDeflate(noise, { level: 0 }), data: noise },
    {
      name: "fixed",
      stream: nodeDeflate(prose.subarray(0, 300), { strategy: constants.Z_FIXED }),
      data: prose.subarray(0, 300),
    },
    { name: "dynamic", stream: nodeDeflate(prose), data: prose },
    { name: "several blocks", stream: nodeDeflate(mixed, { level: 1, memLevel: 1 }), data: mixed },
    { name: "hand-made fixed", stream: FIXED_ABABAB, data: text.encode("ababab") },
    { name: "single-code dynamic", stream: DYNAMIC_SINGLE_CODE, data: empty },
  ];
}
