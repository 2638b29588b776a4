import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { walkObjects, STATE_HAS, STATE_SEND } from "../../../src/repo/object-walk.ts";
import { parseFilter } from "../../../src/repo/object-filter.ts";
import type { ObjectPool } from "../../../src/repo/object-pool.ts";
import { gitText, ingestAndPublish, makeEnv, packOf, revListObjects, revListObjectsMany, standardHistory, type History } from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let pool: ObjectPool;

before(async () => {
  h = standardHistory();
  // Two packs, so walks cross pack boundaries.
  const env = makeEnv();
  await ingestAndPublish(env, "p", packOf(h.dir, [h.ids.E!]));
  ({ pool } = await ingestAndPublish(env, "p", packOf(h.dir, ["--all"])));
});

const idOf = (name: string) => h.ids[name] ?? name;

/** Object ids walkObjects sends for wants/haves given by name or id. */
function ours(wants: readonly string[], haves: readonly string[], filter: string | null = null): string[] {
  const result = walkObjects(pool, {
    wants: wants.map((w) => pool.locateId(idOf(w))),
    haves: haves.map((x) => pool.locateId(idOf(x))),
    cut: new Set(),
    filter: filter === null ? null : parseFilter(filter),
  });
  for (let k = 1; k < result.send.length; k++) assert.ok(result.send[k - 1]! < result.send[k]!, "send is ascending");
  for (const g of result.send) assert.equal(result.state[g], STATE_SEND);
  return [...result.send].map((g) => pool.idOf(g)).sort();
}

type Query = readonly [wants: readonly string[], haves: readonly string[], filter?: string | null];

/** What `git rev-list --objects [--filter] <wants> --not <haves>` lists, for each query (one spawn). */
function gitsMany(queries: readonly Query[]): string[][] {
  const argLists = queries.map(([wants, haves, filter]) => [...(filter ? [`--filter=${filter}`] : []), ...wants.map(idOf), "--not", ...haves.map(idOf)]);
  return revListObjectsMany(h.dir, argLists).map((ids) => ids.sort());
}

function gits(wants: readonly string[], haves: readonly string[], filter: string | null = null): string[] {
  return gitsMany([[wants, haves, filter]])[0]!;
}

const cases: [string[], string[]][] = [
  [["H4"], []],
  [["H4"], ["B"]],
  [["H4"], ["E"]],
  [["H4"], ["H3"]],
  [["H4", "G"], ["F"]],
  [["H4"], ["G"]],
  [["G"], ["H4"]],
  [["T2"], ["H4"]],
  [["T2", "H4", "G"], ["A"]],
  [["D"], ["C", "F"]],
  [["v1"], []],
  [["vside", "vtopic"], ["B"]],
  [["H4"], ["H4"]],
];

describe("walkObjects without filter", () => {
  it("sends what git rev-list --objects <wants> --not <haves> lists", SLOW, () => {
    const expected = gitsMany(cases);
    cases.forEach(([wants, haves], k) => assert.deepEqual(ours(wants, haves), expected[k], `wants ${wants} haves ${haves}`));
  });

  it("marks what the client has, for thin-pack bases", SLOW, () => {
    const result = walkObjects(pool, { wants: [pool.locateId(h.ids.H4!)], haves: [pool.locateId(h.ids.H3!)], cut: new Set(), filter: null });
    const h3Tree = new Set(revListObjects(h.dir, [`${h.ids.H3}^{tree}`]));
    for (const id of h3Tree) assert.equal(result.state[pool.locateId(id)], STATE_HAS, `tree object ${id} of the edge`);
    for (const name of ["A", "B", "C", "D", "E", "F", "H1", "H2", "H3"]) assert.equal(result.state[pool.locateId(h.ids[name]!)], STATE_HAS, name);
  });

  it("sends wanted trees and blobs directly", SLOW, () => {
    const tree = gitText(h.dir, ["rev-parse", `${h.ids.C}^{tree}`]);
    const blob = gitText(h.dir, ["rev-parse", `${h.ids.C}:big.bin`]);
    assert.deepEqual(ours([tree, blob], []), gits([tree, blob], []));
    assert.deepEqual(ours([tree], ["H4"]), gits([tree], ["H4"]));
  });
});

describe("walkObjects with a filter", () => {
  const filters = [
    "blob:none",
    "blob:limit=0",
    "blob:limit=8",
    "blob:limit=7",
    "blob:limit=1k",
    "blob:limit=8192",
    "tree:0",
    "tree:1",
    "tree:2",
    "tree:3",
    "tree:4",
    "object:type=blob",
    "object:type=tree",
    "object:type=commit",
    "object:type=tag",
    "combine:blob:none+tree:2",
    "combine:tree:2+object:type=tree",
  ];
  const queries: Query[] = filters.flatMap((filter) => [[["H4"], [], filter], [["H4", "T2"], ["C"], filter], [["vside"], [], filter]] as Query[]);
  it("sends what git rev-list --filter=<spec> lists, for each spec", SLOW, () => {
    const expected = gitsMany(queries);
    queries.forEach(([wants, haves, filter], k) => {
      assert.deepEqual(ours(wants, haves, filter), expected[k], `--filter=${filter} wants ${wants} haves ${haves}`);
    });
  });

  it("combines filters: an object is sent when every filter sends it", SLOW, () => {
    // git differs here: its combine filter remembers that blob:limit already showed lib/util/x.txt
    // (depth 3, refused by tree:3) and so never shows the same blob at x.txt (depth 1). We send
    // what the documentation promises, the intersection of what each filter sends.
    for (const [wants, haves] of [[["H4"], []], [["H4", "T2"], ["C"]]] as [string[], string[]][]) {
      const [byDepth, bySize] = gitsMany([[wants, haves, "tree:3"], [wants, haves, "blob:limit=100"]]);
      const both = new Set(byDepth);
      const expected = bySize!.filter((id) => both.has(id));
      assert.deepEqual(ours(wants, haves, "combine:blob:limit=100+tree:3"), expected);
      assert.deepEqual(ours(wants, haves, "combine:tree:3+blob:limit=100"), expected);
    }
    const x = h.ids.H4 + ":x.txt";
    assert.ok(ours(["H4"], [], "combine:blob:limit=100+tree:3").includes(gitText(h.dir, ["rev-parse", x])));
  });

  it("always sends explicitly wanted blobs and trees", SLOW, () => {
    const blob = gitText(h.dir, ["rev-parse", `${h.ids.C}:big.bin`]);
    const tree = gitText(h.dir, ["rev-parse", `${h.ids.C}:d1`]);
    const filters = ["blob:none", "blob:limit=10", "tree:0", "object:type=commit"];
    const expected = gitsMany(filters.map((f) => [[blob, tree], [], f]));
    filters.forEach((filter, k) => {
      const sent = ours([blob, tree], [], filter);
      assert.ok(sent.includes(blob), `${filter}: the wanted blob`);
      assert.ok(sent.includes(tree), `${filter}: the wanted tree`);
      assert.deepEqual(sent, expected[k], filter);
    });
  });
});
