import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ingestPack } from "../../../src/repo/ingest.ts";
import { ObjectPool } from "../../../src/repo/object-pool.ts";
import { decodePackIndex, FLAG_DUPLICATE, compareId, type PackIndex } from "../../../src/repo/pack-index.ts";
import { packIndexPrefix } from "../../../src/repo/keys.ts";
import { readBlobBytes } from "../../../src/storage/chunked-blob.ts";
import { listAll } from "../../../src/storage/storage.ts";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import {
  assertBytes,
  buildPack,
  catAll,
  chunked,
  encode,
  gitText,
  indexPack,
  ingestAndPublish,
  makeDelta,
  makeEnv,
  objectId,
  packObjects,
  packOf,
  randomBytes,
  revListObjects,
  standardHistory,
  treeEntries,
  type History,
} from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

const TYPE_CODES: Record<string, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

let h: History;
let all: string[];
let objects: Map<string, { type: string; content: Uint8Array }>;
/** git's packs: everything (OFS_DELTA and REF_DELTA-only), H1's history, and main after H1 (thin). */
let full: Uint8Array;
let fullRef: Uint8Array;
let upToH1: Uint8Array;
let thinAfterH1: Uint8Array;

before(() => {
  h = standardHistory();
  all = revListObjects(h.dir, ["--all"]);
  objects = catAll(h.dir, all);
  full = packOf(h.dir, ["--all"]);
  fullRef = packOf(h.dir, ["--all"], { ofsDelta: false });
  upToH1 = packOf(h.dir, [h.ids.H1!]);
  thinAfterH1 = packOf(h.dir, ["main", `^${h.ids.H1}`], { thin: true });
});

/** Every id is located with git's type, size and id, and reads back byte-identical to `git cat-file`. */
async function assertMatchesGit(pool: ObjectPool, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const g = pool.locateId(id);
    assert.notEqual(g, -1, `object ${id} is not in the pool`);
    const expected = objects.get(id)!;
    assert.equal(pool.idOf(g), id);
    assert.equal(pool.typeOf(g), TYPE_CODES[expected.type], `type of ${id}`);
    assert.equal(pool.sizeOf(g), expected.content.length, `size of ${id}`);
    const object = await pool.read(g);
    assert.equal(object.type, TYPE_CODES[expected.type]);
    assertBytes(object.content, expected.content, `content of ${id}`);
  }
}

function countPackTypes(index: PackIndex): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const t of index.packType) counts[t] = (counts[t] ?? 0) + 1;
  return counts;
}

describe("ingestPack", () => {
  it("indexes a full pack: every object is located, typed, sized and read back as git has it", SLOW, async () => {
    const env = makeEnv();
    const { result, pool } = await ingestAndPublish(env, "p", full);
    assert.equal(result.newObjects, all.length);
    assert.deepEqual(result.missing, []);
    assert.equal(result.index!.count, all.length);
    assert.equal(pool.total, all.length);
    assert.ok(countPackTypes(result.index!)[6]! > 5, "the pack should hold OFS_DELTA entries");
    await assertMatchesGit(pool, all);
    assert.equal(pool.locateId("0".repeat(40)), -1);
    assert.equal(await pool.readById("f".repeat(40)), null);
  });

  it("resolves a REF_DELTA-only pack, with pack bytes spread over 4 KiB store values", SLOW, async () => {
    const env = makeEnv({ store: { maxValueBytes: 4096 } });
    const { result, pool } = await ingestAndPublish(env, "p", fullRef);
    const types = countPackTypes(result.index!);
    assert.equal(types[6], undefined);
    assert.ok(types[7]! > 5, "the pack should hold REF_DELTA entries");
    assert.equal(result.record!.chunkBytes, 4096);
    await assertMatchesGit(pool, all);
  });

  it("records each object's links and committer time as git sees them", SLOW, async () => {
    const env = makeEnv();
    const { pool } = await ingestAndPublish(env, "p", full);
    const idsOf = (g: number) => pool.linksOf(g).map((l) => (l.target === -1 ? null : pool.idOf(l.target)));
    for (const line of gitText(h.dir, ["log", "--all", "--format=%H %T %ct %P"]).split("\n")) {
      const [commit, tree, time, ...parents] = line.split(" ").filter((w) => w !== "");
      const g = pool.locateId(commit!);
      assert.deepEqual(idsOf(g), [tree, ...parents]);
      assert.deepEqual(pool.linksOf(g).map((l) => l.type), [2, ...parents.map(() => 1)]);
      assert.equal(pool.commitTimeOf(g), Number(time));
    }
    for (const [id, object] of objects) {
      if (object.type !== "tree") continue;
      const entries = treeEntries(object.content);
      const g = pool.locateId(id);
      const typeOfMode = (mode: string) => (mode === "40000" ? 2 : mode === "160000" ? 1 : 3);
      assert.deepEqual(pool.linksOf(g).map((l) => l.type), entries.map((e) => typeOfMode(e.mode)));
      // A gitlink names a commit of another repository: its link target is absent (-1).
      assert.deepEqual(idsOf(g), entries.map((e) => (e.mode === "160000" ? null : e.id)));
    }
    const tag = pool.locateId(h.ids.v1!);
    assert.deepEqual(pool.linksOf(tag), [{ target: pool.locateId(h.ids.C!), type: 1 }]);
  });

  it("stores an index that decodes back to the same arrays, sorted by id", SLOW, async () => {
    const env = makeEnv({ store: { maxValueBytes: 1000 } });
    const { result } = await ingestAndPublish(env, "p", full);
    const record = result.record!;
    const bytes = await readBlobBytes(env.store, packIndexPrefix("p", record.blobId), record.indexChunkBytes, 0, record.indexBytes);
    assert.equal(bytes.length, record.indexBytes);
    const decoded = decodePackIndex(bytes);
    const index = result.index!;
    for (const key of Object.keys(index) as (keyof PackIndex)[]) {
      assert.deepEqual(decoded[key], index[key], `field ${key}`);
    }
    assert.equal(decoded.sorted.length, all.length);
    for (let k = 1; k < decoded.sorted.length; k++) {
      assert.ok(compareId(decoded.ids, decoded.sorted[k - 1]! * 20, decoded.ids, decoded.sorted[k]! * 20) < 0);
    }
    // Offsets are where git's own index says the entries start.
    const rows = indexPack(full);
    const offsetOf = new Map(rows.map((r) => [r.id, r.offset]));
    for (let i = 0; i < index.count; i++) {
      const id = gitHex(index.ids, i);
      assert.equal(index.offset[i], offsetOf.get(id));
    }
    assert.throws(() => decodePackIndex(bytes.subarray(0, bytes.length - 8)), /expected \d+ bytes, got \d+/);
    assert.throws(() => decodePackIndex(new Uint8Array(64)), /bad magic/);
  });

  it("completes a thin pack against objects already in the pool", SLOW, async () => {
    const env = makeEnv();
    await ingestAndPublish(env, "p", upToH1);
    assert.throws(() => indexPack(thinAfterH1), /unresolved deltas|cannot be resolved|fix-thin/i, "git must need --fix-thin for this pack");
    const { result, pool } = await ingestAndPublish(env, "p", thinAfterH1);
    assert.ok(result.index!.externalIds.length > 0, "the pack should delta against stored objects");
    assert.equal(pool.packs.length, 2);
    await assertMatchesGit(pool, revListObjects(h.dir, ["main"]));
  });

  it("resolves deltas by re-reading stored entries when the delta-base cache holds 1 KiB", SLOW, async () => {
    const env = makeEnv({ limits: { deltaBaseCacheBytes: 1024 }, objectCacheBytes: 1024, store: { maxValueBytes: 4096 } });
    const { pool } = await ingestAndPublish(env, "p", fullRef);
    await assertMatchesGit(pool, all);
    const env2 = makeEnv({ limits: { deltaBaseCacheBytes: 1024 }, objectCacheBytes: 1024 });
    const { pool: pool2 } = await ingestAndPublish(env2, "p", full);
    await assertMatchesGit(pool2, all);
  });

  it("resolves a thin pack with a 1 KiB delta-base cache", SLOW, async () => {
    const env = makeEnv({ limits: { deltaBaseCacheBytes: 1024 }, objectCacheBytes: 1024 });
    await ingestAndPublish(env, "p", upToH1);
    const { pool } = await ingestAndPublish(env, "p", thinAfterH1);
    await assertMatchesGit(pool, revListObjects(h.dir, ["main"]));
  });

  it("resolves an in-pack delta whose base is a delta against a stored object, with a 1 KiB cache", SLOW, async () => {
    // X is REF_DELTA against a stored blob, Y is OFS_DELTA against X; X (4 KiB) never fits the cache.
    const stored = randomBytes(1, 4096);
    const x = stored.slice();
    x.set(encode("changed in x"), 4000);
    const y = x.slice();
    y.set(encode("changed in y"), 4050);
    for (const cache of [1 << 20, 1024]) {
      const env = makeEnv({ limits: { deltaBaseCacheBytes: cache } });
      await ingestAndPublish(env, "p", buildPack([{ type: "blob", content: stored }]));
      const pack = buildPack([
        { refBase: objectId("blob", stored), delta: makeDelta(stored, x) },
        { ofsBase: 0, delta: makeDelta(x, y) },
      ]);
      const { result, pool } = await ingestAndPublish(env, "p", pack);
      assert.equal(result.newObjects, 2, `cache ${cache}`);
      assertBytes((await pool.readById(objectId("blob", y)))!.content, y, `cache ${cache}`);
    }
  });

  it("resolves REF_DELTA entries whose bases come later in the pack", SLOW, async () => {
    const b2 = randomBytes(2, 3000);
    const b1 = b2.slice();
    b1.set(encode("one"), 2900);
    const b0 = b1.slice();
    b0.set(encode("zero"), 2990);
    const pack = buildPack([
      { refBase: objectId("blob", b1), delta: makeDelta(b1, b0) },
      { refBase: objectId("blob", b2), delta: makeDelta(b2, b1) },
      { type: "blob", content: b2 },
    ]);
    for (const cache of [1 << 20, 1024]) {
      const env = makeEnv({ limits: { deltaBaseCacheBytes: cache }, objectCacheBytes: cache });
      const { result, pool } = await ingestAndPublish(env, "p", pack);
      assert.equal(result.newObjects, 3);
      assert.deepEqual([...result.index!.base], [1, 2, -1], "bases are in-pack entries");
      for (const content of [b0, b1, b2]) {
        const g = pool.locateId(objectId("blob", content));
        assertBytes((await pool.read(g)).content, content, `cache ${cache}`);
        assert.equal(pool.sizeOf(g), content.length);
      }
      assert.equal(pool.representation(pool.locateId(objectId("blob", b0))).base, pool.locateId(objectId("blob", b1)));
    }
  });

  it("flags objects the pool already has as duplicates and does not count them as new", SLOW, async () => {
    const env = makeEnv();
    const first = await ingestAndPublish(env, "p", packOf(h.dir, [h.ids.C!]));
    const inC = revListObjects(h.dir, [h.ids.C!]);
    assert.equal(first.result.newObjects, inC.length);
    const { result, pool } = await ingestAndPublish(env, "p", full);
    assert.equal(result.newObjects, all.length - inC.length);
    const index = result.index!;
    const duplicates = new Set<string>();
    for (let i = 0; i < index.count; i++) if (index.flags[i] === FLAG_DUPLICATE) duplicates.add(gitHex(index.ids, i));
    assert.deepEqual([...duplicates].sort(), [...inC].sort());
    assert.equal(index.sorted.length, all.length - inC.length);
    // Lookups return the earliest copy.
    for (const id of inC) assert.equal(pool.packOf(pool.locateId(id)), 0);
    await assertMatchesGit(pool, all);
    // The same pack again: nothing new.
    const again = await ingestAndPublish(env, "p", full);
    assert.equal(again.result.newObjects, 0);
    assert.equal(again.result.index!.sorted.length, 0);
    assert.equal(again.pool.total, inC.length + 2 * all.length);
    await assertMatchesGit(again.pool, all);
  });

  it("counts an object that appears twice in one pack once", SLOW, async () => {
    const blob = encode("twice\n");
    const env = makeEnv();
    const { result, pool } = await ingestAndPublish(env, "p", buildPack([{ type: "blob", content: blob }, { type: "blob", content: blob }]));
    assert.equal(result.newObjects, 1);
    assert.deepEqual([...result.index!.flags], [0, FLAG_DUPLICATE]);
    assert.equal(pool.locateId(objectId("blob", blob)), 0);
  });

  it("resolves deltas against copies of an object that is stored and repeated in the pack", SLOW, async () => {
    const s = randomBytes(4, 2500);
    const x = s.slice();
    x.set(encode("x"), 10);
    const y = s.slice();
    y.set(encode("y"), 2000);
    for (const cache of [1 << 20, 1024]) {
      const env = makeEnv({ limits: { deltaBaseCacheBytes: cache }, objectCacheBytes: cache });
      await ingestAndPublish(env, "p", buildPack([{ type: "blob", content: s }]));
      const pack = buildPack([
        { refBase: objectId("blob", s), delta: makeDelta(s, x) },
        { type: "blob", content: s },
        { type: "blob", content: s },
        { ofsBase: 2, delta: makeDelta(s, y) },
        { refBase: objectId("blob", y), delta: makeDelta(y, s) },
      ]);
      const { result, pool } = await ingestAndPublish(env, "p", pack);
      assert.equal(result.newObjects, 2, `cache ${cache}`);
      assert.deepEqual([...result.index!.flags], [0, FLAG_DUPLICATE, FLAG_DUPLICATE, 0, FLAG_DUPLICATE]);
      for (const content of [s, x, y]) assertBytes((await pool.readById(objectId("blob", content)))!.content, content, `cache ${cache}`);
      // Lookups and delta bases go to the earliest copy: the stored one in pack 1.
      const stored = pool.locateId(objectId("blob", s));
      assert.equal(pool.packOf(stored), 0);
      assert.equal(pool.representation(pool.locateId(objectId("blob", y))).base, stored);
    }
  });

  it("reports link targets that are neither in the pack nor in the pool", SLOW, async () => {
    const env = makeEnv();
    const pool = await ObjectPool.open(env, "p");
    const tree = gitText(h.dir, ["rev-parse", `${h.ids.C}^{tree}`]);
    const commitOnly = await ingestPack(pool, chunked(packObjects(h.dir, [h.ids.C!])), "b1");
    assert.deepEqual([...commitOnly.missing].sort(), [tree, h.ids.B!].sort());
    const tagOnly = await ingestPack(pool, chunked(packObjects(h.dir, [h.ids.v1!])), "b2");
    assert.deepEqual(tagOnly.missing, [h.ids.C!]);
    // A gitlink is a commit of another repository and never missing.
    const t2Tree = gitText(h.dir, ["rev-parse", `${h.ids.T2}^{tree}`]);
    const treeOnly = await ingestPack(pool, chunked(packObjects(h.dir, [t2Tree])), "b3");
    const entries = treeEntries(catAll(h.dir, [t2Tree]).get(t2Tree)!.content);
    assert.ok(entries.some((e) => e.mode === "160000"));
    assert.deepEqual([...treeOnly.missing].sort(), entries.filter((e) => e.mode !== "160000").map((e) => e.id).sort());
    // Once the commit's tree and parent are stored, the same commit is complete.
    await ingestAndPublish(env, "p", packOf(h.dir, [h.ids.B!]));
    await ingestAndPublish(env, "p", packObjects(h.dir, revListObjects(h.dir, [h.ids.C!, `^${h.ids.B}`]).filter((id) => id !== h.ids.C)));
    const complete = await ingestPack(await ObjectPool.open(env, "p"), chunked(packObjects(h.dir, [h.ids.C!])), "b4");
    assert.deepEqual(complete.missing, []);
    assert.equal(complete.newObjects, 1);
  });

  it("accepts an empty pack and produces nothing to publish", SLOW, async () => {
    const env = makeEnv();
    const empty = packObjects(h.dir, []);
    assert.equal(empty.length, 32);
    const { result, pool } = await ingestAndPublish(env, "p", empty);
    assert.deepEqual(result, { record: null, index: null, newObjects: 0, missing: [] });
    assert.equal(pool.packs.length, 0);
    assert.equal((await listAll(env.store, { prefix: "pool/" })).length, 0);
  });

  it("rejects a delta whose base is nowhere", SLOW, async () => {
    const env = makeEnv();
    const pool = await ObjectPool.open(env, "p");
    const base = "ab".repeat(20);
    const pack = buildPack([{ refBase: base, delta: makeDelta(encode("x"), encode("y")) }]);
    await assert.rejects(ingestPack(pool, chunked(pack), "b1"), (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.match(error.message, new RegExp(`Cannot resolve delta at pack entry 0: base object ${base} is neither in the pack nor in the repository`));
      return true;
    });
  });

  it("stops a zlib bomb at maxInflatedBytes: a few KB of pack that inflates past the limit", SLOW, async () => {
    const env = makeEnv({ limits: { maxInflatedBytes: 2_500_000 } });
    const pool = await ObjectPool.open(env, "p");
    const zeros = (n: number) => { const b = new Uint8Array(1_000_000); b[0] = n; return b; };
    const pack = buildPack([1, 2, 3].map((n) => ({ type: "blob" as const, content: zeros(n) })));
    assert.ok(pack.length < 10_000, `the pack is small (${pack.length} bytes)`);
    await assert.rejects(ingestPack(pool, chunked(pack), "b1"), (error: unknown) => {
      assert.ok(error instanceof LimitError, String(error));
      assert.equal(error.limit, "maxInflatedBytes");
      return true;
    });
    // Under the limit the same kind of pack is fine.
    const { result } = await ingestAndPublish(env, "p", buildPack([1, 2].map((n) => ({ type: "blob" as const, content: zeros(n) }))));
    assert.equal(result.newObjects, 2);
  });
});

function gitHex(ids: Uint8Array, i: number): string {
  let s = "";
  for (let k = i * 20; k < i * 20 + 20; k++) s += ids[k]!.toString(16).padStart(2, "0");
  return s;
}
