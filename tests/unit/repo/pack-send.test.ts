import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sendPack, type SendPackStats } from "../../../src/repo/pack-send.ts";
import { walkObjects, type WalkResult } from "../../../src/repo/object-walk.ts";
import type { ObjectPool } from "../../../src/repo/object-pool.ts";
import {
  emptyBareRepo,
  git,
  gitText,
  indexPack,
  ingestAndPublish,
  makeEnv,
  packOf,
  revListObjects,
  standardHistory,
  type History,
  type VerifyRow,
} from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let pool: ObjectPool;
let tips: string[];

before(async () => {
  h = standardHistory();
  // Pack 1 holds H1's history; pack 2 is thin (its deltas may name pack 1's objects), so the pool
  // has deltas within a pack, across packs, OFS and REF.
  const env = makeEnv({ store: { maxValueBytes: 4096 } });
  await ingestAndPublish(env, "p", packOf(h.dir, [h.ids.H1!]));
  ({ pool } = await ingestAndPublish(env, "p", packOf(h.dir, ["--all", `^${h.ids.H1}`], { thin: true })));
  tips = ["H4", "G", "T2", "v1", "vside", "vtopic"].map((n) => h.ids[n]!);
});

function walk(wants: readonly string[], haves: readonly string[] = []): WalkResult {
  return walkObjects(pool, { wants: wants.map((id) => pool.locateId(id)), haves: haves.map((id) => pool.locateId(id)), cut: new Set(), filter: null });
}

async function send(w: WalkResult, thin: boolean, ofsDelta: boolean, newBase?: Int32Array): Promise<{ pack: Uint8Array; stats: SendPackStats }> {
  const parts: Uint8Array[] = [];
  let chunksAwaited = 0;
  const stats = await sendPack({
    pool,
    objects: w.send,
    state: w.state,
    thin,
    ofsDelta,
    ...(newBase ? { newBase } : {}),
    emit: async (chunk) => {
      parts.push(chunk.slice());
      chunksAwaited++;
      await Promise.resolve();
    },
  });
  assert.ok(chunksAwaited > 0);
  const pack = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    pack.set(p, at);
    at += p.length;
  }
  return { pack, stats };
}

const idsOf = (w: WalkResult) => [...w.send].map((g) => pool.idOf(g)).sort();
const rowIds = (rows: readonly VerifyRow[]) => rows.map((r) => r.id).sort();

describe("sendPack", () => {
  it("writes a full clone that git index-pack --strict accepts, holding exactly the wanted objects", SLOW, async () => {
    const w = walk(tips);
    assert.deepEqual(idsOf(w), revListObjects(h.dir, ["--all"]).sort());
    const { pack, stats } = await send(w, false, true);
    const rows = indexPack(pack, { strict: true });
    assert.deepEqual(rowIds(rows), idsOf(w));
    assert.equal(stats.objects, w.send.length);
    assert.equal(stats.reused + stats.reusedDeltas + stats.resolved + stats.newDeltas, stats.objects);
    assert.equal(stats.newDeltas, 0);
    assert.ok(stats.reusedDeltas > 10, `deltas are spliced, not recomputed (${stats.reusedDeltas})`);
    assert.ok(rows.some((r) => r.packType === 6), "ofs-delta: OFS_DELTA entries");
    for (const r of rows) if (r.baseId) assert.ok(rows.some((x) => x.id === r.baseId), `base of ${r.id} is in the pack`);
  });

  it("writes no OFS_DELTA entry without ofs-delta", SLOW, async () => {
    const w = walk(tips);
    const { pack, stats } = await send(w, false, false);
    const rows = indexPack(pack, { strict: true });
    assert.deepEqual(rowIds(rows), idsOf(w));
    assert.deepEqual(rows.filter((r) => r.packType === 6), []);
    assert.ok(rows.filter((r) => r.packType === 7).length === stats.reusedDeltas && stats.reusedDeltas > 10);
  });

  it("writes a thin pack against what the client has, which git completes with --fix-thin", SLOW, async () => {
    const w = walk([h.ids.H4!], [h.ids.H1!]);
    assert.deepEqual(idsOf(w), revListObjects(h.dir, [h.ids.H4!, "--not", h.ids.H1!]).sort());
    const { pack, stats } = await send(w, true, true);
    const client = emptyBareRepo();
    indexPack(packOf(h.dir, [h.ids.H1!]), { repo: client });
    assert.throws(() => indexPack(pack), /index-pack failed/, "the pack is thin: it cannot be indexed alone");
    const rows = indexPack(pack, { repo: client, fixThin: true });
    assert.ok(rows.length > w.send.length, "--fix-thin appended the bases the pack named");
    assert.ok(stats.reusedDeltas > 0);
    // The client now has H4's complete history.
    assert.deepEqual(gitText(client, ["rev-list", "--objects", h.ids.H4!]).split("\n").map((l) => l.slice(0, 40)).sort(), revListObjects(h.dir, [h.ids.H4!]).sort());
  });

  it("resolves a stored delta whose base is not sent when the client does not take a thin pack", SLOW, async () => {
    const w = walk([h.ids.H4!], [h.ids.H1!]);
    const whole = [...w.send].filter((g) => {
      const rep = pool.representation(g);
      return rep.packType >= 6 && !w.send.includes(rep.base);
    });
    assert.ok(whole.length > 0, "some sent object is stored as a delta against an object the client has");
    const { pack, stats } = await send(w, false, true);
    assert.equal(stats.resolved, whole.length);
    const rows = indexPack(pack);
    assert.deepEqual(rowIds(rows), idsOf(w));
    for (const g of whole) {
      const row = rows.find((r) => r.id === pool.idOf(g))!;
      assert.ok(row.packType >= 1 && row.packType <= 4, `${row.id} is written whole (pack type ${row.packType})`);
    }
    for (const r of rows) if (r.baseId) assert.ok(rows.some((x) => x.id === r.baseId), `base of ${r.id} is in the pack`);
  });

  it("deltifies objects afresh against the bases it is given, before or after them in the pack", SLOW, async () => {
    const w = walk(tips);
    // Pair each blob stored whole with the next whole blob: even positions take the later one as
    // base (REF_DELTA: it comes after), odd positions the earlier one (OFS_DELTA when allowed).
    const wholeBlobs = [...w.send.keys()].filter((i) => pool.typeOf(w.send[i]!) === 3 && pool.representation(w.send[i]!).packType < 6);
    assert.ok(wholeBlobs.length >= 4, `enough blobs stored whole (${wholeBlobs.length})`);
    const newBase = new Int32Array(w.send.length).fill(-1);
    const expected = new Map<string, string>();
    for (let k = 0; k + 1 < wholeBlobs.length; k += 4) {
      const [a, b] = [wholeBlobs[k]!, wholeBlobs[k + 1]!];
      newBase[a] = w.send[b]!; // base after: REF_DELTA
      expected.set(pool.idOf(w.send[a]!), pool.idOf(w.send[b]!));
      if (k + 2 < wholeBlobs.length) {
        const c = wholeBlobs[k + 2]!;
        newBase[c] = w.send[b]!; // base before: OFS_DELTA
        expected.set(pool.idOf(w.send[c]!), pool.idOf(w.send[b]!));
      }
    }
    for (const ofsDelta of [true, false]) {
      const { pack, stats } = await send(w, false, ofsDelta, newBase);
      assert.equal(stats.newDeltas, expected.size);
      assert.equal(stats.reused + stats.reusedDeltas + stats.resolved + stats.newDeltas, stats.objects);
      const rows = indexPack(pack, { strict: true });
      assert.deepEqual(rowIds(rows), idsOf(w));
      for (const [id, baseId] of expected) {
        const row = rows.find((r) => r.id === id)!;
        assert.equal(row.baseId, baseId, `${id} is a delta against the base it was given`);
      }
      if (ofsDelta) assert.ok(rows.some((r) => expected.has(r.id) && r.packType === 6), "a base written earlier gives an OFS_DELTA");
      else assert.ok(rows.every((r) => r.packType !== 6));
    }
  });

  it("writes an empty pack for an empty send set", SLOW, async () => {
    const w = walk([h.ids.H4!], [h.ids.H4!]);
    assert.equal(w.send.length, 0);
    const { pack, stats } = await send(w, true, true);
    assert.equal(pack.length, 32);
    assert.deepEqual(stats, { objects: 0, reused: 0, reusedDeltas: 0, resolved: 0, newDeltas: 0 });
    assert.equal(git(emptyBareRepo(), ["index-pack", "--stdin"], pack).length > 0, true);
  });
});
