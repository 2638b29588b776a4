import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { applyDelta, createDelta, readDeltaHeader } from "../../../src/git/delta.ts";
import { concatBytes, utf8Decode, utf8Encode } from "../../../src/util/bytes.ts";
import { rng } from "./pack-fixtures.ts";

const MAX = 1 << 26;

function randomBytes(seed: number, n: number): Uint8Array {
  const next = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() * 256) | 0;
  return out;
}

/** Size-encoding varint, written independently of the module under test. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function delta(baseSize: number, resultSize: number, ...ops: number[]): Uint8Array {
  return Uint8Array.from([...varint(baseSize), ...varint(resultSize), ...ops]);
}

function deltaError(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`);
    assert.equal(error.code, "ERR_DELTA");
    assert.match(error.message, pattern);
    return true;
  };
}

/** Byte-level view of a delta's instructions, for checking the encoder's choices. */
function instructions(d: Uint8Array): { copies: number; inserts: number; insertBytes: number } {
  const { headerLength } = readDeltaHeader(d);
  let copies = 0;
  let inserts = 0;
  let insertBytes = 0;
  for (let pos = headerLength; pos < d.length;) {
    const op = d[pos++]!;
    if (op & 0x80) {
      copies++;
      for (let bit = 0; bit < 7; bit++) if (op & (1 << bit)) pos++;
    } else {
      inserts++;
      insertBytes += op;
      pos += op;
    }
  }
  return { copies, inserts, insertBytes };
}

describe("readDeltaHeader", () => {
  it("decodes the two size varints", () => {
    assert.deepEqual(readDeltaHeader(Uint8Array.of(0x90, 0x01, 0x05)), {
      baseSize: 144,
      resultSize: 5,
      headerLength: 3,
    });
    assert.deepEqual(readDeltaHeader(delta(2 ** 40 + 3, 0)), {
      baseSize: 2 ** 40 + 3,
      resultSize: 0,
      headerLength: 7,
    });
  });

  it("rejects truncated and oversized headers", () => {
    assert.throws(
      () => readDeltaHeader(new Uint8Array(0)),
      deltaError(/^Delta header is truncated: the base size/),
    );
    assert.throws(
      () => readDeltaHeader(Uint8Array.of(0x05)),
      deltaError(/the result size ends after 1 bytes/),
    );
    assert.throws(
      () => readDeltaHeader(Uint8Array.of(0x05, 0x80)),
      deltaError(/result size ends after 2 bytes/),
    );
    assert.throws(
      () => readDeltaHeader(Uint8Array.of(...Array(8).fill(0xff), 0x7f, 0)),
      deltaError(/does not fit in 53 bits/),
    );
  });
});

describe("applyDelta", () => {
  const base = utf8Encode("0123456789abcdefghijklmnopqrstuvwxyz");

  it("copies and inserts", () => {
    // copy 10 bytes from offset 10, insert "XY", copy 3 bytes from offset 0
    const d = delta(base.length, 15, 0x91, 10, 10, 0x02, 0x58, 0x59, 0x90, 3);
    assert.equal(utf8Decode(applyDelta(base, d, MAX)), "abcdefghijXY012");
  });

  it("reads offset bytes by position, not by count (offset3 without offset2)", () => {
    const big = randomBytes(1, 0x030005 + 10);
    const d = delta(big.length, 4, 0x80 | 0x01 | 0x04 | 0x10, 0x05, 0x03, 4); // offset 0x030005, size 4
    assert.deepEqual(applyDelta(big, d, MAX), big.subarray(0x030005, 0x030009));
  });

  it("treats size 0 as 0x10000", () => {
    const big = randomBytes(2, 0x10000);
    assert.deepEqual(applyDelta(big, delta(big.length, 0x10000, 0x80), MAX), big);
  });

  it("reads three size bytes and a fourth offset byte", () => {
    const big = randomBytes(3, (1 << 24) + 0x010203 + 10);
    // offset 0x01000007 (bytes 0 and 3), size 0x010203 (bytes 1, 2, 3)
    const d = delta(big.length, 0x010203, 0x80 | 0x01 | 0x08 | 0x70, 0x07, 0x01, 0x03, 0x02, 0x01);
    assert.deepEqual(applyDelta(big, d, MAX), big.subarray(0x01000007, 0x01000007 + 0x010203));
  });

  it("produces an empty result from a delta without instructions", () => {
    assert.equal(applyDelta(base, delta(base.length, 0), MAX).length, 0);
  });

  it("rejects a base of the wrong size", () => {
    assert.throws(
      () => applyDelta(base, delta(40, 1, 0x01, 0x41), MAX),
      deltaError(/^Delta expects a base of 40 bytes but the base has 36 bytes$/),
    );
  });

  it("rejects a result larger than maxOutput with a LimitError before allocating", () => {
    assert.throws(
      () => applyDelta(base, delta(base.length, 2 ** 40), MAX),
      (error: unknown) =>
        error instanceof LimitError &&
        error.limit === "maxObjectBytes" &&
        error.message === "Delta result of 1099511627776 bytes exceeds the limit of 67108864 bytes",
    );
    assert.throws(() => applyDelta(base, delta(base.length, 11, 0x90, 11), 10), LimitError);
  });

  it("rejects copies outside the base", () => {
    const big = new Uint8Array(150);
    assert.throws(
      () => applyDelta(big, delta(150, 100, 0x91, 100, 100), MAX),
      deltaError(/^Delta copies bytes 100\.\.200 but the base has 150 bytes$/),
    );
    assert.throws(
      () => applyDelta(big, delta(150, 0x10000, 0x80), MAX),
      deltaError(/copies bytes 0\.\.65536/),
    );
  });

  it("rejects truncated copy and insert instructions", () => {
    assert.throws(
      () => applyDelta(base, delta(base.length, 5, 0x91, 3), MAX),
      deltaError(/copy instruction at byte 2 is truncated/),
    );
    assert.throws(
      () => applyDelta(base, delta(base.length, 5, 0x05, 0x41, 0x42), MAX),
      deltaError(/insert instruction at byte 2 needs 5 bytes but only 2 remain/),
    );
  });

  it("rejects the reserved opcode 0", () => {
    assert.throws(
      () => applyDelta(base, delta(base.length, 5, 0x00, 0x90, 5), MAX),
      deltaError(/^Invalid delta opcode 0 at byte 2/),
    );
  });

  it("rejects instructions that write past the result", () => {
    assert.throws(
      () => applyDelta(base, delta(base.length, 5, 0x90, 6), MAX),
      deltaError(/instruction at byte 2 writes up to byte 6 but the result has 5 bytes/),
    );
    assert.throws(
      () => applyDelta(base, delta(base.length, 2, 0x03, 1, 2, 3), MAX),
      deltaError(/writes up to byte 3/),
    );
  });

  it("rejects trailing bytes after the result is complete", () => {
    assert.throws(
      () => applyDelta(base, delta(base.length, 3, 0x90, 3, 0x01), MAX),
      deltaError(/^Delta has 1 trailing bytes after its 3-byte result is complete$/),
    );
  });

  it("rejects a delta that ends before the result is complete", () => {
    assert.throws(
      () => applyDelta(base, delta(base.length, 10, 0x90, 3), MAX),
      deltaError(/^Delta ends after producing 3 of its declared 10 bytes$/),
    );
  });
});

describe("createDelta", () => {
  it("round-trips arbitrary pairs", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (base, target) => {
        assert.deepEqual(applyDelta(base, createDelta(base, target), MAX), target);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips edits of a base and encodes them compactly", () => {
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 300 }),
      insert: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.nat({ max: 40000 }),
        fc.array(edit, { maxLength: 8 }),
        (seed, size, edits) => {
          const base = randomBytes(seed, size);
          let target = base;
          let added = 0;
          for (const e of edits) {
            const at = e.at % (target.length + 1);
            target = concatBytes([
              target.subarray(0, at),
              e.insert,
              target.subarray(Math.min(target.length, at + e.remove)),
            ]);
            added += e.insert.length;
          }
          const d = createDelta(base, target);
          assert.deepEqual(applyDelta(base, d, MAX), target);
          // Each edit costs at most a copy (8 bytes), an insert of its bytes plus ~2 blocks of unmatched context.
          assert.ok(
            d.length <= 20 + added * 1.05 + edits.length * 80 + 80,
            `delta of ${d.length} bytes for ${added} new bytes`,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("finds copies in repetitive and shifted data", () => {
    const base = utf8Encode("line of text number ".repeat(5000));
    const target = concatBytes([utf8Encode("prefix"), base.subarray(7, 90000), utf8Encode("suffix")]);
    const d = createDelta(base, target);
    assert.deepEqual(applyDelta(base, d, MAX), target);
    const ops = instructions(d);
    assert.equal(ops.insertBytes, 12, "only the new prefix and suffix are inserted");
    assert.ok(ops.copies >= 2, "copies longer than 0x10000 are split"); // 89993 bytes > 0x10000
    assert.ok(d.length < 40, `delta is ${d.length} bytes`);
  });

  it("splits long literals into inserts of at most 127 bytes", () => {
    const target = randomBytes(9, 1000);
    const d = createDelta(new Uint8Array(0), target);
    assert.deepEqual(instructions(d), { copies: 0, inserts: 8, insertBytes: 1000 });
    assert.equal(d.length, 3 + 1000 + 8);
    assert.deepEqual(applyDelta(new Uint8Array(0), d, MAX), target);
  });

  it("encodes an identical 1 MiB object as copies only", () => {
    const base = randomBytes(4, 1 << 20);
    const d = createDelta(base, base);
    assert.deepEqual(instructions(d), { copies: 16, inserts: 0, insertBytes: 0 });
    assert.deepEqual(applyDelta(base, d, MAX), base);
  });
});
