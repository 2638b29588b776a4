import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { planShallow, isDeepen, INFINITE_DEPTH, type DeepenRequest } from "../../../src/repo/shallow.ts";
import { walkObjects } from "../../../src/repo/object-walk.ts";
import type { ObjectPool } from "../../../src/repo/object-pool.ts";
import { ProtocolError } from "../../../src/errors.ts";
import { gitMany, gitUploadPackMany, ingestAndPublish, makeEnv, packIdsMany, packOf, pkt, splitResponse, standardHistory, tempDir, type History } from "./fixtures.ts";

/**
 * One shallow fetch. Commits are named as in standardHistory:
 *   A ─ B ─ C ─ D ─ E ─ H1 ─ H2 ─ H3 ─ H4 (main; D merges F), B ─ F ─ G (side), A ─ T1 ─ T2 (topic)
 */
interface Scenario {
  readonly title: string;
  readonly wants: readonly string[];
  readonly haves?: readonly string[];
  readonly clientShallow?: readonly string[];
  readonly depth?: number;
  readonly relative?: boolean;
  /** deepen-since the committer time of this commit. */
  readonly since?: string;
  /** deepen-not these refs. */
  readonly not?: readonly string[];
}

const scenarios: Scenario[] = [
  { title: "depth 1", wants: ["H4"], depth: 1 },
  { title: "depth 2", wants: ["H4"], depth: 2 },
  { title: "depth 5 ends at E", wants: ["H4"], depth: 5 },
  { title: "depth 6 ends at the merge", wants: ["H4"], depth: 6 },
  { title: "depth 7 cuts both parents of the merge", wants: ["H4"], depth: 7 },
  { title: "depth 2 from two wants", wants: ["H4", "G"], depth: 2 },
  { title: "depth 8 from main and topic: the root is reached early through topic", wants: ["H4", "T2"], depth: 8 },
  { title: "depth larger than the history", wants: ["H4"], depth: 50 },
  { title: "depth 1 through an annotated tag", wants: ["vside"], depth: 1 },
  { title: "deepen-since E", wants: ["H4"], since: "E" },
  { title: "deepen-since G from two wants", wants: ["H4", "G"], since: "G" },
  { title: "deepen-not side", wants: ["H4"], not: ["refs/heads/side"] },
  { title: "deepen-not a tag", wants: ["H4"], not: ["refs/tags/v1"] },
  { title: "deepen-not two refs", wants: ["H4", "T2"], not: ["refs/heads/side", "refs/tags/v1"] },
  { title: "unshallow", wants: ["H4"], haves: ["H4"], clientShallow: ["E"], depth: INFINITE_DEPTH },
  { title: "unshallow at a merge", wants: ["H4", "G"], haves: ["H4", "G"], clientShallow: ["D", "G"], depth: INFINITE_DEPTH },
  { title: "deepen 7 from a shallow clone at E", wants: ["H4"], haves: ["H4"], clientShallow: ["E"], depth: 7 },
  { title: "deepen 2 from a shallow clone at E (already deeper)", wants: ["H4"], haves: ["H4"], clientShallow: ["E"], depth: 2 },
  { title: "deepen-relative 1 from E", wants: ["H4"], haves: ["H4"], clientShallow: ["E"], depth: 1, relative: true },
  { title: "deepen-relative 1 from the merge", wants: ["H4"], haves: ["H4"], clientShallow: ["D"], depth: 1, relative: true },
  { title: "deepen-relative 1 from shallows at different depths", wants: ["H4", "G"], haves: ["H4", "G"], clientShallow: ["E", "G"], depth: 1, relative: true },
  // `git fetch --deepen` sends wants only for the refs it updates; a shallow commit that another ref
  // reaches (here G, the tip of side) deepens too, as upload-pack's get_reachable_list does.
  { title: "deepen-relative 1 also deepens a shallow reached only by a ref not wanted", wants: ["H4"], haves: ["H4", "G"], clientShallow: ["E", "G"], depth: 1, relative: true },
  { title: "deepen-since from a shallow clone", wants: ["H4"], haves: ["H4"], clientShallow: ["H2"], since: "C" },
];

interface Answer {
  shallow: string[];
  unshallow: string[];
  send: string[];
}

let h: History;
let pool: ObjectPool;
let refs: Map<string, string>;
/** Every ref tip of the history's repository. */
let tips: number[];
const gitAnswers = new Map<string, Answer>();
/** For a shallow client: the objects it lacks after the fetch, from `git --shallow-file … rev-list`. */
const neededBy = new Map<string, string[]>();

function request(s: Scenario): Uint8Array {
  const caps = "shallow no-progress ofs-delta deepen-since deepen-not" + (s.relative ? " deepen-relative" : "");
  const lines = s.wants.map((w, i) => `want ${h.ids[w]}${i === 0 ? ` ${caps}` : ""}\n`);
  for (const c of s.clientShallow ?? []) lines.push(`shallow ${h.ids[c]}\n`);
  if (s.depth) lines.push(`deepen ${s.depth}\n`);
  if (s.since) lines.push(`deepen-since ${h.times[s.since]}\n`);
  for (const n of s.not ?? []) lines.push(`deepen-not ${n}\n`);
  lines.push("0000");
  for (const x of s.haves ?? []) lines.push(`have ${h.ids[x]}\n`);
  lines.push("done\n");
  return pkt(lines);
}

before(async () => {
  h = standardHistory();
  const env = makeEnv();
  ({ pool } = await ingestAndPublish(env, "p", packOf(h.dir, ["--all"])));
  refs = new Map(Object.entries({ "refs/heads/side": h.ids.G!, "refs/tags/v1": h.ids.v1! }));
  tips = gitMany(h.dir, [["for-each-ref", "--format=%(objectname)"]])[0]!.split("\n").filter(Boolean).map((id) => pool.locateId(id));
});

/** git's answers, computed once by the first test that needs them (hooks cannot take a timeout in Bun). */
let asked = false;
function askGit(): void {
  if (asked) return;
  asked = true;
  const responses = gitUploadPackMany(h.dir, scenarios.map(request));
  const parsed = responses.map((r) => splitResponse(r));
  const sends = packIdsMany(parsed.map((p) => p.rest));
  scenarios.forEach((s, k) => {
    const lines = parsed[k]!.lines;
    gitAnswers.set(s.title, {
      shallow: lines.filter((l) => l.startsWith("shallow ")).map((l) => l.slice(8, 48)).sort(),
      unshallow: lines.filter((l) => l.startsWith("unshallow ")).map((l) => l.slice(10, 50)).sort(),
      send: sends[k]!,
    });
  });
  const withShallow = scenarios.filter((s) => s.clientShallow);
  const work = tempDir("reposit-shallow-");
  const commands = withShallow.flatMap((s, k) => {
    const answer = gitAnswers.get(s.title)!;
    const before = (s.clientShallow ?? []).map((c) => h.ids[c]!);
    const after = [...before.filter((id) => !answer.unshallow.includes(id)), ...answer.shallow];
    fs.writeFileSync(path.join(work, `before${k}`), before.map((id) => `${id}\n`).join(""));
    fs.writeFileSync(path.join(work, `after${k}`), after.map((id) => `${id}\n`).join(""));
    const haves = (s.haves ?? []).map((x) => h.ids[x]!);
    return [
      ["--shallow-file", path.join(work, `before${k}`), "rev-list", "--objects", ...haves],
      ["--shallow-file", path.join(work, `after${k}`), "rev-list", "--objects", ...haves, ...s.wants.map((w) => h.ids[w]!)],
    ];
  });
  const lists = gitMany(h.dir, commands).map((out) => out.split("\n").filter((l) => l !== "").map((l) => l.slice(0, 40)));
  withShallow.forEach((s, k) => {
    const has = new Set(lists[2 * k]!);
    neededBy.set(s.title, lists[2 * k + 1]!.filter((id) => !has.has(id)).sort());
  });
}

function deepenRequest(s: Scenario): DeepenRequest {
  return {
    depth: s.depth ?? 0,
    relative: s.relative ?? false,
    since: s.since ? h.times[s.since]! : null,
    not: (s.not ?? []).map((n) => pool.locateId(refs.get(n)!)),
    clientShallow: (s.clientShallow ?? []).map((c) => pool.locateId(h.ids[c]!)),
    repoShallow: new Set(),
    refTips: tips,
  };
}

/** planShallow, then the walk the way a fetch composes them (src/repo/fetch-plan.ts chooseObjects). */
function ours(s: Scenario): Answer {
  const wants = s.wants.map((w) => pool.locateId(h.ids[w]!));
  const plan = planShallow(pool, wants, deepenRequest(s));
  const walk = walkObjects(pool, {
    wants: [...wants, ...plan.extraWants],
    haves: (s.haves ?? []).map((x) => pool.locateId(h.ids[x]!)),
    cut: plan.cut,
    extraEdges: plan.unshallow,
    filter: null,
  });
  const ids = (gs: Iterable<number>) => [...gs].map((g) => pool.idOf(g)).sort();
  return { shallow: ids(plan.shallow), unshallow: ids(plan.unshallow), send: ids(walk.send) };
}

const names = (ids: readonly string[]) => ids.map((id) => Object.keys(h.ids).find((n) => h.ids[n] === id && !n.startsWith("v")) ?? id);

describe("planShallow against git upload-pack", () => {
  for (const s of scenarios) {
    it(`${s.title}: same shallow and unshallow lines and the same objects as git`, { timeout: 120_000 }, () => {
      askGit();
      const expected = gitAnswers.get(s.title)!;
      const actual = ours(s);
      assert.deepEqual(names(actual.shallow), names(expected.shallow), "shallow");
      assert.deepEqual(names(actual.unshallow), names(expected.unshallow), "unshallow");
      if (!s.clientShallow) {
        assert.deepEqual(actual.send, expected.send, "objects sent");
        return;
      }
      // For a shallow client, git's non-thin pack-objects also resends trees and blobs the client
      // already has (it marks no edges below a grafted commit); we send only what is missing. So:
      // everything the client lacks afterwards <= what we send <= what git sends.
      const needed = neededBy.get(s.title)!;
      const lacking = needed.filter((id) => !actual.send.includes(id));
      assert.deepEqual(names(lacking), [], "objects the client lacks after the fetch must be sent");
      const beyondGit = actual.send.filter((id) => !expected.send.includes(id));
      assert.deepEqual(names(beyondGit), [], "objects git would not send");
    });
  }

  it("puts the boundary at commits exactly at depth N", () => {
    const g = (n: string) => pool.locateId(h.ids[n]!);
    const plan = (depth: number) => names(planShallow(pool, [g("H4")], { depth, relative: false, since: null, not: [], clientShallow: [], repoShallow: new Set(), refTips: [] }).shallow.map((x) => pool.idOf(x)).sort());
    assert.deepEqual(plan(1), ["H4"]);
    assert.deepEqual(plan(2), ["H3"]);
    assert.deepEqual(plan(6), ["D"]);
    assert.deepEqual(plan(7).sort(), ["C", "F"]);
    assert.deepEqual(plan(9), ["A"]);
    assert.deepEqual(plan(10), []);
  });
});

describe("planShallow requests", () => {
  const none: DeepenRequest = { depth: 0, relative: false, since: null, not: [], clientShallow: [], repoShallow: new Set(), refTips: [] };

  it("tells deepen requests apart", () => {
    assert.equal(isDeepen(none), false);
    const withShallow: DeepenRequest = { ...none, clientShallow: [1] };
    assert.equal(isDeepen(withShallow), false);
    assert.equal(isDeepen({ ...none, depth: 1 }), true);
    assert.equal(isDeepen({ ...none, since: 1 }), true);
    assert.equal(isDeepen({ ...none, not: [1] }), true);
  });

  it("keeps the client's shallow commits as the cut when not deepening", () => {
    const e = pool.locateId(h.ids.E!);
    const plan = planShallow(pool, [pool.locateId(h.ids.H4!)], { ...none, clientShallow: [e] });
    assert.deepEqual(plan, { shallow: [], unshallow: [], cut: new Set([e]), extraWants: [] });
  });

  it("refuses deepen together with deepen-since, and a deepen-since that selects nothing", () => {
    const h4 = pool.locateId(h.ids.H4!);
    assert.throws(() => planShallow(pool, [h4], { ...none, depth: 1, since: 1 }), (e: unknown) => e instanceof ProtocolError && /cannot be used together/.test(e.message));
    assert.throws(() => planShallow(pool, [h4], { ...none, since: h.times.H4! + 1 }), (e: unknown) => e instanceof ProtocolError && e.message === "no commits selected for shallow requests");
  });
});
