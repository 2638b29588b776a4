/**
 * Fuzzing applyDelta (gitformat-pack "Deltified representation"): arbitrary delta bytes, deltas git
 * itself wrote into a pack (with their real bases) and deltas from createDelta, mutated at the byte
 * level and in their structure (base and result sizes rewritten, instructions duplicated, dropped or
 * swapped). The oracle is a naive decoder written here from the format description, which follows
 * patch-delta.c: applyDelta must produce exactly its bytes or fail where it fails, always with a
 * ProtocolError("ERR_DELTA") or LimitError, and a declared result beyond the limit must fail before
 * anything is allocated.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { applyDelta, createDelta, readDeltaHeader } from "../../../src/git/delta.ts";
import { parsePack } from "../../../src/git/pack-parser.ts";
import { resolveLimits } from "../../../src/limits.ts";
import { fuzzParams, iterate, join, MiB, memoryGrowth, mutations, mutate, type Outcome, packAll, settleSync, smallHistory } from "./fuzz-support.ts";

type Verdict = { ok: true; bytes: Uint8Array } | { ok: false; limit: boolean };

/** Reads a size varint: [value, next] or null when truncated or past 2^53. */
function varint(delta: Uint8Array, pos: number): [number, number] | null {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= delta.length) return null;
    const byte = delta[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (value > Number.MAX_SAFE_INTEGER) return null;
    if (byte < 0x80) return [value, pos];
  }
}

/** patch-delta.c, naively: one byte at a time into a plain array. */
function naiveApply(base: Uint8Array, delta: Uint8Array, maxOutput: number): Verdict {
  const first = varint(delta, 0);
  if (first === null || first[0] !== base.length) return { ok: false, limit: false };
  const second = varint(delta, first[1]);
  if (second === null) return { ok: false, limit: false };
  const [size, start] = second;
  if (size > maxOutput) return { ok: false, limit: true };
  const out: number[] = [];
  let pos = start;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op === 0) return { ok: false, limit: false };
    if (op < 0x80) {
      if (pos + op > delta.length || out.length + op > size) return { ok: false, limit: false };
      for (let i = 0; i < op; i++) out.push(delta[pos++]!);
      continue;
    }
    let offset = 0;
    let length = 0;
    for (let bit = 0; bit < 7; bit++) {
      if ((op & (1 << bit)) === 0) continue;
      if (pos >= delta.length) return { ok: false, limit: false };
      const byte = delta[pos++]!;
      if (bit < 4) offset += byte * 2 ** (8 * bit);
      else length += byte * 2 ** (8 * (bit - 4));
    }
    if (length === 0) length = 0x10000;
    if (offset + length > base.length || out.length + length > size) return { ok: false, limit: false };
    for (let i = 0; i < length; i++) out.push(base[offset + i]!);
  }
  if (out.length !== size) return { ok: false, limit: false };
  return { ok: true, bytes: Uint8Array.from(out) };
}

/** Outcomes seen by the running property, so each can check it reached both sides. */
const tally = { ok: 0, failed: 0 };

/** Asserts the property produced both results and errors (else its inputs miss the interesting part). */
function assertBothSides(what: string): void {
  assert.ok(tally.ok > 0 && tally.failed > 0, `${what}: ${tally.ok} results, ${tally.failed} errors`);
  tally.ok = tally.failed = 0;
}

/** Applies with both decoders and checks they agree exactly. */
function checkDelta(base: Uint8Array, delta: Uint8Array, maxOutput = 1 << 20, counted = true): Outcome<Uint8Array> {
  const outcome = settleSync("applyDelta", () => applyDelta(base, delta, maxOutput));
  if (counted) tally[outcome.ok ? "ok" : "failed"]++;
  const expected = naiveApply(base, delta, maxOutput);
  if (expected.ok) {
    assert.ok(outcome.ok, `applyDelta refused a valid delta: ${outcome.ok ? "" : outcome.error.message}`);
    assert.deepEqual(outcome.value, expected.bytes);
  } else {
    assert.ok(!outcome.ok, "applyDelta accepted a delta the reference refuses");
    if (expected.limit) assert.ok(outcome.error instanceof LimitError, outcome.error.message);
    else assert.ok(outcome.error instanceof ProtocolError && outcome.error.code === "ERR_DELTA", outcome.error.message);
  }
  return outcome;
}

function sizeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** A delta's instructions, split so structure-aware mutations can rearrange them. */
function instructions(delta: Uint8Array): { header: Uint8Array; ops: Uint8Array[] } {
  const { headerLength } = readDeltaHeader(delta);
  const ops: Uint8Array[] = [];
  let pos = headerLength;
  while (pos < delta.length) {
    const op = delta[pos]!;
    let length = 1;
    if (op >= 0x80) for (let bit = 0; bit < 7; bit++) length += (op >> bit) & 1;
    else length += op;
    ops.push(delta.subarray(pos, pos + length));
    pos += length;
  }
  return { header: delta.subarray(0, headerLength), ops };
}

/** Edits of a delta's structure: sizes rewritten, instructions dropped, repeated or swapped. */
type Rewrite =
  | { kind: "baseSize" | "resultSize"; value: number }
  | { kind: "drop" | "repeat"; at: number }
  | { kind: "swap"; a: number; b: number };

const interestingSize = fc.oneof(
  fc.nat({ max: 70000 }),
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xffff, 0x10000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1),
);

const rewrite: fc.Arbitrary<Rewrite> = fc.oneof(
  fc.record({ kind: fc.constantFrom("baseSize" as const, "resultSize" as const), value: interestingSize }),
  fc.record({ kind: fc.constantFrom("drop" as const, "repeat" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
);

function applyRewrites(base: Uint8Array, delta: Uint8Array, rewrites: readonly Rewrite[]): Uint8Array {
  const { ops } = instructions(delta);
  const { resultSize } = readDeltaHeader(delta);
  let baseSize = base.length;
  let size = resultSize;
  for (const r of rewrites) {
    if (r.kind === "baseSize") baseSize = r.value;
    else if (r.kind === "resultSize") size = r.value;
    else if (ops.length === 0) continue;
    else if (r.kind === "drop") ops.splice(r.at % ops.length, 1);
    else if (r.kind === "repeat") ops.splice(r.at % ops.length, 0, ops[r.at % ops.length]!);
    else if (r.kind === "swap") {
      const a = r.a % ops.length;
      const b = r.b % ops.length;
      [ops[a], ops[b]] = [ops[b]!, ops[a]!];
    }
  }
  return join(sizeVarint(baseSize), sizeVarint(size), ...ops);
}

let realDeltas: Promise<{ base: Uint8Array; delta: Uint8Array }[]> | undefined;

/** The deltas git wrote into a pack of a small history, each with the content of its base. */
function gitDeltas(): Promise<{ base: Uint8Array; delta: Uint8Array }[]> {
  realDeltas ??= (async () => {
    const repo = smallHistory(12);
    try {
      const pack = packAll(repo, ["--delta-base-offset"]);
      const contents = new Map<number, Uint8Array>();
      const out: { base: Uint8Array; delta: Uint8Array }[] = [];
      await parsePack(iterate([pack]), {
        platform: nodePlatform,
        limits: resolveLimits(),
        onEntry(e) {
          if (e.packType < 6) {
            contents.set(e.offset, e.data);
            return;
          }
          assert.equal(e.packType, 6, "the pack was made with --delta-base-offset");
          const base = contents.get(e.baseOffset!)!;
          out.push({ base, delta: e.data });
          contents.set(e.offset, applyDelta(base, e.data, 1 << 30));
        },
      });
      return out;
    } finally {
      repo.remove();
    }
  })();
  return realDeltas;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max });

describe("fuzz: applyDelta", () => {
  it("agrees with the naive decoder on arbitrary deltas with a matching header (property)", () => {
    fc.assert(
      fc.property(bytes(300), bytes(200), interestingSize, fc.boolean(), (base, body, resultSize, keepBase) => {
        const header = join(sizeVarint(keepBase ? base.length : (base.length + 1) % 301), sizeVarint(resultSize % 4096));
        checkDelta(base, join(header, body));
      }),
      fuzzParams(2000),
    );
    assertBothSides("arbitrary instructions");
  });

  it("agrees with the naive decoder on arbitrary bytes (property)", () => {
    fc.assert(
      fc.property(bytes(64), bytes(64), fc.integer({ min: 0, max: 200 }), (base, delta, max) => {
        checkDelta(base, delta, max);
      }),
      fuzzParams(2000),
    );
    // Random bytes almost never declare the right base size: this one only checks robustness.
    tally.ok = tally.failed = 0;
  });

  it("agrees with the naive decoder on mutated createDelta output (property)", () => {
    fc.assert(
      fc.property(bytes(2000), bytes(300), fc.nat(), mutations(3, 8), fc.array(rewrite, { maxLength: 3 }), (base, insert, at, edits, rewrites) => {
        const cut = base.length === 0 ? 0 : at % base.length;
        const target = join(base.subarray(0, cut), insert, base.subarray(cut));
        const delta = createDelta(base, target);
        const clean = checkDelta(base, delta, target.length, false);
        assert.ok(clean.ok && clean.value.length === target.length);
        checkDelta(base, mutate(applyRewrites(base, delta, rewrites), edits));
      }),
      fuzzParams(400),
    );
    assertBothSides("createDelta");
  });

  it("agrees with the naive decoder on mutated deltas written by git (property)", async () => {
    const deltas = await gitDeltas();
    assert.ok(deltas.length >= 5, `only ${deltas.length} deltas in the fixture pack`);
    fc.assert(
      fc.property(fc.constantFrom(...deltas), mutations(3, 8), fc.array(rewrite, { maxLength: 3 }), ({ base, delta }, edits, rewrites) => {
        assert.ok(checkDelta(base, delta, 1 << 20, false).ok);
        checkDelta(base, mutate(applyRewrites(base, delta, rewrites), edits));
      }),
      fuzzParams(500),
    );
    assertBothSides("git deltas");
  });
});

describe("fuzz: delta bombs", () => {
  it("refuses a 5-byte delta declaring a 1 GiB result with a LimitError, allocating nothing", () => {
    const delta = join(sizeVarint(0), sizeVarint(1024 * MiB), Uint8Array.of(0x7f));
    let outcome: Outcome<Uint8Array> | undefined;
    const growth = memoryGrowth(() => {
      outcome = settleSync("applyDelta", () => applyDelta(new Uint8Array(0), delta, resolveLimits().maxObjectBytes));
    });
    assert.ok(outcome !== undefined && !outcome.ok && outcome.error instanceof LimitError, "expected a LimitError");
    assert.equal(outcome.error.limit, "maxObjectBytes");
    assert.ok(growth.peak < 16 * MiB && growth.resident < 16 * MiB, `grew by ${JSON.stringify(growth)}`);
  });

  it("refuses declared results from maxObjectBytes + 1 up to 2^53 - 1, and sizes past 2^53 as malformed", () => {
    const max = resolveLimits().maxObjectBytes;
    for (const size of [max + 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1]) {
      const delta = join(sizeVarint(3), sizeVarint(size), Uint8Array.of(0x91, 0, 3));
      assert.throws(() => applyDelta(Uint8Array.of(1, 2, 3), delta, max), LimitError, `size ${size}`);
    }
    const tooWide = join(sizeVarint(3), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f));
    assert.throws(() => applyDelta(Uint8Array.of(1, 2, 3), tooWide, max), (e: unknown) => e instanceof ProtocolError && e.code === "ERR_DELTA");
  });
});
