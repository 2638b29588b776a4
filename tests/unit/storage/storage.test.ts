/**
 * @module tests/unit/storage/storage
 * Properties of the key-order and limit helpers in src/storage/storage.ts, checked against
 * TextEncoder as the independent oracle.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareKeys, listRange, prefixEnd, splitMutations, STRICTEST_LIMITS, utf8Length } from "../../../src/storage/storage.ts";
import type { KvMutation } from "../../../src/storage/types.ts";

const encoder = new TextEncoder();
function compareBytes(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
const sign = (n: number) => Math.sign(n);
/** Strings rich in the characters where UTF-16 and UTF-8 order disagree. */
const key = fc.oneof(
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.array(fc.constantFrom("a", "\u{7F}", "\u{80}", "\u{7FF}", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}"), { maxLength: 4 }).map((cs) => cs.join("")),
);

describe("utf8Length", () => {
  it("equals the TextEncoder length", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => utf8Length(s) === encoder.encode(s).length));
    assert.equal(utf8Length("\u{D800}x"), encoder.encode("\u{D800}x").length); // lone surrogate → U+FFFD
  });
});

describe("compareKeys", () => {
  it("orders like the UTF-8 bytes", () => {
    fc.assert(fc.property(key, key, (a, b) => sign(compareKeys(a, b)) === sign(compareBytes(a, b))), { numRuns: 2_000 });
    assert.ok(compareKeys("a\u{FFFF}", "a\u{10000}") < 0);
    assert.ok("a\u{FFFF}" > "a\u{10000}"); // why the helper exists
  });
});

describe("prefixEnd", () => {
  it("bounds exactly the keys that start with the prefix", () => {
    fc.assert(
      fc.property(key, key, (prefix, s) => {
        const end = prefixEnd(prefix);
        const inside = compareBytes(s, prefix) >= 0 && (end === null || compareBytes(s, end) < 0);
        return inside === s.startsWith(prefix);
      }),
      { numRuns: 3_000 },
    );
  });

  it("skips the surrogate gap and drops trailing U+10FFFF", () => {
    assert.equal(prefixEnd("a\u{D7FF}"), "a\u{E000}");
    assert.equal(prefixEnd("a\u{FFFF}"), "a\u{10000}");
    assert.equal(prefixEnd("a\u{10FFFF}\u{10FFFF}"), "b");
    assert.equal(prefixEnd("\u{10FFFF}"), null);
    assert.equal(prefixEnd(""), null);
    assert.equal(prefixEnd("refs/"), "refs0");
  });
});

describe("listRange", () => {
  it("uses start and end inside the prefix and rejects bounds outside it", () => {
    assert.deepEqual(listRange({ prefix: "a/" }), { lo: "a/", hi: "a0" });
    assert.deepEqual(listRange({ prefix: "a/", start: "a/c", end: "a/m" }), { lo: "a/c", hi: "a/m" });
    assert.throws(() => listRange({ prefix: "a/", start: "b" }), /start "b" does not begin with prefix "a\/"/);
    assert.throws(() => listRange({ prefix: "a/", end: "a" }), /end "a" does not begin/);
  });
});

describe("splitMutations", () => {
  it("keeps every batch within the limits and the order of the mutations", () => {
    const limits = { ...STRICTEST_LIMITS, maxMutations: 7, maxCommitBytes: 1_000 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(40), fc.boolean()), { maxLength: 60 }), (specs) => {
        const mutations: KvMutation[] = specs.map(([n, del], i) =>
          del ? { type: "delete", key: `k${i}` } : { type: "set", key: `k${i}`, value: new Uint8Array(n) },
        );
        const batches = splitMutations(limits, mutations);
        assert.deepEqual(batches.flat(), mutations);
        for (const batch of batches) {
          assert.ok(batch.length >= 1 && batch.length <= 7);
          const bytes = batch.reduce((n, m) => n + (m.type === "set" ? 2 * (m.key.length + 2) + m.value.length : m.key.length + 2), 0);
          assert.ok(bytes <= 1_000);
        }
      }),
    );
  });
});
