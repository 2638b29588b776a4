import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { constants } from "node:zlib";
import fc from "fast-check";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { inflateZlib } from "../../../src/git/inflate.ts";
import { sha1 } from "../../../src/git/sha1.ts";
import { git, tempDir } from "../../helpers/git.ts";
import {
  anyData,
  BitWriter,
  compressibleBytes,
  concat,
  CORRUPT_CASES,
  DYNAMIC_SINGLE_CODE,
  FIXED_ABABAB,
  fixedLiteral,
  fixedSymbol,
  nodeDeflate,
  noiseBytes,
  truncationStreams,
  wrap,
  zlibHeader,
  zlibOptions,
} from "./zlib-fixtures.ts";

const BIG = 1 << 30;
const text = new TextEncoder();

/** Inflates and asserts the result is exactly `data` with the whole `stream` consumed. */
function assertInflates(
  input: Uint8Array,
  streamLength: number,
  data: Uint8Array,
  expectedSize = data.length,
): void {
  const result = inflateZlib(input, expectedSize, BIG);
  assert.ok(result !== null, "expected a complete stream");
  assert.equal(result.consumed, streamLength);
  assert.equal(result.data.length, data.length);
  assert.deepEqual(result.data, data);
}

function isZlibError(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === "ERR_ZLIB" &&
    /^Cannot inflate: /.test(error.message);
}

describe("inflateZlib round trips node:zlib", () => {
  it("inflates every level, strategy, window size and memory level", () => {
    fc.assert(
      fc.property(anyData, zlibOptions, (data, options) => {
        const stream = nodeDeflate(data, options);
        assertInflates(stream, stream.length, data);
      }),
      { numRuns: 400 },
    );
  });

  it("inflates with an expected size that is unknown, too small or too large", () => {
    fc.assert(
      fc.property(compressibleBytes, fc.integer({ min: -1, max: 10_000 }), (data, expectedSize) => {
        const stream = nodeDeflate(data);
        assertInflates(stream, stream.length, data, expectedSize);
      }),
      { numRuns: 200 },
    );
  });

  it("ignores bytes after the stream and reports exactly the stream's length", () => {
    fc.assert(
      fc.property(
        anyData,
        zlibOptions,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (data, options, junk) => {
          const stream = nodeDeflate(data, options);
          assertInflates(concat([stream, junk]), stream.length, data);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("walks back-to-back streams like a pack's entries", () => {
    const parts = ["first", "second ".repeat(100), "", "x".repeat(70_000)].map((s) => text.encode(s));
    const streams = parts.map((p, i) => nodeDeflate(p, { level: i * 3 }));
    const joined = concat(streams);
    let offset = 0;
    for (const [i, part] of parts.entries()) {
      const result = inflateZlib(joined.subarray(offset), part.length, BIG);
      assert.ok(result);
      assert.deepEqual(result.data, part);
      assert.equal(result.consumed, streams[i]!.length);
      offset += result.consumed;
    }
    assert.equal(offset, joined.length);
  });

  it("inflates large inputs: several stored blocks, long matches, 1 MiB of one byte", () => {
    const noise = noiseBytes(200_000);
    const runs = new Uint8Array(1 << 20).fill(0x2a);
    const prose = text.encode("a fairly long line of text that repeats itself\n".repeat(5000));
    for (const data of [noise, runs, prose]) {
      for (const level of [0, 1, 6, 9]) {
        const stream = nodeDeflate(data, { level });
        assertInflates(stream, stream.length, data);
        assertInflates(stream, stream.length, data, -1);
      }
    }
  });

  it("inflates the empty stream and the hand-made fixed and single-code dynamic blocks", () => {
    assertInflates(nodeDeflate(new Uint8Array(0)), 8, new Uint8Array(0));
    assertInflates(FIXED_ABABAB, FIXED_ABABAB.length, text.encode("ababab"));
    assertInflates(DYNAMIC_SINGLE_CODE, DYNAMIC_SINGLE_CODE.length, new Uint8Array(0));
  });
});

describe("inflateZlib on truncated input", () => {
  for (const { name, stream, data } of truncationStreams()) {
    it(`returns null for every proper prefix of a ${name} stream`, () => {
      assertInflates(stream, stream.length, data);
      for (let end = 0; end < stream.length; end++) {
        assert.equal(inflateZlib(stream.subarray(0, end), data.length, BIG), null, `prefix of ${end} bytes`);
        assert.equal(inflateZlib(stream.subarray(0, end), -1, BIG), null, `prefix of ${end} bytes`);
      }
    });
  }

  it("returns null for prefixes of a preset-dictionary header until zlib would reject it", () => {
    const fdict = CORRUPT_CASES.find((c) => c.name === "preset dictionary")!.bytes;
    for (let end = 0; end < 6; end++) assert.equal(inflateZlib(fdict.subarray(0, end), -1, BIG), null);
    assert.throws(() => inflateZlib(fdict.subarray(0, 6), -1, BIG), isZlibError);
  });
});

describe("inflateZlib on corrupt input", () => {
  for (const { name, bytes, message } of CORRUPT_CASES) {
    it(`rejects ${name} with ERR_ZLIB`, () => {
      assert.throws(
        () => inflateZlib(bytes, -1, BIG),
        (error) => isZlibError(error) && message.test((error as Error).message),
      );
    });
  }

  it("never returns wrong data when bytes are changed", () => {
    const streams = truncationStreams();
    fc.assert(
      fc.property(
        fc.constantFrom(...streams),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        ({ stream, data }, flips) => {
          const bad = stream.slice();
          for (const [at, mask] of flips) bad[at % bad.length]! ^= mask;
          let result;
          try {
            result = inflateZlib(bad, data.length, BIG);
          } catch (error) {
            assert.ok(isZlibError(error), String(error));
            return;
          }
          // Still a valid stream with the same content (e.g. only padding bits changed), or cut short.
          if (result !== null) assert.deepEqual(result.data, data);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("rejects an invalid dynamic literal/length code set", () => {
    // Symbols 0 and 256 with two bits each leave half of the code space unused.
    const w = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(15, 4);
    // Code length code: 18 -> "0", 0 -> "10", 2 -> "11", sent in RFC 1951's permuted order.
    for (const symbol of [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]) {
      w.bits(symbol === 18 ? 1 : symbol === 0 || symbol === 2 ? 2 : 0, 3);
    }
    // Literal 0: 2 bits; 255 zeros; symbol 256: 2 bits; the distance code: 0.
    w.code(3, 2).code(0, 1).bits(127, 7).code(0, 1).bits(106, 7).code(3, 2).code(2, 2);
    const stream = wrap(w.code(0, 1).finish(), new Uint8Array(0));
    assert.throws(
      () => inflateZlib(stream, -1, BIG),
      (e) => isZlibError(e) && /literal\/length code lengths are incomplete/.test((e as Error).message),
    );
  });
});

describe("inflateZlib output limit", () => {
  const data = text.encode("0123456789".repeat(100));

  it("allows exactly maxOutput bytes and throws LimitError one byte below", () => {
    for (
      const stream of [
        nodeDeflate(data),
        nodeDeflate(data, { level: 0 }),
        nodeDeflate(data, { strategy: constants.Z_FIXED }),
      ]
    ) {
      assertInflates(stream, stream.length, data);
      assert.equal(inflateZlib(stream, data.length, data.length)?.data.length, data.length);
      assert.throws(
        () => inflateZlib(stream, -1, data.length - 1),
        (error) =>
          error instanceof LimitError && error.limit === "maxObjectBytes" &&
          /exceeds 999 bytes/.test(error.message),
      );
      assert.throws(() => inflateZlib(stream, data.length, 10), LimitError);
    }
  });

  it("inflates an empty stream with maxOutput 0", () => {
    assert.equal(inflateZlib(nodeDeflate(new Uint8Array(0)), 0, 0)?.data.length, 0);
  });

  it("prefers LimitError when the bytes present already exceed the limit, null otherwise", () => {
    const stream = nodeDeflate(new Uint8Array(100_000).fill(7), { level: 0 });
    const cut = stream.subarray(0, 60_000);
    assert.throws(() => inflateZlib(cut, -1, 50_000), LimitError);
    assert.equal(inflateZlib(cut, -1, 70_000), null);
  });

  it("stops a highly compressed stream at the limit, whatever size it declares", () => {
    const bomb = nodeDeflate(new Uint8Array(20 << 20));
    assert.ok(bomb.length < 30_000);
    assert.throws(() => inflateZlib(bomb, -1, 1 << 20), LimitError);
    assert.throws(() => inflateZlib(bomb, 20 << 20, 1 << 20), LimitError);
    assert.throws(() => inflateZlib(bomb, 1 << 40, 1 << 20), LimitError);
  });

  it("does not trust a declared size beyond what the input could inflate to", () => {
    const stream = nodeDeflate(new TextEncoder().encode("small"));
    const result = inflateZlib(stream, 2 ** 31, 2 ** 32);
    assert.equal(new TextDecoder().decode(result!.data), "small");
    assert.equal(result!.data.buffer.byteLength, 5);
  });
});

describe("inflateZlib on real git objects", () => {
  it("inflates every loose object of a repository written at several compression levels", () => {
    const dir = tempDir("reposit-inflate-");
    git(["init", "-q", dir]);
    const files: Array<[string, Uint8Array]> = [
      ["README.md", text.encode("# Reposit\n\nGit repositories as a service.\n".repeat(30))],
      ["empty.txt", new Uint8Array(0)],
      ["noise.bin", noiseBytes(70_000)],
      [
        "big.txt",
        text.encode(Array.from({ length: 5000 }, (_, i) => `line ${i}: ${"xyz".repeat(i % 17)}`).join("\n")),
      ],
    ];
    let objects = 0;
    for (const level of [0, 1, 6, 9]) {
      for (const [name, bytes] of files) {
        writeFileSync(join(dir, name), concat([bytes, text.encode(`level ${level}\n`)]));
      }
      git(["-c", `core.looseCompression=${level}`, "add", "."], { cwd: dir });
      git(["-c", `core.looseCompression=${level}`, "commit", "-q", "-m", `level ${level}`], { cwd: dir });
    }
    const root = join(dir, ".git", "objects");
    for (const fan of readdirSync(root).filter((d) => /^[0-9a-f]{2}$/.test(d))) {
      for (const rest of readdirSync(join(root, fan))) {
        const stream = new Uint8Array(readFileSync(join(root, fan, rest)));
        const result = inflateZlib(stream, -1, BIG);
        assert.ok(result);
        assert.equal(result.consumed, stream.length);
        const id = Array.from(sha1(result.data), (b) => b.toString(16).padStart(2, "0")).join("");
        assert.equal(id, fan + rest, "object id is the SHA-1 of the inflated object");
        const nul = result.data.indexOf(0);
        const [type, size] = new TextDecoder().decode(result.data.subarray(0, nul)).split(" ");
        assert.match(type!, /^(blob|tree|commit)$/);
        assert.equal(Number(size), result.data.length - nul - 1);
        // The id check above covers every byte; commits (text) are also compared with git's own view.
        if (type === "commit") {
          const body = git(["cat-file", "commit", id], { cwd: dir }).stdout;
          assert.equal(new TextDecoder().decode(result.data.subarray(nul + 1)), body);
        }
        objects++;
      }
    }
    assert.ok(objects >= 20, `found ${objects} loose objects`);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("inflateZlib against hand-made blocks", () => {
  it("accepts a distance beyond a small declared window when the output reaches that far, as zlib does", () => {
    // CINFO 1 declares a 512-byte window; the match reaches back 600 bytes (distance code 18, base 513).
    const data = new Uint8Array(603).map((_, i) => (i * 7) & 127);
    data.copyWithin(600, 0, 3);
    const w = new BitWriter().bits(1, 1).bits(1, 2);
    for (const byte of data.subarray(0, 600)) fixedLiteral(w, byte);
    fixedSymbol(w, 257).code(18, 5).bits(600 - 513, 8);
    const stream = wrap(fixedSymbol(w, 256).finish(), data, zlibHeader(0x18));
    assertInflates(stream, stream.length, data);
  });

  it("decodes fixed-code literals above 143 (nine-bit codes)", () => {
    const data = Uint8Array.from([0, 143, 144, 200, 255]);
    const w = new BitWriter().bits(1, 1).bits(1, 2);
    for (const byte of data) fixedLiteral(w, byte);
    const stream = wrap(fixedSymbol(w, 256).finish(), data);
    assertInflates(stream, stream.length, data);
  });
});
