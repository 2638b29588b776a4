import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import fc from "fast-check";
import { createSha1, sha1 } from "../../../src/git/sha1.ts";
import { git, tempDir } from "../../helpers/git.ts";

const text = new TextEncoder();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const nodeSha1 = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex");

/** Feeds `data` to a new hasher in pieces that end at `cuts` (sorted, may repeat: empty updates). */
function chunkedDigest(data: Uint8Array, cuts: number[]): string {
  const h = createSha1();
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    h.update(data.subarray(at, cut));
    at = cut;
  }
  h.update(data.subarray(at));
  return hex(h.digest());
}

describe("sha1", () => {
  it("matches the FIPS 180-2 example vectors", () => {
    assert.equal(hex(sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert.equal(hex(sha1(text.encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert.equal(
      hex(sha1(text.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    );
    const million = new Uint8Array(1_000_000).fill(0x61);
    assert.equal(hex(sha1(million)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    assert.equal(
      chunkedDigest(million, [1, 63, 64, 65, 1000, 999_999]),
      "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
    );
  });

  it("hashes every length around the padding boundaries like node:crypto", () => {
    const data = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 255);
    for (let n = 0; n <= 300; n++) {
      assert.equal(hex(sha1(data.subarray(0, n))), nodeSha1(data.subarray(0, n)), `length ${n}`);
    }
  });

  it("equals node:crypto for arbitrary data and arbitrary chunkings", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }).chain((data) =>
          fc.tuple(fc.constant(data), fc.array(fc.integer({ min: 0, max: data.length }), { maxLength: 12 }))
        ),
        ([data, cuts]) => {
          assert.equal(chunkedDigest(data, cuts), nodeSha1(data));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("hashes a large input fed in uneven updates", () => {
    const data = new Uint8Array(3_000_017).map((_, i) => Math.imul(i, 2654435761) >>> 24);
    const cuts = Array.from({ length: 40 }, (_, i) => Math.floor((i * i * 1873) % data.length));
    assert.equal(chunkedDigest(data, cuts), nodeSha1(data));
    // One byte at a time for a while, then everything else at once.
    const h = createSha1();
    for (let i = 0; i < 5000; i++) h.update(data.subarray(i, i + 1));
    h.update(data.subarray(5000));
    assert.equal(hex(h.digest()), nodeSha1(data));
  });

  it("gives git's object ids", () => {
    const dir = tempDir("reposit-sha1-");
    const body = text.encode("hello, git\n".repeat(100));
    const expected = git(["hash-object", "--stdin"], { cwd: dir, input: body }).stdout.trim();
    rmSync(dir, { recursive: true, force: true });
    const h = createSha1();
    h.update(text.encode(`blob ${body.length}\0`));
    h.update(body);
    assert.equal(hex(h.digest()), expected);
  });

  it("refuses to update or digest after digest()", () => {
    const h = createSha1();
    h.update(text.encode("abc"));
    h.digest();
    assert.throws(() => h.update(text.encode("d")), /digest\(\) was already called/);
    assert.throws(() => h.digest(), /digest\(\) was already called/);
  });

  it("does not keep a reference to the caller's buffer", () => {
    const data = text.encode("abcdefghij");
    const h = createSha1();
    h.update(data);
    data.fill(0);
    assert.equal(hex(h.digest()), nodeSha1(text.encode("abcdefghij")));
  });
});
