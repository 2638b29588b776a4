import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { filterDescends, filterIncludes, parseFilter } from "../../../src/repo/object-filter.ts";
import { ProtocolError } from "../../../src/errors.ts";

const COMMIT = 1;
const TREE = 2;
const BLOB = 3;
const TAG = 4;

describe("parseFilter", () => {
  it("parses each supported spec", () => {
    assert.deepEqual(parseFilter("blob:none"), { blobLimit: 0 });
    assert.deepEqual(parseFilter("blob:limit=0"), { blobLimit: 0 });
    assert.deepEqual(parseFilter("blob:limit=123"), { blobLimit: 123 });
    assert.deepEqual(parseFilter("blob:limit=2k"), { blobLimit: 2048 });
    assert.deepEqual(parseFilter("blob:limit=3M"), { blobLimit: 3 * 1024 * 1024 });
    assert.deepEqual(parseFilter("blob:limit=1g"), { blobLimit: 1024 ** 3 });
    assert.deepEqual(parseFilter("tree:0"), { treeDepth: 0 });
    assert.deepEqual(parseFilter("tree:7"), { treeDepth: 7 });
    assert.deepEqual(parseFilter("object:type=commit"), { onlyType: COMMIT });
    assert.deepEqual(parseFilter("object:type=tree"), { onlyType: TREE });
    assert.deepEqual(parseFilter("object:type=blob"), { onlyType: BLOB });
    assert.deepEqual(parseFilter("object:type=tag"), { onlyType: TAG });
  });

  it("combines specs, URL-decoding each part, keeping the strictest of each kind", () => {
    assert.deepEqual(parseFilter("combine:blob:none+tree:2"), { blobLimit: 0, treeDepth: 2 });
    assert.deepEqual(parseFilter("combine:blob%3Alimit%3D10+tree%3A3+blob:limit=4"), { blobLimit: 4, treeDepth: 3 });
    assert.deepEqual(parseFilter("combine:tree:5+tree:1"), { treeDepth: 1 });
    assert.deepEqual(parseFilter("combine:object:type=blob+object:type=blob"), { onlyType: BLOB });
    assert.equal(parseFilter("combine:object:type=blob+object:type=tree").onlyType, -1, "no type matches both");
  });

  it("refuses what it does not support with the message git shows", () => {
    const refuses = (spec: string, message: string) =>
      assert.throws(() => parseFilter(spec), (e: unknown) => e instanceof ProtocolError && e.message === message, spec);
    refuses("sparse:oid=main:.sparse", "filter 'sparse' not supported");
    refuses("blob:limit=abc", "filter 'blob' not supported");
    refuses("tree:-1", "filter 'tree' not supported");
    refuses("object:type=note", "filter 'object' not supported");
    refuses("", "filter '' not supported");
    refuses("combine:blob:none+bogus", "filter 'bogus' not supported");
    refuses("combine:blob%ZZnone", 'Invalid filter: cannot decode "blob%ZZnone"');
  });
});

describe("filterIncludes and filterDescends", () => {
  it("omits blobs at or above the limit, and trees and blobs at or below the depth", () => {
    const limit = parseFilter("blob:limit=10");
    assert.equal(filterIncludes(limit, BLOB, 9, 5), true);
    assert.equal(filterIncludes(limit, BLOB, 10, 5), false);
    assert.equal(filterIncludes(limit, TREE, 1 << 20, 5), true);
    assert.equal(filterIncludes(limit, COMMIT, 0, 0), true);
    const depth = parseFilter("tree:2");
    assert.equal(filterIncludes(depth, TREE, 0, 1), true);
    assert.equal(filterIncludes(depth, TREE, 0, 2), false);
    assert.equal(filterIncludes(depth, BLOB, 0, 2), false);
    assert.equal(filterIncludes(depth, COMMIT, 0, 0), true);
    assert.equal(filterIncludes(depth, TAG, 0, 0), true);
    assert.equal(filterDescends(depth, 0), true);
    assert.equal(filterDescends(depth, 1), false);
    assert.equal(filterDescends(parseFilter("blob:none"), 100), true);
    const type = parseFilter("object:type=tag");
    assert.equal(filterIncludes(type, TAG, 0, 0), true);
    assert.equal(filterIncludes(type, COMMIT, 0, 0), false);
  });

  it("includes an object under combine:a+b exactly when both a and b include it", () => {
    const spec = fc.oneof(
      fc.constant("blob:none"),
      fc.nat(5000).map((n) => `blob:limit=${n}`),
      fc.nat(6).map((n) => `tree:${n}`),
      fc.constantFrom("commit", "tree", "blob", "tag").map((t) => `object:type=${t}`),
    );
    fc.assert(
      fc.property(spec, spec, fc.integer({ min: 1, max: 4 }), fc.nat(6000), fc.nat(8), (a, b, type, size, depth) => {
        const combined = filterIncludes(parseFilter(`combine:${a}+${b}`), type, size, depth);
        assert.equal(combined, filterIncludes(parseFilter(a), type, size, depth) && filterIncludes(parseFilter(b), type, size, depth));
      }),
    );
  });
});
