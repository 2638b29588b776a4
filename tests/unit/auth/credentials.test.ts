import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AuthError } from "../../../src/errors.ts";
import { parseAuthorization, readCredential, stripExpiresSuffix } from "../../../src/auth/credentials.ts";

const SECRET = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const TOKEN = `${SECRET}?expires=1760000000`;

function request(authorization?: string): Request {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return new Request("http://localhost/git/prod/app.git/info/refs?service=git-upload-pack", { headers });
}

function basic(userPass: string): string {
  return `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(userPass)))}`;
}

function assertMalformed(header: string, message: RegExp): void {
  assert.throws(() => parseAuthorization(header), (error: unknown) => {
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, "ERR_AUTH_INVALID");
    assert.match(error.message, message);
    return true;
  });
}

describe("readCredential", () => {
  it("returns null without an Authorization header", () => {
    assert.equal(readCredential(request()), null);
  });

  it("reads Bearer with the full token or the secret alone, any scheme case", () => {
    assert.deepEqual(readCredential(request(`Bearer ${TOKEN}`)), { kind: "bearer", secret: TOKEN });
    assert.deepEqual(readCredential(request(`Bearer ${SECRET}`)), { kind: "bearer", secret: SECRET });
    assert.deepEqual(readCredential(request(`bearer   ${SECRET}`)), { kind: "bearer", secret: SECRET });
    assert.deepEqual(readCredential(request(`BEARER ${SECRET}`)), { kind: "bearer", secret: SECRET });
  });

  it("percent-decodes a Bearer token", () => {
    assert.deepEqual(readCredential(request(`Bearer ${encodeURIComponent(TOKEN)}`)), {
      kind: "bearer",
      secret: TOKEN,
    });
  });

  it("reads the Basic password with an empty or any username", () => {
    for (const user of ["", "x", "x-access-token", "git", "ünïcode user"]) {
      assert.deepEqual(readCredential(request(basic(`${user}:${TOKEN}`))), { kind: "basic", secret: TOKEN });
      assert.deepEqual(readCredential(request(basic(`${user}:${SECRET}`))), {
        kind: "basic",
        secret: SECRET,
      });
    }
  });

  it("percent-decodes the Basic password (? sent as %3F)", () => {
    const encoded = encodeURIComponent(TOKEN);
    assert.ok(encoded.includes("%3F") && encoded.includes("%3D"));
    assert.deepEqual(readCredential(request(basic(`x:${encoded}`))), { kind: "basic", secret: TOKEN });
    assert.deepEqual(readCredential(request(basic(`:${SECRET}%3fexpires%3d1`))), {
      kind: "basic",
      secret: `${SECRET}?expires=1`,
    });
  });

  it("keeps a password that is not valid percent-encoding as sent", () => {
    assert.deepEqual(readCredential(request(basic("x:abc%zz"))), { kind: "basic", secret: "abc%zz" });
  });

  it("keeps colons inside the password", () => {
    assert.deepEqual(readCredential(request(basic("user:pa:ss"))), { kind: "basic", secret: "pa:ss" });
  });

  it("treats a secret in the username slot with an empty password as no credential", () => {
    assert.equal(readCredential(request(basic(`${TOKEN}:`))), null);
    assert.equal(readCredential(request(basic(`${SECRET}:`))), null);
    assert.equal(readCredential(request(basic(":"))), null);
  });

  it("accepts Basic base64 without padding", () => {
    const padded = btoa(`x:${SECRET}x`);
    assert.ok(padded.endsWith("="));
    assert.deepEqual(parseAuthorization(`Basic ${padded.replace(/=+$/, "")}`), {
      kind: "basic",
      secret: `${SECRET}x`,
    });
  });

  it("round-trips any username without a colon and any password", () => {
    fc.assert(
      fc.property(
        fc.string().filter((u) => !u.includes(":")),
        fc.string({ minLength: 1 }),
        (user, password) => {
          const secret = readCredential(request(basic(`${user}:${encodeURIComponent(password)}`)))?.secret;
          assert.equal(secret, password);
        },
      ),
    );
  });

  it("refuses malformed headers with ERR_AUTH_INVALID", () => {
    assertMalformed("Bearer", /Bearer credentials must be one token without spaces/);
    assertMalformed("Bearer a b", /Bearer credentials must be one token without spaces/);
    assertMalformed("Basic", /not valid base64/);
    assertMalformed("Basic !!!!", /not valid base64/);
    assertMalformed("Basic a", /not valid base64/);
    assertMalformed(`Basic ${btoa("no-colon-here")}`, /no ":" between username and password/);
    assertMalformed(`Basic ${btoa("x:\xff\xfe")}`, /not valid base64-encoded UTF-8/);
    assertMalformed("Token abc", /Unsupported authorization scheme "token": expected Bearer or Basic/);
    assertMalformed("Digest username=x", /Unsupported authorization scheme "digest"/);
    assertMalformed(`Bearer ${"a".repeat(9000)}`, /9007 characters long: expected at most 8192/);
  });
});

describe("stripExpiresSuffix", () => {
  it("removes only an ?expires= suffix", () => {
    assert.equal(stripExpiresSuffix(TOKEN), SECRET);
    assert.equal(stripExpiresSuffix(`${SECRET}?expires=`), SECRET);
    assert.equal(stripExpiresSuffix(`${SECRET}?expires=99999999999999&x=1`), SECRET);
    assert.equal(stripExpiresSuffix(SECRET), SECRET);
    assert.equal(stripExpiresSuffix(`${SECRET}?other=1`), `${SECRET}?other=1`);
    assert.equal(stripExpiresSuffix(""), "");
  });
});
