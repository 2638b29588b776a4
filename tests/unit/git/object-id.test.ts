import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../../../src/errors.ts";
import {
  OID_BYTES,
  OID_HEX,
  ZERO_ID,
  assertObjectId,
  isObjectId,
  oidFromBytes,
  oidToBytes,
  oidToBytesInto,
} from "../../../src/git/object-id.ts";

// The empty blob: `git hash-object -t blob /dev/null`.
const EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

describe("object ids", () => {
  it("has SHA-1 sizes and the zero id", () => {
    assert.equal(OID_BYTES, 20);
    assert.equal(OID_HEX, 40);
    assert.equal(ZERO_ID, "0000000000000000000000000000000000000000");
  });

  it("accepts only 40 lowercase hex digits", () => {
    assert.equal(isObjectId(EMPTY_BLOB), true);
    assert.equal(isObjectId(ZERO_ID), true);
    assert.equal(isObjectId(EMPTY_BLOB.toUpperCase()), false);
    assert.equal(isObjectId(EMPTY_BLOB.slice(1)), false);
    assert.equal(isObjectId(EMPTY_BLOB + "0"), false);
    assert.equal(isObjectId(EMPTY_BLOB.slice(0, 39) + "g"), false);
    assert.equal(isObjectId(42), false);
  });

  it("throws ProtocolError ERR_REQUEST naming the value", () => {
    assert.throws(() => assertObjectId("xyz", "want"), (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, "ERR_REQUEST");
      assert.equal(error.message, 'Invalid want "xyz": expected 40 lowercase hexadecimal digits');
      return true;
    });
    assert.throws(() => assertObjectId(undefined, "have"), {
      message: "Invalid have value of type undefined: expected 40 lowercase hexadecimal digits",
    });
    assert.doesNotThrow(() => assertObjectId(EMPTY_BLOB, "want"));
  });

  it("converts between hex and raw bytes", () => {
    const raw = oidToBytes(EMPTY_BLOB);
    assert.equal(raw.length, 20);
    assert.equal(raw[0], 0xe6);
    assert.equal(raw[19], 0x91);
    assert.equal(oidFromBytes(raw), EMPTY_BLOB);
    const framed = new Uint8Array(25);
    oidToBytesInto(EMPTY_BLOB, framed, 3);
    assert.equal(oidFromBytes(framed, 3), EMPTY_BLOB);
    assert.throws(() => oidFromBytes(framed, 6), RangeError);
    assert.throws(() => oidToBytes("E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391"), ProtocolError);
  });

  it("round-trips arbitrary ids (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (raw) => {
        const oid = oidFromBytes(raw);
        assert.equal(isObjectId(oid), true);
        assert.deepEqual(oidToBytes(oid), raw);
      }),
    );
  });
});
