import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../../../src/errors.ts";
import {
  decodeEntryHeader,
  decodeOfsDelta,
  decodePackHeader,
  encodeEntryHeader,
  encodeOfsDelta,
  encodePackHeader,
  PACK_SIGNATURE,
} from "../../../src/git/pack-format.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

function packError(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof ProtocolError && error.code === "ERR_PACK" && pattern.test(error.message);
}

describe("pack header", () => {
  it("encodes PACK, version 2 and the count in network byte order", () => {
    assert.deepEqual(encodePackHeader(0x01020304), bytes(0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 1, 2, 3, 4));
    assert.deepEqual(PACK_SIGNATURE, bytes(0x50, 0x41, 0x43, 0x4b));
    assert.deepEqual(decodePackHeader(encodePackHeader(0xffffffff)), { version: 2, objectCount: 0xffffffff });
  });

  it("accepts version 3 and rejects others", () => {
    const v3 = encodePackHeader(7);
    v3[7] = 3;
    assert.deepEqual(decodePackHeader(v3), { version: 3, objectCount: 7 });
    const v4 = encodePackHeader(7);
    v4[7] = 4;
    assert.throws(() => decodePackHeader(v4), packError(/^Unsupported pack version 4: expected 2 or 3$/));
  });

  it("rejects a wrong signature and a short header", () => {
    const bad = encodePackHeader(1);
    bad.set([0x50, 0x41, 0x43, 0x00]);
    assert.throws(
      () => decodePackHeader(bad),
      packError(/^Invalid pack signature "PAC\\x00": expected "PACK"$/),
    );
    assert.throws(
      () => decodePackHeader(bytes(0x50, 0x41)),
      packError(/header needs 12 bytes but the input has 2/),
    );
  });

  it("rejects counts that do not fit", () => {
    assert.throws(() => encodePackHeader(2 ** 32), RangeError);
    assert.throws(() => encodePackHeader(-1), RangeError);
  });
});

describe("entry header", () => {
  it("matches known byte vectors", () => {
    assert.deepEqual(encodeEntryHeader(3, 100), bytes(0xb4, 0x06)); // blob, 100 = 4 + 6 * 16
    assert.deepEqual(encodeEntryHeader(1, 15), bytes(0x1f));
    assert.deepEqual(encodeEntryHeader(1, 16), bytes(0x90, 0x01));
    assert.deepEqual(encodeEntryHeader(7, 0), bytes(0x70));
    assert.deepEqual(encodeEntryHeader(2, 2 ** 32), bytes(0xa0, 0x80, 0x80, 0x80, 0x80, 0x01)); // 2^32 = 2^4 * 2^(7*4)
    assert.deepEqual(decodeEntryHeader(bytes(0xb4, 0x06), 0), { packType: 3, size: 100, headerLength: 2 });
    assert.deepEqual(decodeEntryHeader(bytes(9, 9, 0x6f), 2), { packType: 6, size: 15, headerLength: 1 });
  });

  it("round-trips every type and sizes up to 2^53 - 1", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 6, 7),
        fc.oneof(fc.nat(), fc.maxSafeNat()),
        fc.nat({ max: 5 }),
        (type, size, pad) => {
          const encoded = encodeEntryHeader(type, size);
          const padded = new Uint8Array(pad + encoded.length + 3);
          padded.set(encoded, pad);
          assert.deepEqual(decodeEntryHeader(padded, pad), {
            packType: type,
            size,
            headerLength: encoded.length,
          });
          // Every proper prefix is "need more bytes".
          for (let n = 0; n < encoded.length; n++) {
            assert.equal(
              decodeEntryHeader(encoded.subarray(0, n), 0),
              null,
            );
          }
        },
      ),
    );
    assert.equal(
      decodeEntryHeader(encodeEntryHeader(3, Number.MAX_SAFE_INTEGER), 0)!.size,
      Number.MAX_SAFE_INTEGER,
    );
  });

  it("rejects sizes beyond 53 bits and overlong headers", () => {
    assert.throws(
      () => decodeEntryHeader(bytes(0xbf, ...Array(7).fill(0xff), 0x01), 0),
      packError(/does not fit in 53 bits/),
    );
    assert.throws(
      () => decodeEntryHeader(bytes(...Array(10).fill(0x80), 0), 0),
      packError(/longer than 10 bytes/),
    );
    assert.throws(() => encodeEntryHeader(3, 2 ** 53), RangeError);
  });
});

describe("OFS_DELTA offset encoding", () => {
  // From the doc: n bytes, each continuation adds 2^(7k), so 2 bytes start at 128 and 3 bytes at 16512.
  const vectors: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x00]],
    [129, [0x80, 0x01]],
    [16511, [0xff, 0x7f]],
    [16512, [0x80, 0x80, 0x00]],
    [2113663, [0xff, 0xff, 0x7f]],
    [2113664, [0x80, 0x80, 0x80, 0x00]],
  ];

  it("matches the doc's arithmetic", () => {
    for (const [distance, encoded] of vectors) {
      assert.deepEqual(encodeOfsDelta(distance), Uint8Array.from(encoded), `encode ${distance}`);
      assert.deepEqual(
        decodeOfsDelta(Uint8Array.from(encoded), 0),
        { distance, length: encoded.length },
        `decode ${distance}`,
      );
    }
  });

  it("round-trips distances up to 2^53 - 1 and reports short input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.maxSafeNat()), (distance) => {
        const encoded = encodeOfsDelta(distance);
        assert.deepEqual(decodeOfsDelta(Uint8Array.from([0xaa, ...encoded, 0x55]), 1), {
          distance,
          length: encoded.length,
        });
        for (let n = 0; n < encoded.length; n++) {
          assert.equal(decodeOfsDelta(encoded.subarray(0, n), 0), null);
        }
      }),
    );
    assert.equal(encodeOfsDelta(Number.MAX_SAFE_INTEGER).length, 8);
  });

  it("rejects distances beyond 53 bits", () => {
    assert.throws(
      () => decodeOfsDelta(bytes(...Array(8).fill(0xff), 0x7f), 0),
      packError(/does not fit in 53 bits/),
    );
    assert.throws(() => encodeOfsDelta(-1), RangeError);
  });
});
