import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Negotiator } from "../../../src/repo/negotiate.ts";
import type { ObjectPool } from "../../../src/repo/object-pool.ts";
import { COMMIT, parentsOf, peel } from "../../../src/repo/commit-graph.ts";
import { Pacer } from "../../../src/util/pacer.ts";
import { gitText, ingestAndPublish, makeEnv, makeRepo, packOf, standardHistory, type History } from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let pool: ObjectPool;
/** W (t=2000) → P (t=500, an older committer date) → X (t=1000). */
let skew: History;
let skewPool: ObjectPool;
/** A random DAG with skewed committer dates, every commit a branch tip (see randomDag). */
let dag: History;
let dagPool: ObjectPool;
const DAG_SIZE = 40;

before(async () => {
  h = standardHistory();
  ({ pool } = await ingestAndPublish(makeEnv(), "p", packOf(h.dir, ["--all"])));
  skew = makeRepo([
    { name: "X", files: { "f": "x\n" }, time: 1000 },
    { name: "P", files: { "f": "p\n" }, time: 500 },
    { name: "W", files: { "f": "w\n" }, time: 2000 },
  ]);
  ({ pool: skewPool } = await ingestAndPublish(makeEnv(), "s", packOf(skew.dir, ["--all"])));
  dag = randomDag(DAG_SIZE, random(7));
  ({ pool: dagPool } = await ingestAndPublish(makeEnv(), "d", packOf(dag.dir, ["--all"])));
});

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** c0 … c(n-1): each has one or two earlier parents and a date that often runs backwards. */
function randomDag(n: number, rand: () => number): History {
  const pick = (k: number) => `c${Math.floor(rand() * k)}`;
  return makeRepo(
    Array.from({ length: n }, (_, k) => {
      const parents = k === 0 ? [] : rand() < 0.3 && k > 1 ? [...new Set([pick(k), pick(k)])] : [pick(k)];
      return { name: `c${k}`, branch: `b${k}`, parents, files: { f: `${k}\n` }, time: 1000 + k * 100 + Math.floor((rand() - 0.5) * 1500) };
    }),
  );
}

/**
 * upload-pack.c ok_to_give_up as git writes it: can_all_from_reach_with_flag(want_obj, THEY_HAVE,
 * COMMON_KNOWN, oldest_have), a fresh DFS from every want, in generation order (as with a
 * commit-graph), marking RESULT on the way back.
 */
function gitOkToGiveUp(p: ObjectPool, wants: readonly number[], theyHave: ReadonlySet<number>, oldestHave: number, haveObjects: number): boolean {
  if (haveObjects === 0) return false;
  const minDate = oldestHave === Infinity ? 0 : oldestHave; // git's oldest_have stays 0 without a commit have
  const ASSIGN = 1;
  const RESULT = 2;
  const flags = new Map<number, number>();
  const has = (c: number, f: number) => ((flags.get(c) ?? 0) & f) !== 0;
  const set = (c: number, f: number) => flags.set(c, (flags.get(c) ?? 0) | f);
  const flagged = (c: number) => theyHave.has(c) || has(c, RESULT);
  const generations = new Map<number, number>();
  const generation = (c: number): number => {
    let gen = generations.get(c);
    if (gen === undefined) {
      gen = 1 + Math.max(0, ...parentsOf(p, c).map(generation));
      generations.set(c, gen);
    }
    return gen;
  };
  const list = [...new Set(wants)].map((w) => peel(p, w)).filter((c) => c !== -1 && p.typeOf(c) === COMMIT);
  list.sort((a, b) => generation(a) - generation(b) || p.commitTimeOf(a) - p.commitTimeOf(b));
  for (const start of list) {
    set(start, ASSIGN);
    const stack = [start];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (flagged(top)) {
        stack.pop();
        if (stack.length > 0) set(stack[stack.length - 1]!, RESULT);
        continue;
      }
      let pushed = false;
      for (const parent of parentsOf(p, top)) {
        if (flagged(parent)) set(top, RESULT);
        if (!has(parent, ASSIGN)) {
          set(parent, ASSIGN);
          if (p.commitTimeOf(parent) < minDate) continue;
          stack.push(parent);
          pushed = true;
          break;
        }
      }
      if (!pushed) stack.pop();
    }
    if (!flagged(start)) return false;
  }
  return true;
}

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

  it("walks from a want older than the oldest have (git exempts where the walk starts from the cutoff)", SLOW, () => {
    assert.ok(h.times.D! < h.times.G!);
    const n = negotiator("D");
    assert.equal(n.have(g("G")), 1, "G's parent F is a parent of D");
    assert.equal(n.okToGiveUp(), true);
  });

  it("answers as git's fresh walk does, however haves and questions interleave", SLOW, () => {
    const rand = random(11);
    const d = (k: number) => dagPool.locateId(dag.ids[`c${k}`]!);
    const unknown = dagPool.locateId("0123456789".repeat(4));
    const tree = dagPool.locateId(gitText(dag.dir, ["rev-parse", `${dag.ids.c5}^{tree}`]));
    let answers = 0;
    let ready = 0;
    for (let trial = 0; trial < 300; trial++) {
      const wants = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => d(Math.floor(rand() * DAG_SIZE)));
      if (rand() < 0.3) wants.push(wants[0]!, wants[0]!);
      const n = new Negotiator(dagPool, wants);
      const theyHave = new Set<number>();
      let oldest = Infinity;
      let haveObjects = 0;
      for (let k = 0, count = 1 + Math.floor(rand() * 10); k < count; k++) {
        const r = rand();
        const have = r < 0.1 ? unknown : r < 0.15 ? tree : d(Math.floor(rand() * DAG_SIZE));
        // What git's got_oid records, to feed the reference.
        let expected: -1 | 0 | 1 = -1;
        if (have !== unknown) {
          if (dagPool.typeOf(have) === COMMIT) {
            oldest = Math.min(oldest, dagPool.commitTimeOf(have));
            for (const parent of parentsOf(dagPool, have)) theyHave.add(parent);
          }
          expected = theyHave.has(have) ? 0 : 1;
          theyHave.add(have);
          if (expected === 1) haveObjects++;
        }
        assert.equal(n.have(have), expected);
        if (rand() < 0.6) {
          const answer = n.okToGiveUp();
          assert.equal(answer, gitOkToGiveUp(dagPool, wants, theyHave, oldest, haveObjects), `trial ${trial}, have ${k}`);
          answers++;
          if (answer) ready++;
        }
      }
    }
    assert.ok(answers > 500 && ready > 50 && answers - ready > 50, `both answers are exercised (${ready} of ${answers} ready)`);
  });

  it("does work linear in wants and haves, not wants × haves (10,000 repeated wants, 5,000 unknown haves)", SLOW, async () => {
    const unknown = pool.locateId("0123456789".repeat(4));
    const ask = async (wants: number[], expected: boolean, paced: boolean) => {
      const n = new Negotiator(pool, wants);
      assert.equal(n.have(g("E")), 1);
      const pacer = new Pacer();
      for (let k = 0; k < 5000; k++) {
        assert.equal(n.have(unknown), -1);
        assert.equal(paced ? await n.okToGiveUpPaced(pacer) : n.okToGiveUp(), expected);
      }
      return n.stats.steps;
    };
    const repeated = (names: string[]) => Array.from({ length: 10_000 }, (_, k) => g(names[k % names.length]!));
    // Ready stays true; not ready stays false (T2 does not reach E): neither may re-walk per have.
    for (const paced of [false, true]) {
      const satisfied = await ask(repeated(["H4"]), true, paced);
      const unsatisfied = await ask(repeated(["H4", "T2", "vside"]), false, paced);
      assert.ok(satisfied < 100_000, `${satisfied} steps`);
      assert.ok(unsatisfied < 100_000, `${unsatisfied} steps`);
    }
  });

  it("does not re-walk as common commits keep arriving between unknown haves", SLOW, () => {
    const unknown = pool.locateId("0123456789".repeat(4));
    const n = new Negotiator(pool, Array.from({ length: 10_000 }, () => g("T2")));
    const commits = ["H4", "H3", "H2", "H1", "E", "D", "G", "F", "C"];
    for (let round = 0; round < 500; round++) {
      n.have(g(commits[round % commits.length]!));
      for (let k = 0; k < 10; k++) {
        n.have(unknown);
        assert.equal(n.okToGiveUp(), false, "the topic branch (T2 → T1 → A) reaches none of them");
      }
    }
    n.have(g("A"));
    assert.equal(n.okToGiveUp(), true);
    assert.ok(n.stats.steps < 100_000, `${n.stats.steps} steps`);
  });
});
