import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ObjectPool, PoolCache } from "../../../src/repo/object-pool.ts";
import { resolveLimits } from "../../../src/limits.ts";
import { StorageError } from "../../../src/errors.ts";
import {
  assertBytes,
  buildPack,
  encode,
  indexPack,
  ingestAndPublish,
  makeDelta,
  makeEnv,
  objectId,
  packOf,
  randomBytes,
  revListObjects,
  standardHistory,
  type History,
} from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let base: Uint8Array;
let thin: Uint8Array;

before(() => {
  h = standardHistory();
  base = packOf(h.dir, [h.ids.H1!]);
  thin = packOf(h.dir, ["--all", `^${h.ids.H1}`], { thin: true });
});

describe("ObjectPool views", () => {
  it("numbers objects across packs in publication order", SLOW, async () => {
    const env = makeEnv();
    const empty = await ObjectPool.open(env, "p");
    assert.equal(empty.total, 0);
    assert.equal(empty.locateId(h.ids.A!), -1);
    await ingestAndPublish(env, "p", base);
    const { pool } = await ingestAndPublish(env, "p", thin);
    const first = revListObjects(h.dir, [h.ids.H1!]).length;
    assert.equal(pool.packs.length, 2);
    assert.deepEqual([...pool.starts], [0, first, pool.total]);
    assert.equal(pool.packOf(0), 0);
    assert.equal(pool.packOf(first - 1), 0);
    assert.equal(pool.packOf(first), 1);
    assert.equal(pool.packOf(pool.total - 1), 1);
    assert.deepEqual(pool.packs.map((p) => p.record.seq), [1, 2]);
    assert.equal(pool.packOf(pool.locateId(h.ids.A!)), 0);
    assert.equal(pool.packOf(pool.locateId(h.ids.H4!)), 1);
  });

  it("is a snapshot, reuses loaded packs from the process cache, and extends it in place", SLOW, async () => {
    const env = makeEnv();
    await ingestAndPublish(env, "p", base);
    const old = await ObjectPool.open(env, "p");
    const again = await ObjectPool.open(env, "p");
    assert.equal(again.packs[0], old.packs[0], "the loaded pack is shared, not reloaded");
    await ingestAndPublish(env, "p", thin);
    assert.equal(old.packs.length, 1, "an open view does not change");
    assert.equal(old.locateId(h.ids.H4!), -1);
    const extended = await ObjectPool.open(env, "p");
    assert.equal(extended.packs.length, 2);
    assert.equal(extended.packs[0], old.packs[0]);
    env.cache.invalidate("p");
    const fresh = await ObjectPool.open(env, "p");
    assert.notEqual(fresh.packs[0], old.packs[0]);
    assert.equal(fresh.total, extended.total);
    // Pools are separate.
    assert.equal((await ObjectPool.open(env, "other")).total, 0);
  });

  it("reads the stored bytes of each entry exactly where git's index says they are", SLOW, async () => {
    const env = makeEnv({ store: { maxValueBytes: 1024 } });
    const { pool } = await ingestAndPublish(env, "p", base);
    const rows = indexPack(base).sort((a, b) => a.offset - b.offset);
    for (let k = 0; k < rows.length; k++) {
      const g = pool.locateId(rows[k]!.id);
      const end = k + 1 < rows.length ? rows[k + 1]!.offset : base.length - 20;
      assert.deepEqual(pool.entryRange(0, g), [rows[k]!.offset, end]);
      assertBytes(await pool.readRaw(g), base.subarray(rows[k]!.offset, end));
    }
  });

  it("describes each stored delta with the earliest copy of its base", SLOW, async () => {
    const env = makeEnv();
    await ingestAndPublish(env, "p", base);
    const { pool } = await ingestAndPublish(env, "p", thin);
    let external = 0;
    let internal = 0;
    for (let g = 0; g < pool.total; g++) {
      const rep = pool.representation(g);
      assert.equal(rep.pack, pool.packOf(g));
      assert.equal(rep.entry, g - pool.starts[rep.pack]!);
      if (rep.packType < 6) {
        assert.equal(rep.base, -1);
        continue;
      }
      assert.notEqual(rep.base, -1);
      const raw = await pool.readRaw(g);
      if (rep.packType === 7) {
        // The REF_DELTA names its base by id right after the entry header.
        let at = 1;
        while (raw[at - 1]! & 0x80) at++;
        const named = [...raw.subarray(at, at + 20)].map((b) => b.toString(16).padStart(2, "0")).join("");
        assert.equal(pool.idOf(rep.base), named);
      }
      if (pool.packOf(rep.base) !== rep.pack) external++;
      else internal++;
    }
    assert.ok(external > 0, "the thin pack's deltas against pack 1");
    assert.ok(internal > 0);
  });

  it("stops at maxDeltaDepth while reading a delta chain", SLOW, async () => {
    const b2 = randomBytes(3, 2000);
    const b1 = b2.slice();
    b1.set(encode("one"), 100);
    const b0 = b1.slice();
    b0.set(encode("zero"), 200);
    const pack = buildPack([
      { type: "blob", content: b2 },
      { refBase: objectId("blob", b2), delta: makeDelta(b2, b1) },
      { ofsBase: 1, delta: makeDelta(b1, b0) },
    ]);
    const env = makeEnv();
    await ingestAndPublish(env, "p", pack);
    // The same store read with a limit of 1: b1 is one delta away from b2, b0 two.
    const strict = { ...env, limits: resolveLimits({ maxDeltaDepth: 1 }), cache: new PoolCache() };
    const pool = await ObjectPool.open(strict, "p");
    assertBytes((await pool.readById(objectId("blob", b1)))!.content, b1);
    strict.cache.invalidate("p");
    const cold = await ObjectPool.open(strict, "p");
    await assert.rejects(cold.readById(objectId("blob", b0)), (e: unknown) => {
      assert.ok(e instanceof StorageError);
      assert.equal(e.message, `Delta chain of object ${objectId("blob", b0)} is longer than 1`);
      return true;
    });
    assert.equal(await cold.readById("0".repeat(40)), null);
  });
});
