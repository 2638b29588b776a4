/**
 * @module git/inflate
 * A zlib (RFC 1950) and DEFLATE (RFC 1951) decoder that reports how many input bytes one stream
 * occupied: a pack stores its entries as back-to-back zlib streams without their compressed lengths
 * (gitformat-pack "Pack file entry"), and DecompressionStream cannot say where a stream ends.
 *
 * It accepts and rejects exactly what zlib's `inflate()` does, at the same input position, so that it
 * agrees with the native Platform on when a stream is corrupt and when it is merely cut short: bits
 * past the end of the input read as zeros, and any decision that used one of them means "truncated"
 * (null) rather than an error.
 *
 * Huffman codes decode through two-level lookup tables (RFC 1951 section 3.2.2 canonical codes): a
 * 9-bit (literal/length) or 6-bit (distance) root table plus sub-tables for longer codes, small enough
 * to rebuild for every dynamic block of a small git object.
 */
import { LimitError, ProtocolError } from "../errors.ts";
import type { InflateResult } from "../platform.ts";
import { adler32, DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA } from "./deflate.ts";

// A table entry is one int32: bits 0-3 how many bits the code uses (for a link, the root bits), bits 4-7
// extra bits to read (for a link, the sub-table's index bits), bits 8-10 the kind, bits 16-31 the value
// (literal byte, length or distance base, code length symbol, or sub-table offset).
const KIND_MASK = 0x700;
const LITERAL = 0x000;
const BASE = 0x100;
const END = 0x200;
const LINK = 0x300;
const INVALID = 0x400;

type CodeSet = "code length" | "literal/length" | "distance";

/** RFC 1951 section 3.2.7: the order in which code length code lengths are stored. */
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const LIT_ROOT_BITS = 9;
const DIST_ROOT_BITS = 6;
/** Deflate cannot expand data by more than 1032:1 (a 258-byte match costs at least 2 bits). */
const MAX_RATIO = 1032;

/** Thrown internally when a decision needs bits past the end of the input; the caller sees null. */
const TRUNCATED = Symbol("truncated");

// Scratch space shared by every call: inflation is synchronous, so one call never sees another's tables.
const lengths = new Uint8Array(288 + 32);
const counts = new Uint16Array(16);
const offsets = new Uint16Array(16);
const sorted = new Uint16Array(288);
const codeLengthTable = new Int32Array(128);
// Upper bounds for 286 symbols with a 9-bit root and 30 symbols with a 6-bit root (zlib's `enough`
// program gives 852 and 592), with room to spare.
const dynamicLitTable = new Int32Array(2048);
const dynamicDistTable = new Int32Array(1024);
let fixedTables: { lit: Int32Array; litBits: number; dist: Int32Array; distBits: number } | undefined;

const reversedBytes = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) r |= ((i >>> b) & 1) << (7 - b);
  reversedBytes[i] = r;
}

/** The entry a symbol of `set` decodes to, without its bit count. */
function entryFor(set: CodeSet, symbol: number): number {
  if (set === "code length") return LITERAL | (symbol << 16);
  if (set === "distance") {
    if (symbol >= 30) return INVALID;
    return BASE | (DIST_EXTRA[symbol]! << 4) | (DIST_BASE[symbol]! << 16);
  }
  if (symbol < 256) return LITERAL | (symbol << 16);
  if (symbol === 256) return END;
  if (symbol >= 286) return INVALID;
  return BASE | (LENGTH_EXTRA[symbol - 257]! << 4) | (LENGTH_BASE[symbol - 257]! << 16);
}

/**
 * Builds the lookup table for the canonical code whose lengths are `lengths[start, start + n)` into
 * `table` and returns its root bits, or a message when the lengths do not form a code. Like zlib, an
 * incomplete code is allowed only when it is a single one-bit code (RFC 1951 section 3.2.7 allows one
 * distance code), and a code with no symbols decodes every pattern as invalid.
 */
function buildTable(
  set: CodeSet,
  start: number,
  n: number,
  table: Int32Array,
  maxRoot: number,
): number | string {
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[lengths[start + i]!]!++;
  let max = 15;
  while (max > 0 && counts[max] === 0) max--;
  if (max === 0) {
    table[0] = table[1] = INVALID | 1;
    return 1;
  }
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - counts[len]!;
    if (left < 0) return `${set} code lengths are over-subscribed`;
  }
  if (left > 0 && (set === "code length" || max !== 1)) return `${set} code lengths are incomplete`;
  offsets[1] = 0;
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + counts[len]!;
  for (let i = 0; i < n; i++) {
    const len = lengths[start + i]!;
    if (len !== 0) sorted[offsets[len]!++] = i;
  }
  const root = Math.min(maxRoot, max);
  if (left > 0) table[1] = INVALID | 1;
  fillTable(set, table, root, max);
  return root;
}

/** Assigns canonical codes to `sorted` symbols (by length, then symbol) and writes their entries. */
function fillTable(set: CodeSet, table: Int32Array, root: number, max: number): void {
  const rootMask = (1 << root) - 1;
  let code = 0;
  let k = 0;
  let prefix = -1;
  let subStart = 0;
  let subBits = 0;
  let next = 1 << root;
  for (let len = 1; len <= max; len++) {
    for (let remaining = counts[len]!; remaining > 0; remaining--) {
      const entry = entryFor(set, sorted[k++]!);
      const reversed = ((reversedBytes[code & 0xff]! << 8) | reversedBytes[code >>> 8]!) >>> (16 - len);
      if (len <= root) {
        for (let i = reversed; i <= rootMask; i += 1 << len) table[i] = entry | len;
      } else {
        if ((reversed & rootMask) !== prefix) {
          // A new sub-table: it needs enough index bits to hold every remaining code that shares
          // this root prefix, which together fill the prefix's share of the code space.
          prefix = reversed & rootMask;
          subBits = len - root;
          let space = (1 << subBits) - remaining;
          while (space > 0 && subBits + root < max) {
            subBits++;
            space = (space << 1) - counts[subBits + root]!;
          }
          subStart = next;
          next += 1 << subBits;
          table[prefix] = LINK | (subStart << 16) | (subBits << 4) | root;
        }
        const drop = len - root;
        for (let i = reversed >>> root; i < 1 << subBits; i += 1 << drop) table[subStart + i] = entry | drop;
      }
      code++;
    }
    code <<= 1;
  }
}

function getFixedTables(): NonNullable<typeof fixedTables> {
  if (fixedTables !== undefined) return fixedTables;
  // RFC 1951 section 3.2.6.
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  const lit = new Int32Array(1 << LIT_ROOT_BITS);
  const litBits = buildTable("literal/length", 0, 288, lit, LIT_ROOT_BITS) as number;
  lengths.fill(5, 0, 32);
  const dist = new Int32Array(1 << 5);
  const distBits = buildTable("distance", 0, 32, dist, DIST_ROOT_BITS) as number;
  fixedTables = { lit, litBits, dist, distBits };
  return fixedTables;
}

/** Decoder state between blocks; the Huffman loop copies it into locals. */
class Inflater {
  readonly input: Uint8Array;
  readonly inLength: number;
  readonly maxOutput: number;
  pos: number;
  bitBuf = 0;
  bitCount = 0;
  out: Uint8Array;
  outPos = 0;

  constructor(input: Uint8Array, pos: number, capacity: number, maxOutput: number) {
    this.input = input;
    this.inLength = input.length;
    this.pos = pos;
    this.maxOutput = maxOutput;
    this.out = new Uint8Array(capacity);
  }

  /** Reads `n` (at most 24) bits, LSB first; bits past the end of input read as zeros. */
  bits(n: number): number {
    while (this.bitCount < n) {
      if (this.pos < this.inLength) this.bitBuf |= this.input[this.pos]! << this.bitCount;
      else if (this.pos >= this.inLength + 4) throw TRUNCATED;
      this.pos++;
      this.bitCount += 8;
    }
    const value = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCount -= n;
    return value;
  }

  /** Whether a decision so far used bits past the end of the input. */
  overran(): boolean {
    return this.pos * 8 - this.bitCount > this.inLength * 8;
  }

  /** Throws the error for corrupt data, or TRUNCATED when the evidence came from past the end. */
  fail(message: string): never {
    if (this.overran()) throw TRUNCATED;
    const at = this.pos - Math.ceil(this.bitCount / 8);
    throw new ProtocolError("ERR_ZLIB", `Cannot inflate: ${message} (at byte ${at} of the stream)`);
  }

  /** Makes room for `extra` more output bytes, growing geometrically up to `maxOutput`. */
  reserve(extra: number): Uint8Array {
    const need = this.outPos + extra;
    if (need > this.maxOutput) {
      if (this.overran()) throw TRUNCATED;
      throw new LimitError("maxObjectBytes", `Cannot inflate object: it exceeds ${this.maxOutput} bytes`);
    }
    if (need > this.out.length) {
      const grown = new Uint8Array(Math.min(this.maxOutput, Math.max(need, this.out.length * 2, 256)));
      grown.set(this.out.subarray(0, this.outPos));
      this.out = grown;
    }
    return this.out;
  }

  /** RFC 1951 section 3.2.4: a non-compressed block, byte aligned, LEN then its complement NLEN. */
  storedBlock(): void {
    this.bits(this.bitCount & 7);
    const len = this.bits(16);
    const nlen = this.bits(16);
    if (len !== (nlen ^ 0xffff)) {
      this.fail(`stored block length ${len} does not match its complement ${nlen}`);
    }
    if (this.overran()) throw TRUNCATED;
    // The bit buffer now holds whole bytes that were read ahead; step back over them.
    this.pos -= this.bitCount >>> 3;
    this.bitBuf = 0;
    this.bitCount = 0;
    const available = Math.min(len, this.inLength - this.pos);
    const out = this.reserve(available);
    if (available < len) throw TRUNCATED;
    out.set(this.input.subarray(this.pos, this.pos + len), this.outPos);
    this.outPos += len;
    this.pos += len;
  }

  /** RFC 1951 section 3.2.7: reads the code lengths of a dynamic block and builds both tables. */
  dynamicTables(): { litBits: number; distBits: number } {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) {
      const counts = `${nlen} literal/length and ${ndist} distance codes`;
      this.fail(`dynamic block declares ${counts}, expected at most 286 and 30`);
    }
    lengths.fill(0, 0, 19);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]!] = this.bits(3);
    const codeBits = this.built(buildTable("code length", 0, 19, codeLengthTable, 7));
    this.readCodeLengths(codeBits, nlen + ndist);
    if (lengths[256] === 0) this.fail("the literal/length code has no end-of-block symbol (256)");
    const litBits = this.built(buildTable("literal/length", 0, nlen, dynamicLitTable, LIT_ROOT_BITS));
    const distBits = this.built(buildTable("distance", nlen, ndist, dynamicDistTable, DIST_ROOT_BITS));
    return { litBits, distBits };
  }

  private built(result: number | string): number {
    if (typeof result === "string") this.fail(result);
    return result;
  }

  /** Decodes `total` code lengths into `lengths`, expanding the repeat symbols 16, 17 and 18. */
  private readCodeLengths(codeBits: number, total: number): void {
    const mask = (1 << codeBits) - 1;
    let i = 0;
    while (i < total) {
      while (this.bitCount < codeBits) this.refillOne();
      // zlib uses the value of the entry even when the code is empty (every entry invalid): such a
      // code reads one bit per length and reports the missing end-of-block code afterwards.
      const entry = codeLengthTable[this.bitBuf & mask]!;
      this.bits(entry & 15);
      const symbol = entry >>> 16;
      if (symbol < 16) {
        lengths[i++] = symbol;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (symbol === 16) {
        repeat = 3 + this.bits(2);
        if (i === 0) this.fail("code length repeat (16) has no previous length to repeat");
        value = lengths[i - 1]!;
      } else {
        repeat = symbol === 17 ? 3 + this.bits(3) : 11 + this.bits(7);
      }
      if (i + repeat > total) {
        this.fail(`code length repeat of ${repeat} overflows the ${total} code lengths`);
      }
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
  }

  private refillOne(): void {
    if (this.pos < this.inLength) this.bitBuf |= this.input[this.pos]! << this.bitCount;
    else if (this.pos >= this.inLength + 4) throw TRUNCATED;
    this.pos++;
    this.bitCount += 8;
  }
}

/**
 * RFC 1951 section 3.2.5: decodes literal/length and distance symbols until end-of-block. This is the
 * hot loop, so the state lives in locals and the bit buffer is refilled inline.
 */
function huffmanBlock(
  s: Inflater,
  lit: Int32Array,
  litBits: number,
  dist: Int32Array,
  distBits: number,
): void {
  const input = s.input;
  const inLength = s.inLength;
  const litMask = (1 << litBits) - 1;
  const distMask = (1 << distBits) - 1;
  let pos = s.pos;
  let buf = s.bitBuf;
  let count = s.bitCount;
  let out = s.out;
  let outPos = s.outPos;
  let capacity = out.length;
  let problem = "";
  for (;;) {
    // Refill to at least 25 bits: enough for a 15-bit code and 5 extra bits.
    while (count <= 24) {
      if (pos < inLength) buf |= input[pos]! << count;
      else if (pos >= inLength + 4) throw TRUNCATED;
      pos++;
      count += 8;
    }
    let entry = lit[buf & litMask]!;
    if ((entry & KIND_MASK) === LINK) {
      buf >>>= litBits;
      count -= litBits;
      entry = lit[(entry >>> 16) + (buf & ((1 << ((entry >>> 4) & 15)) - 1))]!;
    }
    let n = entry & 15;
    buf >>>= n;
    count -= n;
    const kind = entry & KIND_MASK;
    if (kind === LITERAL) {
      if (outPos >= capacity) {
        s.outPos = outPos;
        s.pos = pos;
        s.bitCount = count;
        out = s.reserve(1);
        capacity = out.length;
      }
      out[outPos++] = entry >>> 16;
      continue;
    }
    if (kind !== BASE) {
      if (kind === END) break;
      problem = "invalid literal/length code";
      break;
    }
    n = (entry >>> 4) & 15;
    const length = (entry >>> 16) + (buf & ((1 << n) - 1));
    buf >>>= n;
    count -= n;
    while (count <= 24) {
      if (pos < inLength) buf |= input[pos]! << count;
      else if (pos >= inLength + 4) throw TRUNCATED;
      pos++;
      count += 8;
    }
    entry = dist[buf & distMask]!;
    if ((entry & KIND_MASK) === LINK) {
      buf >>>= distBits;
      count -= distBits;
      entry = dist[(entry >>> 16) + (buf & ((1 << ((entry >>> 4) & 15)) - 1))]!;
    }
    n = entry & 15;
    buf >>>= n;
    count -= n;
    if ((entry & KIND_MASK) !== BASE) {
      problem = "invalid distance code";
      break;
    }
    n = (entry >>> 4) & 15;
    while (count < n) {
      if (pos < inLength) buf |= input[pos]! << count;
      else if (pos >= inLength + 4) throw TRUNCATED;
      pos++;
      count += 8;
    }
    const distance = (entry >>> 16) + (buf & ((1 << n) - 1));
    buf >>>= n;
    count -= n;
    if (distance > outPos) {
      problem = `distance ${distance} reaches before the start of the output (${outPos} bytes written)`;
      break;
    }
    if (outPos + length > capacity) {
      s.outPos = outPos;
      s.pos = pos;
      s.bitCount = count;
      out = s.reserve(length);
      capacity = out.length;
    }
    let from = outPos - distance;
    if (length > 32 && distance >= length) {
      out.copyWithin(outPos, from, from + length);
      outPos += length;
    } else {
      const end = outPos + length;
      while (outPos < end) out[outPos++] = out[from++]!;
    }
  }
  s.pos = pos;
  s.bitBuf = buf;
  s.bitCount = count;
  s.outPos = outPos;
  if (problem !== "") s.fail(problem);
}

/** RFC 1950 section 2.2: CMF and FLG. Returns false when fewer than the needed bytes are present. */
function checkHeader(input: Uint8Array): boolean {
  if (input.length < 2) return false;
  const cmf = input[0]!;
  const flg = input[1]!;
  const fail = (message: string): never => {
    throw new ProtocolError("ERR_ZLIB", `Cannot inflate: ${message}`);
  };
  if (((cmf << 8) | flg) % 31 !== 0) fail(`zlib header 0x${hex2(cmf)}${hex2(flg)} is not a multiple of 31`);
  if ((cmf & 15) !== 8) fail(`compression method ${cmf & 15} is not supported, expected 8 (deflate)`);
  if (cmf >>> 4 > 7) fail(`window size 2^${(cmf >>> 4) + 8} is too large, expected at most 2^15`);
  if ((flg & 0x20) !== 0) {
    // zlib reads the 4-byte dictionary id before it reports the missing dictionary.
    if (input.length < 6) return false;
    fail("the stream needs a preset dictionary (FDICT), which git never uses");
  }
  return true;
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** The first output buffer: the declared size when known, bounded by what the input could produce. */
function initialCapacity(inLength: number, expectedSize: number, maxOutput: number): number {
  const bound = inLength * MAX_RATIO + 1024;
  if (expectedSize >= 0) return Math.min(expectedSize, maxOutput, bound);
  // Unknown size: guess a 4:1 ratio, but not so much that input followed by unrelated bytes (the rest
  // of a pack) makes a small stream allocate megabytes.
  return Math.min(maxOutput, Math.max(256, Math.min(inLength * 4, 1 << 22)));
}

function inflateBlocks(s: Inflater): void {
  for (;;) {
    const final = s.bits(1);
    const type = s.bits(2);
    if (type === 0) {
      s.storedBlock();
    } else if (type === 1) {
      const fixed = getFixedTables();
      huffmanBlock(s, fixed.lit, fixed.litBits, fixed.dist, fixed.distBits);
    } else if (type === 2) {
      const { litBits, distBits } = s.dynamicTables();
      huffmanBlock(s, dynamicLitTable, litBits, dynamicDistTable, distBits);
    } else {
      s.fail("block type 3 is reserved, expected 0 (stored), 1 (fixed) or 2 (dynamic)");
    }
    if (final === 1) return;
  }
}

/**
 * Inflates the zlib stream at the start of `input` (the Platform.inflate contract in src/platform.ts):
 * `{ data, consumed }`, or null when the input ends before the stream does. Bytes after the stream are
 * ignored. Throws ProtocolError("ERR_ZLIB") on corrupt data and LimitError when the output would
 * exceed `maxOutput` bytes. `expectedSize` (-1 when unknown) sizes the output buffer.
 * @example const { data, consumed } = inflateZlib(packBytes.subarray(offset), size, limits.maxObjectBytes)!;
 */
export function inflateZlib(
  input: Uint8Array,
  expectedSize: number,
  maxOutput: number,
): InflateResult | null {
  if (!checkHeader(input)) return null;
  const s = new Inflater(
    input,
    2,
    Math.max(0, initialCapacity(input.length, expectedSize, maxOutput)),
    maxOutput,
  );
  try {
    inflateBlocks(s);
    s.bits(s.bitCount & 7);
    // RFC 1950: the adler32 of the uncompressed data, most significant byte first.
    const expected = ((s.bits(8) << 24) | (s.bits(8) << 16) | (s.bits(8) << 8) | s.bits(8)) >>> 0;
    if (s.overran()) return null;
    const data = s.outPos === s.out.length ? s.out : s.out.slice(0, s.outPos);
    const actual = adler32(data);
    if (actual !== expected) {
      s.fail(`adler32 checksum 0x${hex8(expected)} does not match the inflated data's 0x${hex8(actual)}`);
    }
    return { data, consumed: s.pos - (s.bitCount >>> 3) };
  } catch (error) {
    if (error === TRUNCATED) return null;
    throw error;
  }
}
