import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isId, randomId } from "../../../src/auth/ids.ts";

describe("randomId", () => {
  it("returns 16 lowercase base-36 characters", () => {
    for (let i = 0; i < 1000; i++) assert.match(randomId(), /^[0-9a-z]{16}$/);
  });

  it("draws 10,000 distinct ids", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(randomId());
    assert.equal(seen.size, 10_000);
  });

  it("uses every symbol of the alphabet at roughly equal rates", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) for (const c of randomId()) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 36);
    // 64,000 symbols / 36 ≈ 1778 each; a modulo-biased or broken mapping would fall far outside this band.
    for (const [symbol, n] of counts) assert.ok(n > 1500 && n < 2060, `symbol "${symbol}" drawn ${n} times`);
  });
});

describe("isId", () => {
  it("accepts only the randomId shape", () => {
    assert.equal(isId("u7usp14xkllei2on"), true);
    assert.equal(isId("U7USP14XKLLEI2ON"), false);
    assert.equal(isId("u7usp14xkllei2o"), false);
    assert.equal(isId("u7usp14xkllei2on0"), false);
    assert.equal(isId("u7usp14xkllei2o-"), false);
    assert.equal(isId(""), false);
  });
});
