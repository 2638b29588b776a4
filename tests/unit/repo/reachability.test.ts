import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { reachableSet, unreachable } from "../../../src/repo/reachability.ts";
import type { ObjectPool } from "../../../src/repo/object-pool.ts";
import { ingestAndPublish, makeEnv, packOf, revListObjectsMany, standardHistory, type History } from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let pool: ObjectPool;

before(async () => {
  h = standardHistory();
  const env = makeEnv();
  await ingestAndPublish(env, "p", packOf(h.dir, [h.ids.E!]));
  ({ pool } = await ingestAndPublish(env, "p", packOf(h.dir, ["--all"])));
});

const g = (name: string) => pool.locateId(h.ids[name] ?? name);
const reached = (bitmap: Uint8Array) => [...bitmap.keys()].filter((x) => bitmap[x] === 1).map((x) => pool.idOf(x)).sort();

describe("reachableSet", () => {
  it("holds exactly what git rev-list --objects lists for the tips", SLOW, () => {
    const tipSets = [["E"], ["H4", "G"], ["vtopic"], ["v1", "T1"]];
    const expected = revListObjectsMany(h.dir, tipSets.map((tips) => tips.map((t) => h.ids[t]!)));
    tipSets.forEach((tips, k) => {
      assert.deepEqual(reached(reachableSet(pool, `repo-${k}`, tips.map(g))), expected[k]!.sort(), tips.join(","));
    });
  });

  it("is recomputed when the tips change", SLOW, () => {
    const small = reachableSet(pool, "moving", [g("B")]);
    assert.equal(small[g("E")], 0);
    const large = reachableSet(pool, "moving", [g("H4")]);
    assert.equal(large[g("E")], 1);
    assert.equal(reachableSet(pool, "moving", [g("H4")]), large, "cached for the same tips and view");
  });
});

describe("unreachable", () => {
  it("returns the targets a repository's refs do not reach", SLOW, () => {
    // A fork at E shares the pool with the full repository.
    assert.deepEqual(unreachable(pool, "fork", [g("E")], [g("E"), g("D"), g("A")]), []);
    assert.deepEqual(unreachable(pool, "fork", [g("E")], [g("H4"), g("D"), g("G"), g("T1")]), [g("H4"), g("G"), g("T1")]);
    assert.deepEqual(unreachable(pool, "full", [g("H4"), g("G"), g("T2")], [g("vside")]), [g("vside")], "an unreferenced tag object");
    assert.deepEqual(unreachable(pool, "full", [g("vside")], [g("G"), g("F")]), [], "through an annotated tag");
  });

  it("reports absent objects first and alone", SLOW, () => {
    assert.deepEqual(unreachable(pool, "fork", [g("E")], [g("H4"), -1, g("A")]), [-1]);
    assert.deepEqual(unreachable(pool, "fork", [], []), []);
  });
});
