import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deflateSync, inflateSync } from "node:zlib";
import fc from "fast-check";
import { adler32, deflateZlib } from "../../../src/git/deflate.ts";
import { inflateZlib } from "../../../src/git/inflate.ts";
import { anyData, compressibleBytes, concat, noiseBytes, referenceAdler32 } from "./zlib-fixtures.ts";

const text = new TextEncoder();

/** Asserts that node:zlib and our inflater both read `stream` back as `data`. */
function assertRoundTrip(data: Uint8Array): Uint8Array {
  const stream = deflateZlib(data);
  assert.deepEqual(new Uint8Array(inflateSync(stream)), data);
  const ours = inflateZlib(stream, data.length, data.length);
  assert.ok(ours);
  assert.equal(ours.consumed, stream.length);
  assert.deepEqual(ours.data, data);
  return stream;
}

/** The size of the same data in stored blocks: header, 5 bytes per 65535-byte block, adler32. */
function storedSize(n: number): number {
  return 2 + 5 * Math.max(1, Math.ceil(n / 65535)) + n + 4;
}

describe("deflateZlib", () => {
  it("produces streams node:zlib inflates back to the input", () => {
    fc.assert(fc.property(anyData, (data) => void assertRoundTrip(data)), { numRuns: 500 });
  });

  it("handles empty and one-byte inputs", () => {
    assert.equal(assertRoundTrip(new Uint8Array(0)).length, 8);
    assertRoundTrip(Uint8Array.of(0));
    assertRoundTrip(Uint8Array.of(255));
  });

  it("handles inputs over 64 KiB, incompressible ones in several stored blocks", () => {
    const noise = noiseBytes(200_001);
    const stream = assertRoundTrip(noise);
    assert.ok(stream.length <= storedSize(noise.length) + 1, `${stream.length} bytes`);
    assert.ok(stream.length > noise.length, "noise does not compress");
    // 65535 is the largest stored block; check the exact boundaries.
    for (const n of [65534, 65535, 65536, 131070, 131071]) assertRoundTrip(noise.subarray(0, n));
  });

  it("compresses repetitive data, with matches that reach back across 64 KiB chunks", () => {
    const line = text.encode(
      "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0000000000000000000000000000000000000000\n",
    );
    const data = concat(Array.from({ length: 3000 }, () => line));
    const stream = assertRoundTrip(data);
    assert.ok(stream.length < data.length / 20, `${stream.length} of ${data.length}`);
    const runs = new Uint8Array(300_000).fill(9);
    assert.ok(assertRoundTrip(runs).length < 300_000 / 100);
  });

  it("falls back to stored blocks per chunk for mixed data and never grows much past the input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(compressibleBytes, fc.uint8Array({ minLength: 1000, maxLength: 70_000 })), {
          maxLength: 4,
        }),
        (parts) => {
          const data = concat(parts);
          const stream = assertRoundTrip(data);
          assert.ok(
            stream.length <= storedSize(data.length) + 1,
            `${stream.length} bytes for ${data.length}`,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("compresses typical git objects to within 1.5x of zlib's default level", () => {
    const commit = text.encode(
      "tree 9bedf67800b2923982bdf60c89c57ce6e2b1c1e1\nparent 1b5e0bcb8b2e8f0d3e7b4b1f1f1f1f1f1f1f1f1f\n" +
        "author A U Thor <author@example.com> 1700000000 +0000\ncommitter C O Mitter <c@example.com> 1700000000 +0000\n\n" +
        "Make the portable inflater agree with zlib on where a stream ends\n",
    );
    const source = text.encode(
      Array.from(
        { length: 400 },
        (_, i) => `export function f${i}(x: number): number {\n  return x * ${i};\n}\n`,
      ).join(""),
    );
    for (const data of [commit, source]) {
      assert.ok(assertRoundTrip(data).length <= deflateSync(data).length * 1.5);
    }
  });
});

describe("adler32", () => {
  it("matches known values and the trailer node:zlib writes", () => {
    assert.equal(adler32(new Uint8Array(0)), 1);
    assert.equal(adler32(text.encode("Wikipedia")), 0x11e60398);
    const large = new Uint8Array(100_000).fill(0xff);
    const stream = deflateSync(large);
    assert.equal(adler32(large), stream.readUInt32BE(stream.length - 4));
  });

  it("equals a straightforward implementation and can be continued", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.nat(), (data, cut) => {
        const at = data.length === 0 ? 0 : cut % data.length;
        assert.equal(adler32(data), referenceAdler32(data));
        assert.equal(adler32(data.subarray(at), adler32(data.subarray(0, at))), referenceAdler32(data));
      }),
      { numRuns: 200 },
    );
  });
});
