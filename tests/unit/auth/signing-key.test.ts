import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, parseSigningKey } from "../../../src/auth/signing-key.ts";

const BYTES = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 250) & 0xff);
const HEX = Array.from(BYTES, (b) => b.toString(16).padStart(2, "0")).join("");
const BASE64 = btoa(String.fromCharCode(...BYTES));
const BASE64URL = BASE64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("parseSigningKey", () => {
  it("decodes hex, lower and upper case", () => {
    assert.deepEqual(parseSigningKey(HEX), BYTES);
    assert.deepEqual(parseSigningKey(HEX.toUpperCase()), BYTES);
  });

  it("decodes base64 with padding and base64url without", () => {
    assert.ok(
      BASE64.includes("+") || BASE64.includes("/"),
      "fixture must exercise the alphabets' differences",
    );
    assert.deepEqual(parseSigningKey(BASE64), BYTES);
    assert.deepEqual(parseSigningKey(BASE64URL), BYTES);
  });

  it("ignores surrounding whitespace such as a file's final newline", () => {
    assert.deepEqual(parseSigningKey(`  ${BASE64URL}\n`), BYTES);
  });

  it("accepts longer keys", () => {
    const long = HEX + HEX;
    assert.equal(parseSigningKey(long).length, 64);
  });

  it("refuses keys shorter than 32 bytes without echoing the key", () => {
    const short = BASE64URL.slice(0, 40);
    assert.throws(() => parseSigningKey(short), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /decodes to 30 bytes, expected at least 32/);
      assert.ok(!error.message.includes(short));
      return true;
    });
    assert.throws(() => parseSigningKey(HEX.slice(0, 62)), /at least 32/);
    assert.throws(() => parseSigningKey(""), /at least 32/);
  });

  it("refuses text that is neither hex nor base64", () => {
    assert.throws(
      () => parseSigningKey("not a key at all, it has spaces and punctuation!"),
      /expected base64url, base64 or hex/,
    );
    assert.throws(() => parseSigningKey(`${BASE64URL}a`.slice(0, 41)), TypeError);
  });
});

describe("generateSigningKey", () => {
  it("returns 43 base64url characters that parse back to 32 fresh bytes", () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(parseSigningKey(a).length, 32);
  });
});
