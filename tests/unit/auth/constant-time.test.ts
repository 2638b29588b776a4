import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { timingSafeEqualBytes, timingSafeEqualString } from "../../../src/auth/constant-time.ts";

describe("timingSafeEqualString", () => {
  it("is true for equal strings", async () => {
    assert.equal(await timingSafeEqualString("s3cret-api-token", "s3cret-api-token"), true);
    assert.equal(await timingSafeEqualString("", ""), true);
    assert.equal(await timingSafeEqualString("héllo ✓", "héllo ✓"), true);
  });

  it("is false for different strings of the same length, lengths, prefixes and case", async () => {
    assert.equal(await timingSafeEqualString("s3cret-api-token", "s3cret-api-tokeN"), false);
    assert.equal(await timingSafeEqualString("s3cret", "s3cret-api-token"), false);
    assert.equal(await timingSafeEqualString("s3cret-api-token", ""), false);
    assert.equal(await timingSafeEqualString("", "x"), false);
    assert.equal(await timingSafeEqualString("abc", "ABC"), false);
  });

  it("agrees with === on arbitrary strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (a, b) => {
        assert.equal(await timingSafeEqualString(a, b), a === b);
        assert.equal(await timingSafeEqualString(a, a), true);
      }),
    );
  });
});

describe("timingSafeEqualBytes", () => {
  it("compares bytes, including views into larger buffers", async () => {
    const big = new Uint8Array([9, 1, 2, 3, 9]);
    assert.equal(await timingSafeEqualBytes(big.subarray(1, 4), new Uint8Array([1, 2, 3])), true);
    assert.equal(await timingSafeEqualBytes(big.subarray(1, 4), new Uint8Array([1, 2, 4])), false);
    assert.equal(await timingSafeEqualBytes(new Uint8Array(0), new Uint8Array(1)), false);
  });
});
