/**
 * repackPool and sweepPool: garbage goes, everything reachable stays readable and identical, young
 * packs keep what in-flight pushes may need, and replaced data disappears only after the grace period.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ObjectPool } from "../../../src/repo/object-pool.ts";
import { updateRefs } from "../../../src/repo/refs.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import { repackPool } from "../../../src/repo/repack.ts";
import { sweepPool } from "../../../src/repo/sweep.ts";
import { beginUpload } from "../../../src/repo/publish.ts";
import { BlobWriter } from "../../../src/storage/chunked-blob.ts";
import { packDataPrefix } from "../../../src/repo/keys.ts";
import { catAll, ingestAndPublish, makeEnv, makeRepo, packOf, revListObjects, setRefs } from "./fixtures.ts";

const HOUR = 3_600_000;

/** A history where "dropped" is only reachable from a branch we will not keep. */
function history() {
  return makeRepo([
    { name: "A", files: { "a.txt": "one\n".repeat(50) } },
    { name: "B", files: { "a.txt": "one\n".repeat(50) + "two\n", "b.txt": "bee\n" } },
    { name: "C", files: { "c.txt": "sea\n" } },
    { name: "D", branch: "topic", parents: ["B"], files: { "d.txt": "dropped\n".repeat(20) } },
  ]);
}

async function seeded(env: ReturnType<typeof makeEnv>) {
  const h = history();
  // Three pushes: three packs.
  await ingestAndPublish(env, "pool", packOf(h.dir, [h.ids["A"]!]));
  await ingestAndPublish(env, "pool", packOf(h.dir, [h.ids["C"]!, `^${h.ids["A"]}`]));
  await ingestAndPublish(env, "pool", packOf(h.dir, [h.ids["D"]!, `^${h.ids["C"]}`]));
  await setRefs(env, "repo1", new Map([["refs/heads/main", h.ids["C"]!]])); // topic (D) is gone
  return h;
}

describe("repackPool()", () => {
  it("keeps exactly what the refs reach, in one pack, readable byte for byte", async () => {
    const env = makeEnv();
    const h = await seeded(env);
    const clock = Date.now() + 2 * HOUR; // every pack is older than the grace period
    const report = await repackPool(env, "pool", { members: ["repo1"], now: () => clock });
    assert.equal(report.skipped, undefined);
    assert.equal(report.packsBefore, 3);
    assert.equal(report.packsAfter, 1);
    const pool = await ObjectPool.open(env, "pool");
    const reachable = revListObjects(h.dir, [h.ids["C"]!]);
    const all = revListObjects(h.dir, ["--all"]);
    for (const id of reachable) assert.notEqual(pool.locateId(id), -1, `${id} must be kept`);
    const garbage = all.filter((id) => !reachable.includes(id));
    assert.ok(garbage.length > 0);
    for (const id of garbage) assert.equal(pool.locateId(id), -1, `${id} is garbage`);
    const expected = catAll(h.dir, reachable);
    for (const id of reachable) {
      const object = await pool.readById(id);
      assert.deepEqual(Buffer.from(object!.content), Buffer.from(expected.get(id)!.content), id);
    }
  });

  it("keeps every object of packs younger than the grace period", async () => {
    const env = makeEnv();
    const h = await seeded(env);
    const report = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() });
    assert.equal(report.packsAfter, 1);
    const pool = await ObjectPool.open(env, "pool");
    for (const id of revListObjects(h.dir, ["--all"])) assert.notEqual(pool.locateId(id), -1);
  });

  it("abandons the repack when a push publishes meanwhile, losing nothing", async () => {
    const env = makeEnv();
    const h = await seeded(env);
    const later = makeRepo([{ name: "E", files: { "e.txt": "late\n" } }]);
    // A repack whose write phase is overtaken by a push: simulate by publishing between open and commit.
    const original = ObjectPool.open;
    let calls = 0;
    (ObjectPool as unknown as { open: typeof ObjectPool.open }).open = async (e, id) => {
      if (++calls === 2) await ingestAndPublish(env, "pool", packOf(later.dir, [later.ids["E"]!]));
      return original.call(ObjectPool, e, id);
    };
    try {
      const report = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 2 * HOUR });
      assert.equal(report.skipped, "a push published a pack meanwhile");
    } finally {
      (ObjectPool as unknown as { open: typeof ObjectPool.open }).open = original;
    }
    const pool = await ObjectPool.open(env, "pool");
    assert.equal(pool.packs.length, 4);
    for (const id of revListObjects(h.dir, ["--all"])) assert.notEqual(pool.locateId(id), -1);
  });

  it("drops every pack when no repository reaches anything", async () => {
    const env = makeEnv();
    const h = await seeded(env);
    await updateRefs(env.store, "repo1", [{ name: "refs/heads/main", oldId: h.ids["C"]!, newId: ZERO_ID }], { atomic: true });
    const report = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 2 * HOUR });
    assert.equal(report.packsAfter, 0);
  });
});

describe("repackPool(): new deltas", () => {
  /** 30 commits editing three ~4 KB files a line at a time, pushed as a pack without any delta. */
  async function undeltified(env: ReturnType<typeof makeEnv>) {
    const lines = (seed: number) => Array.from({ length: 120 }, (_, k) => `line ${k} of file ${seed}: ${"x".repeat(20)}\n`);
    const files = [lines(1), lines(2), lines(3)];
    const commits = Array.from({ length: 30 }, (_, c) => {
      const edited: Record<string, string> = {};
      files.forEach((f, n) => {
        f[(c * 7 + n * 13) % f.length] = `edit ${c} in file ${n}\n`;
        edited[`dir${n}/file${n}.txt`] = f.join("");
      });
      return { name: `C${c}`, files: edited };
    });
    const h = makeRepo(commits);
    const tip = h.ids["C29"]!;
    await ingestAndPublish(env, "pool", packOf(h.dir, [tip], { extra: ["--window=0", "--depth=0", "--no-reuse-delta"] }));
    await setRefs(env, "repo1", new Map([["refs/heads/main", tip]]));
    return { h, tip };
  }

  function storedDeltas(pool: ObjectPool): number {
    let n = 0;
    for (let g = 0; g < pool.total; g++) if (pool.representation(g).packType >= 6) n++;
    return n;
  }

  it("deltifies objects that were pushed whole, as git gc would, losing nothing", async () => {
    const env = makeEnv();
    const { h, tip } = await undeltified(env);
    assert.equal(storedDeltas(await ObjectPool.open(env, "pool")), 0, "the pushed pack has no deltas");
    const report = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 2 * HOUR });
    assert.equal(report.skipped, undefined);
    const pool = await ObjectPool.open(env, "pool");
    // 90 blob versions: all but the first of each file's window become deltas (the small trees,
    // whose every entry changes each commit, do not pay).
    assert.ok(report.newDeltas >= 80, `new deltas: ${report.newDeltas}`);
    assert.equal(storedDeltas(pool), report.newDeltas);
    // Within a quarter of what git's own pack-objects (window 10, depth 50) makes of the same objects.
    const gitPackBytes = packOf(h.dir, [tip], { extra: ["--no-reuse-delta"] }).length;
    assert.ok(report.bytesAfter < gitPackBytes * 1.25, `${report.bytesBefore} → ${report.bytesAfter} bytes; git: ${gitPackBytes}`);
    const reachable = revListObjects(h.dir, [tip]);
    assert.equal(pool.total, reachable.length);
    const expected = catAll(h.dir, reachable);
    for (const id of reachable) {
      const object = await pool.readById(id);
      assert.deepEqual(Buffer.from(object!.content), Buffer.from(expected.get(id)!.content), id);
    }
    // A second repack finds nothing more to do and keeps the deltas it made.
    const again = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 4 * HOUR });
    assert.equal(again.newDeltas, 0);
    assert.equal(storedDeltas(await ObjectPool.open(env, "pool")), report.newDeltas);
  });

  it("keeps new delta chains within the depth it is given", async () => {
    const env = makeEnv();
    await undeltified(env);
    const report = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 2 * HOUR, deltas: { maxDepth: 2 } });
    assert.ok(report.newDeltas > 0);
    const pool = await ObjectPool.open(env, "pool");
    let deepest = 0;
    for (let g = 0; g < pool.total; g++) deepest = Math.max(deepest, pool.deltaDepth(g, 100));
    assert.equal(deepest, 2);
  });

  it("stops searching at its byte budget and carries on at the next repack", async () => {
    const env = makeEnv();
    await undeltified(env);
    const first = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 2 * HOUR, deltas: { budgetBytes: 60_000 } });
    const second = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 4 * HOUR });
    assert.ok(first.newDeltas > 0 && first.newDeltas < 40, `a partial first pass: ${first.newDeltas}`);
    assert.ok(second.newDeltas >= 40, `the second pass deltifies the rest: ${second.newDeltas}`);
    assert.equal(storedDeltas(await ObjectPool.open(env, "pool")), first.newDeltas + second.newDeltas);
  });

  it("writes no new delta when the window is empty", async () => {
    const env = makeEnv();
    await undeltified(env);
    const report = await repackPool(env, "pool", { members: ["repo1"], now: () => Date.now() + 2 * HOUR, deltas: { window: 0 } });
    assert.equal(report.newDeltas, 0);
    assert.equal(storedDeltas(await ObjectPool.open(env, "pool")), 0);
  });
});

describe("sweepPool()", () => {
  it("deletes replaced packs and abandoned uploads only after the grace period", async () => {
    const env = makeEnv();
    await seeded(env);
    const start = Date.now();
    // An upload that never published (a crashed push).
    const blobId = await beginUpload(env.store, "pool", start);
    const writer = new BlobWriter(env.store, packDataPrefix("pool", blobId));
    await writer.write(new Uint8Array(1000).fill(1));
    await writer.finish();
    await repackPool(env, "pool", { members: ["repo1"], now: () => start + 2 * HOUR });
    const keys = async () => {
      const out: string[] = [];
      for await (const e of env.store.list({ prefix: "packdata/pool/" })) out.push(e.key.split("/")[2]!);
      return new Set(out);
    };
    const beforeSweep = await keys();
    assert.equal(beforeSweep.size, 5, "3 old packs, 1 new, 1 abandoned upload");
    const early = await sweepPool(env, "pool", { now: () => start + 2 * HOUR + 1000 });
    assert.equal(early.blobsDeleted, 1, "the upload is over an hour old; replaced packs are still in their grace period");
    const late = await sweepPool(env, "pool", { now: () => start + 3 * HOUR });
    assert.equal(late.blobsDeleted, 3);
    const left = await keys();
    assert.equal(left.size, 1);
    const pool = await ObjectPool.open(env, "pool");
    assert.ok(left.has(pool.packs[0]!.record.blobId));
  });
});
