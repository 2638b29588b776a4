import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Negotiator } from "../../../src/repo/negotiate.ts";
import type { ObjectPool } from "../../../src/repo/object-pool.ts";
import { gitText, ingestAndPublish, makeEnv, makeRepo, packOf, standardHistory, type History } from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let pool: ObjectPool;
/** W (t=2000) → P (t=500, an older committer date) → X (t=1000). */
let skew: History;
let skewPool: ObjectPool;

before(async () => {
  h = standardHistory();
  ({ pool } = await ingestAndPublish(makeEnv(), "p", packOf(h.dir, ["--all"])));
  skew = makeRepo([
    { name: "X", files: { "f": "x\n" }, time: 1000 },
    { name: "P", files: { "f": "p\n" }, time: 500 },
    { name: "W", files: { "f": "w\n" }, time: 2000 },
  ]);
  ({ pool: skewPool } = await ingestAndPublish(makeEnv(), "s", packOf(skew.dir, ["--all"])));
});

const g = (name: string) => pool.locateId(h.ids[name] ?? name);
const negotiator = (...wants: string[]) => new Negotiator(pool, wants.map(g));

describe("Negotiator", () => {
  it("cannot give up before anything is common", SLOW, () => {
    const n = negotiator("H4");
    assert.equal(n.okToGiveUp(), false);
    assert.equal(n.have(-1), -1, "an object we do not have");
    assert.equal(n.have(pool.locateId("0123456789".repeat(4))), -1);
    assert.deepEqual(n.common, []);
    assert.equal(n.okToGiveUp(), false);
  });

  it("gives up once every want reaches a have", SLOW, () => {
    const n = negotiator("H4");
    assert.equal(n.have(g("E")), 1);
    assert.deepEqual(n.common, [g("E")]);
    assert.equal(n.okToGiveUp(), true);
  });

  it("answers 0 for a repeated have and for a parent of a have, and keeps common distinct", SLOW, () => {
    const n = negotiator("H4");
    assert.equal(n.have(g("E")), 1);
    assert.equal(n.have(g("E")), 0);
    assert.equal(n.have(g("C")), 1, "C is a grandparent: not known yet");
    assert.equal(n.have(g("D")), 0, "D is a parent of E, already known to be theirs");
    // As in git's do_got_oid, a known have still marks its parents: B and F are now known too.
    assert.equal(n.have(g("F")), 0);
    assert.deepEqual(n.common, [g("E"), g("C")]);
    const tree = pool.locateId(gitText(h.dir, ["rev-parse", `${h.ids.E}^{tree}`]));
    assert.equal(n.have(tree), 1);
    assert.equal(n.have(tree), 0);
  });

  it("needs every want to reach a have, not just one", SLOW, () => {
    const n = negotiator("H4", "T2");
    n.have(g("E"));
    assert.equal(n.okToGiveUp(), false, "topic (T2 → T1 → A) does not reach E");
    n.have(g("A"));
    assert.equal(n.okToGiveUp(), true);
    const both = negotiator("H4", "G");
    both.have(g("F"));
    assert.equal(both.okToGiveUp(), true, "H4 reaches F through the merge D, G is F's child");
  });

  it("peels wanted tags and ignores wants that are not commits", SLOW, () => {
    const tagged = negotiator("vside");
    tagged.have(g("F"));
    assert.equal(tagged.okToGiveUp(), true);
    const blob = gitText(h.dir, ["rev-parse", `${h.ids.C}:big.bin`]);
    const n = new Negotiator(pool, [g("H4"), pool.locateId(blob)]);
    n.have(g("H3"));
    assert.equal(n.okToGiveUp(), true);
  });

  it("does not walk below the oldest have's committer date (git's cutoff)", SLOW, () => {
    const s = (name: string) => skewPool.locateId(skew.ids[name]!);
    const n = new Negotiator(skewPool, [s("W")]);
    assert.equal(n.have(s("X")), 1);
    assert.equal(n.okToGiveUp(), false, "P is older than X, so W is not seen to reach X");
    assert.equal(n.have(s("W")), 1);
    assert.equal(n.okToGiveUp(), true);
  });

  it("treats objects hidden by the visibility check as unknown", SLOW, () => {
    const hidden = g("E");
    const n = new Negotiator(pool, [g("H4")], (x) => x !== hidden);
    assert.equal(n.have(hidden), -1);
    assert.equal(n.okToGiveUp(), false);
    assert.equal(n.have(g("H1")), 1);
    assert.equal(n.okToGiveUp(), true);
  });
});
