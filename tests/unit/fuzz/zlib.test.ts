/**
 * Fuzzing zlib inflate (RFC 1950/1951) on both platforms: the portable inflateZlib
 * (src/git/inflate.ts) and nodePlatform's node:zlib. Inputs are arbitrary bytes, streams node:zlib
 * wrote with every kind of option, and the zlib streams git itself wrote into a pack, each mutated
 * at the byte level. Properties: each platform gives data, null (truncated) or a ReposError and
 * nothing else; both give the same outcome, data and consumed count; a proper prefix of a stream is
 * null, trailing bytes change nothing, and the declared size is only a hint. Bombs: a stream that
 * inflates to 1 GiB must stop at the limit without growing the process by more than 64 MiB.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { LimitError } from "../../../src/errors.ts";
import { encodeEntryHeader, encodePackHeader } from "../../../src/git/pack-format.ts";
import { parsePack } from "../../../src/git/pack-parser.ts";
import { portablePlatform } from "../../../src/git/portable-platform.ts";
import { resolveLimits } from "../../../src/limits.ts";
import type { Platform } from "../../../src/platform.ts";
import { BitWriter, nodeDeflate, zlibOptions, anyData } from "../git/zlib-fixtures.ts";
import {
  fuzzParams,
  iterate,
  join,
  MiB,
  memoryGrowth,
  mutations,
  mutate,
  type Outcome,
  outcomeKind,
  settleSync,
  packAll,
  smallHistory,
} from "./fuzz-support.ts";

const PLATFORMS: readonly [string, Platform][] = [["node", nodePlatform], ["portable", portablePlatform]];
const BIG = 1 << 30;

type Inflated = { data: Uint8Array; consumed: number } | null;

function inflateOn(platform: Platform, input: Uint8Array, expectedSize: number, maxOutput: number): Outcome<Inflated> {
  return settleSync("inflate", () => {
    const result = platform.inflate(input, expectedSize, maxOutput);
    return result === null ? null : { data: new Uint8Array(result.data), consumed: result.consumed };
  });
}

/** Both platforms' outcomes, checked to agree: same kind, same data and consumed count. */
function inflateBoth(input: Uint8Array, expectedSize: number, maxOutput: number): Outcome<Inflated> {
  const native = inflateOn(nodePlatform, input, expectedSize, maxOutput);
  const portable = inflateOn(portablePlatform, input, expectedSize, maxOutput);
  if (outcomeKind(portable) === "LimitError/ERR_LIMIT" && !(native.ok && native.value !== null) && outcomeKind(native) !== "LimitError/ERR_LIMIT") {
    // A stream that inflates past maxOutput and then turns out corrupt or cut short: node:zlib
    // checks the limit between output chunks, so within the chunk that crossed it the corruption
    // (ERR_ZLIB) or the end of input (null) wins, while the portable inflater stops at the byte that
    // crosses the limit. Both refuse the stream; without the limit they must agree again.
    const unlimited = inflateOn(portablePlatform, input, expectedSize, BIG);
    assert.equal(outcomeKind(unlimited), outcomeKind(native));
    if (native.ok) assert.equal(unlimited.ok && unlimited.value, null);
    return native;
  }
  assert.equal(outcomeKind(portable), outcomeKind(native), `portable and node disagree (expectedSize ${expectedSize}, maxOutput ${maxOutput})`);
  if (native.ok && portable.ok) assert.deepEqual(portable.value, native.value);
  if (native.ok && native.value !== null) {
    assert.ok(native.value.data.length <= maxOutput, "inflated past maxOutput");
    assert.ok(native.value.consumed >= 2 && native.value.consumed <= input.length);
  }
  return native;
}

/**
 * A zlib stream of one fixed-Huffman block (RFC 1951 3.2.6): a literal 0, then 8 * groups + 1
 * matches of 258 bytes at distance 1. A match costs 13 bits, so 8 of them are 13 whole bytes and
 * the stream is tiled from one such group: 1 GiB of zeros from 6.8 MB of input.
 */
export function zeroBomb(groups: number): { stream: Uint8Array; size: number } {
  const match = (w: BitWriter) => w.code(0xc5, 8).code(0, 5); // length symbol 285 (258), distance code 0 (1)
  const prefix = match(new BitWriter().bits(1, 1).bits(1, 2).code(0x30, 8)).finish(); // 24 bits
  const groupWriter = new BitWriter();
  for (let i = 0; i < 8; i++) match(groupWriter);
  const group = groupWriter.finish();
  const size = 1 + 258 * (1 + 8 * groups);
  const b = size % 65521; // Adler-32 of zeros: a stays 1, b gains 1 per byte
  const tail = join(new BitWriter().code(0, 7).finish(), Uint8Array.of(b >>> 8, b & 255, 0, 1));
  const stream = new Uint8Array(2 + prefix.length + group.length * groups + tail.length);
  stream.set([0x78, 0x01], 0);
  stream.set(prefix, 2);
  for (let i = 0; i < groups; i++) stream.set(group, 2 + prefix.length + i * group.length);
  stream.set(tail, stream.length - tail.length);
  return { stream, size };
}

let streamsOfGit: Promise<Uint8Array[]> | undefined;

/** The zlib streams git wrote into a pack of a small history (real inputs), made once. */
function gitStreams(): Promise<Uint8Array[]> {
  streamsOfGit ??= readGitStreams();
  return streamsOfGit;
}

async function readGitStreams(): Promise<Uint8Array[]> {
  const repo = smallHistory();
  try {
    const pack = packAll(repo, ["--delta-base-offset"]);
    const streams: Uint8Array[] = [];
    await parsePack(iterate([pack]), {
      platform: nodePlatform,
      limits: resolveLimits(),
      onEntry: (e) => void streams.push(pack.slice(e.offset + e.headerLength, e.offset + e.headerLength + e.compressedLength)),
    });
    return streams;
  } finally {
    repo.remove();
  }
}

describe("fuzz: zlib bombs", () => {
  // First in the file, before the fuzzers raise the process's peak memory, so the peak shows.
  const bomb = zeroBomb(521_000);

  it("builds a valid bomb (checked small with node:zlib)", () => {
    const small = zeroBomb(3);
    const result = nodePlatform.inflate(join(small.stream, Uint8Array.of(1, 2, 3)), -1, BIG);
    assert.ok(result !== null);
    assert.equal(result.data.length, small.size);
    assert.ok(result.data.every((b) => b === 0));
    assert.equal(result.consumed, small.stream.length);
    assert.deepEqual(portablePlatform.inflate(small.stream, small.size, small.size)!.data, new Uint8Array(result.data));
    assert.ok(bomb.size > 1024 * MiB && bomb.stream.length < 7 * MiB);
  });

  for (const [name, platform] of PLATFORMS) {
    it(`${name}: a 1 GiB bomb declaring 100 bytes stops at 100 bytes, without allocating the output`, () => {
      let outcome: Outcome<unknown> | undefined;
      const growth = memoryGrowth(() => {
        outcome = settleSync("inflate bomb", () => platform.inflate(bomb.stream, 100, 100));
      });
      assert.ok(outcome !== undefined && !outcome.ok && outcome.error instanceof LimitError, "expected a LimitError");
      assert.ok(growth.peak < 64 * MiB && growth.resident < 64 * MiB, `grew by ${JSON.stringify(growth)}`);
    });

    it(`${name}: a 1 GiB bomb of unknown size stops at maxObjectBytes (32 MiB) within 64 MiB`, () => {
      let outcome: Outcome<unknown> | undefined;
      const growth = memoryGrowth(() => {
        // Inflating 32 MiB before the limit is real work (byte by byte for distance 1): allow 10 s.
        outcome = settleSync("inflate bomb", () => platform.inflate(bomb.stream, -1, 32 * MiB), 10_000);
      });
      assert.ok(outcome !== undefined && !outcome.ok && outcome.error instanceof LimitError, "expected a LimitError");
      assert.ok(growth.peak < 64 * MiB && growth.resident < 64 * MiB, `grew by ${JSON.stringify(growth)}`);
    });

    it(`${name}: a pack entry declaring 100 bytes whose stream is the bomb is rejected within 64 MiB`, async () => {
      const pack = join(encodePackHeader(1), encodeEntryHeader(3, 100), bomb.stream, new Uint8Array(20));
      const started = process.memoryUsage().rss;
      const error = await parsePack(iterate([pack.subarray(0, 1 << 20), pack.subarray(1 << 20)]), {
        platform,
        limits: resolveLimits(),
        onEntry: () => assert.fail("the bomb was accepted"),
      }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof Error && error.name === "ProtocolError", String(error));
      assert.match(error.message, /inflates to more than the 100 bytes its header declares/);
      assert.ok(process.memoryUsage().rss - started < 64 * MiB, "the parse left the process 64 MiB larger");
    });
  }
});

describe("fuzz: inflate on both platforms", () => {
  it("agrees on arbitrary bytes after a valid header (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.integer({ min: -1, max: 4096 }), (bytes, header, expected) => {
        inflateBoth(header ? join(Uint8Array.of(0x78, 0x9c), bytes) : bytes, expected, 4096);
      }),
      fuzzParams(600),
    );
  });

  it("agrees on mutated node:zlib streams of every option (property)", () => {
    fc.assert(
      fc.property(
        anyData,
        zlibOptions,
        mutations(3, 16),
        fc.boolean(),
        (data, options, edits, sized) => {
          const stream = nodeDeflate(data, options);
          inflateBoth(mutate(stream, edits), sized ? data.length : -1, data.length + 64);
        },
      ),
      fuzzParams(300),
    );
  });

  it("agrees on mutated zlib streams written by git, with any declared size (property)", async () => {
    const streams = await gitStreams();
    assert.ok(streams.length > 10);
    fc.assert(
      fc.property(fc.constantFrom(...streams), mutations(3, 16), fc.nat(), (stream, edits, declared) => {
        const bad = mutate(stream, edits);
        inflateBoth(bad, declared % (4 * bad.length + 2), BIG);
      }),
      fuzzParams(400),
    );
  });

  it("finds the end of a valid stream: prefixes are null, trailing bytes ignored, sizes only hints (property)", async () => {
    const streams = await gitStreams();
    const stream = fc.oneof(
      fc.constantFrom(...streams),
      fc.tuple(anyData, zlibOptions).map(([data, options]) => nodeDeflate(data, options)),
    );
    fc.assert(
      fc.property(stream, fc.nat(), fc.uint8Array({ maxLength: 64 }), fc.nat(), (s, cut, junk, hint) => {
        const whole = inflateBoth(s, -1, BIG);
        assert.ok(whole.ok && whole.value !== null);
        const { data, consumed } = whole.value;
        assert.equal(consumed, s.length);
        const prefix = inflateBoth(s.subarray(0, cut % s.length), data.length, data.length);
        assert.ok(prefix.ok && prefix.value === null, `a ${cut % s.length}-byte prefix was not null`);
        const trailed = inflateBoth(join(s, junk), hint % (2 * data.length + 2), data.length);
        assert.ok(trailed.ok && trailed.value !== null);
        assert.deepEqual(trailed.value, whole.value);
        if (data.length > 0) {
          const limited = inflateBoth(s, data.length, data.length - 1);
          assert.ok(!limited.ok && limited.error instanceof LimitError);
        }
      }),
      fuzzParams(300),
    );
  });
});

describe("fuzz regressions: zlib", () => {
  // Found by "finds the end of a valid stream": node:zlib cannot take a maxOutputLength of 0, and
  // nodePlatform passed 1 instead, so a declared-empty object inflated to 1 byte without an error.
  it("enforces maxOutput 0 on both platforms (a stored block of one byte)", () => {
    const stream = Uint8Array.of(0x18, 0x19, 0x01, 0x01, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x01, 0x00, 0x01);
    for (const [name, platform] of PLATFORMS) {
      assert.throws(() => platform.inflate(stream, 1, 0), LimitError, name);
      assert.throws(() => platform.inflate(stream, 0, 0), LimitError, name);
      const result = platform.inflate(stream, 1, 1);
      assert.deepEqual([...(result?.data ?? [])], [0], name);
      assert.equal(result?.consumed, 12, name);
    }
  });
});
