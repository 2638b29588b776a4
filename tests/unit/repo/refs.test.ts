import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluate, readRefs, updateRefs, type RefUpdate, type RefUpdateResult } from "../../../src/repo/refs.ts";
import { refsSeqKey } from "../../../src/repo/keys.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import type { KvStore } from "../../../src/storage/types.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";

const id = (n: number) => n.toString(16).padStart(40, "0");
const A = id(0xa);
const B = id(0xb);
const C = id(0xc);

const ok = (name: string): RefUpdateResult => ({ name, ok: true });
const ng = (name: string, reason: string): RefUpdateResult => ({ name, ok: false, reason });

async function storeWith(refs: Record<string, string>, store: KvStore = createMemoryStore()): Promise<KvStore> {
  const updates = Object.entries(refs).map(([name, newId]) => ({ name, oldId: ZERO_ID, newId }));
  const results = await updateRefs(store, "r", updates, { atomic: true });
  assert.ok(results.every((r) => r.ok));
  return store;
}

async function refsOf(store: KvStore): Promise<Record<string, string>> {
  return Object.fromEntries((await readRefs(store, "r")).refs);
}

/** A store that counts commits and records how many mutations each carried. */
function countingStore(inner: KvStore): KvStore & { commits: number[] } {
  const commits: number[] = [];
  return {
    limits: inner.limits,
    get: (k) => inner.get(k),
    getMany: (k) => inner.getMany(k),
    list: (o) => inner.list(o),
    close: () => inner.close(),
    commit: (checks, mutations) => {
      commits.push(mutations.length);
      return inner.commit(checks, mutations);
    },
    commits,
  };
}

describe("updateRefs compare-and-swap", () => {
  it("creates, updates and deletes with the right old value", async () => {
    const store = createMemoryStore();
    assert.deepEqual(await updateRefs(store, "r", [{ name: "refs/heads/main", oldId: ZERO_ID, newId: A }], { atomic: false }), [ok("refs/heads/main")]);
    assert.deepEqual(await updateRefs(store, "r", [{ name: "refs/heads/main", oldId: A, newId: B }], { atomic: false }), [ok("refs/heads/main")]);
    assert.deepEqual(await refsOf(store), { "refs/heads/main": B });
    assert.deepEqual(await updateRefs(store, "r", [{ name: "refs/heads/main", oldId: B, newId: ZERO_ID }], { atomic: false }), [ok("refs/heads/main")]);
    assert.deepEqual(await refsOf(store), {});
  });

  it("refuses with git's reasons and changes nothing", async () => {
    const store = await storeWith({ "refs/heads/main": A });
    const before = await readRefs(store, "r");
    const cases: [RefUpdate, string][] = [
      [{ name: "refs/heads/main", oldId: ZERO_ID, newId: B }, "reference already exists"],
      [{ name: "refs/heads/other", oldId: A, newId: B }, "reference does not exist"],
      [{ name: "refs/heads/other", oldId: A, newId: ZERO_ID }, "reference does not exist"],
      [{ name: "refs/heads/main", oldId: B, newId: C }, "incorrect old value provided"],
      [{ name: "refs/heads/main", oldId: B, newId: ZERO_ID }, "incorrect old value provided"],
    ];
    for (const [update, reason] of cases) {
      assert.deepEqual(await updateRefs(store, "r", [update], { atomic: false }), [ng(update.name, reason)]);
    }
    const after = await readRefs(store, "r");
    assert.deepEqual(after.refs, before.refs);
    assert.equal(after.version, before.version, "a refused batch must not commit");
  });

  it("treats an update to the same value as success without a commit", async () => {
    const store = await storeWith({ "refs/heads/main": A });
    const before = await readRefs(store, "r");
    assert.deepEqual(await updateRefs(store, "r", [{ name: "refs/heads/main", oldId: A, newId: A }], { atomic: true }), [ok("refs/heads/main")]);
    assert.equal((await readRefs(store, "r")).version, before.version);
  });

  it("bumps refs-seq with every ref commit", async () => {
    const store = createMemoryStore();
    assert.equal((await readRefs(store, "r")).version, null);
    await storeWith({ "refs/heads/main": A }, store);
    const v1 = (await store.get(refsSeqKey("r")))!.version;
    await updateRefs(store, "r", [{ name: "refs/heads/main", oldId: A, newId: B }], { atomic: false });
    const v2 = (await store.get(refsSeqKey("r")))!.version;
    assert.notEqual(v1, v2);
    assert.equal((await readRefs(store, "r")).version, v2);
  });

  it("lists refs in byte order", async () => {
    const store = await storeWith({ "refs/tags/z": A, "refs/heads/main": A, "refs/heads/Main": B, "refs/heads/main-2": C, "refs/heads/mai": C });
    assert.deepEqual([...(await readRefs(store, "r")).refs.keys()], ["refs/heads/Main", "refs/heads/mai", "refs/heads/main", "refs/heads/main-2", "refs/tags/z"]);
    // Another repository's refs are separate.
    assert.equal((await readRefs(store, "r2")).refs.size, 0);
  });
});

describe("updateRefs refname conflicts", () => {
  it("refuses refs/heads/a/b while refs/heads/a exists, and the reverse", async () => {
    const withA = await storeWith({ "refs/heads/a": A });
    assert.deepEqual(await updateRefs(withA, "r", [{ name: "refs/heads/a/b", oldId: ZERO_ID, newId: B }], { atomic: false }), [ng("refs/heads/a/b", "refname conflict")]);
    const withAB = await storeWith({ "refs/heads/a/b": A });
    assert.deepEqual(await updateRefs(withAB, "r", [{ name: "refs/heads/a", oldId: ZERO_ID, newId: B }], { atomic: false }), [ng("refs/heads/a", "refname conflict")]);
    assert.deepEqual(await updateRefs(withAB, "r", [{ name: "refs/heads/a/b/c", oldId: ZERO_ID, newId: B }], { atomic: false }), [ng("refs/heads/a/b/c", "refname conflict")]);
    assert.deepEqual(await refsOf(withAB), { "refs/heads/a/b": A });
    // Siblings and names that merely share a prefix are fine.
    assert.deepEqual(
      await updateRefs(withAB, "r", [{ name: "refs/heads/a/c", oldId: ZERO_ID, newId: B }, { name: "refs/heads/ab", oldId: ZERO_ID, newId: B }], { atomic: false }),
      [ok("refs/heads/a/c"), ok("refs/heads/ab")],
    );
  });

  it("judges conflicts against the refs as the batch leaves them", async () => {
    const store = await storeWith({ "refs/heads/a": A });
    // Deleting a and creating a/b in one batch leaves no conflict.
    assert.deepEqual(
      await updateRefs(store, "r", [{ name: "refs/heads/a", oldId: A, newId: ZERO_ID }, { name: "refs/heads/a/b", oldId: ZERO_ID, newId: B }], { atomic: true }),
      [ok("refs/heads/a"), ok("refs/heads/a/b")],
    );
    // Creating x and then x/y: the first one wins, as in git; atomically, neither.
    const both = [{ name: "refs/heads/x", oldId: ZERO_ID, newId: A }, { name: "refs/heads/x/y", oldId: ZERO_ID, newId: B }];
    assert.deepEqual(await updateRefs(store, "r", both, { atomic: true }), [ng("refs/heads/x", "atomic push failure"), ng("refs/heads/x/y", "refname conflict")]);
    assert.deepEqual(await refsOf(store), { "refs/heads/a/b": B });
    assert.deepEqual(await updateRefs(store, "r", both, { atomic: false }), [ok("refs/heads/x"), ng("refs/heads/x/y", "refname conflict")]);
    assert.deepEqual(await refsOf(store), { "refs/heads/a/b": B, "refs/heads/x": A });
    // A refused creation does not block a later one, and never an update of an existing ref.
    assert.deepEqual(
      await updateRefs(
        store,
        "r",
        [
          { name: "refs/heads/x", oldId: A, newId: C },
          { name: "refs/heads/x/z", oldId: ZERO_ID, newId: C },
          { name: "refs/heads/p/q", oldId: ZERO_ID, newId: B },
        ],
        { atomic: false },
      ),
      [ok("refs/heads/x"), ng("refs/heads/x/z", "refname conflict"), ok("refs/heads/p/q")],
    );
  });
});

describe("updateRefs batches", () => {
  it("atomic: one refusal fails the batch with atomic push failure and changes nothing", async () => {
    const store = await storeWith({ "refs/heads/main": A, "refs/heads/dev": A });
    const results = await updateRefs(
      store,
      "r",
      [
        { name: "refs/heads/main", oldId: A, newId: B },
        { name: "refs/heads/dev", oldId: C, newId: B },
        { name: "refs/heads/new", oldId: ZERO_ID, newId: B },
      ],
      { atomic: true },
    );
    assert.deepEqual(results, [ng("refs/heads/main", "atomic push failure"), ng("refs/heads/dev", "incorrect old value provided"), ng("refs/heads/new", "atomic push failure")]);
    assert.deepEqual(await refsOf(store), { "refs/heads/dev": A, "refs/heads/main": A });
  });

  it("non-atomic: applies what it can", async () => {
    const store = await storeWith({ "refs/heads/main": A, "refs/heads/dev": A });
    const results = await updateRefs(
      store,
      "r",
      [
        { name: "refs/heads/main", oldId: A, newId: B },
        { name: "refs/heads/dev", oldId: C, newId: B },
        { name: "refs/heads/new", oldId: ZERO_ID, newId: C },
      ],
      { atomic: false },
    );
    assert.deepEqual(results, [ok("refs/heads/main"), ng("refs/heads/dev", "incorrect old value provided"), ok("refs/heads/new")]);
    assert.deepEqual(await refsOf(store), { "refs/heads/dev": A, "refs/heads/main": B, "refs/heads/new": C });
  });

  it("runs a policy hook against the snapshot, after the CAS checks", async () => {
    const store = await storeWith({ "refs/heads/main": A, "refs/heads/dev": A });
    const seen: string[] = [];
    const results = await updateRefs(
      store,
      "r",
      [
        { name: "refs/heads/main", oldId: A, newId: ZERO_ID },
        { name: "refs/heads/dev", oldId: A, newId: ZERO_ID },
        { name: "refs/heads/gone", oldId: A, newId: ZERO_ID },
      ],
      {
        atomic: false,
        policy: (u, snapshot) => {
          seen.push(`${u.name}:${snapshot.refs.size}`);
          return u.name === "refs/heads/main" ? "deletion of the current branch prohibited" : null;
        },
      },
    );
    assert.deepEqual(results, [ng("refs/heads/main", "deletion of the current branch prohibited"), ok("refs/heads/dev"), ng("refs/heads/gone", "reference does not exist")]);
    assert.deepEqual(seen, ["refs/heads/main:2", "refs/heads/dev:2"], "the policy is not asked about refused updates");
    assert.deepEqual(await refsOf(store), { "refs/heads/main": A });
  });

  it("lets exactly one of 20 concurrent updates from the same old value win", async () => {
    const store = await storeWith({ "refs/heads/main": A });
    const news = Array.from({ length: 20 }, (_, k) => id(0x100 + k));
    const results = await Promise.all(news.map((newId) => updateRefs(store, "r", [{ name: "refs/heads/main", oldId: A, newId }], { atomic: true })));
    const winners = results.flatMap((r, k) => (r[0]!.ok ? [k] : []));
    assert.equal(winners.length, 1);
    for (const r of results) if (!r[0]!.ok) assert.deepEqual(r[0], ng("refs/heads/main", "incorrect old value provided"));
    assert.deepEqual(await refsOf(store), { "refs/heads/main": news[winners[0]!]! });
  });

  it("lets exactly one of 20 concurrent creations win, whatever else the batches touch", async () => {
    const store = createMemoryStore();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        updateRefs(store, "r", [{ name: "refs/heads/main", oldId: ZERO_ID, newId: id(0x200 + k) }, { name: `refs/heads/own-${k}`, oldId: ZERO_ID, newId: A }], { atomic: true }),
      ),
    );
    assert.equal(results.filter((r) => r.every((x) => x.ok)).length, 1);
    for (const r of results) {
      if (!r[0]!.ok) assert.deepEqual(r, [ng("refs/heads/main", "reference already exists"), ng(r[1]!.name, "atomic push failure")]);
    }
    assert.equal((await readRefs(store, "r")).refs.size, 2);
  });

  it("splits a non-atomic batch larger than the store's mutation limit into several commits", async () => {
    const store = countingStore(createMemoryStore({ limits: { maxMutations: 10 } }));
    const updates = Array.from({ length: 25 }, (_, k) => ({ name: `refs/heads/b${String(k).padStart(2, "0")}`, oldId: ZERO_ID, newId: id(k + 1) }));
    const results = await updateRefs(store, "r", updates, { atomic: false });
    assert.ok(results.every((r) => r.ok));
    assert.equal(results.length, 25);
    assert.ok(store.commits.length >= 3, `expected several commits, got ${store.commits.length}`);
    assert.ok(store.commits.every((n) => n <= 10));
    assert.equal((await readRefs(store, "r")).refs.size, 25);
  });

  it("fails an atomic batch larger than the store can commit at once, cleanly", async () => {
    const store = countingStore(createMemoryStore({ limits: { maxMutations: 10 } }));
    const updates = Array.from({ length: 25 }, (_, k) => ({ name: `refs/heads/b${k}`, oldId: ZERO_ID, newId: id(k + 1) }));
    const results = await updateRefs(store, "r", updates, { atomic: true });
    assert.equal(results.length, 25);
    for (const r of results) {
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, /^atomic push of 25 refs exceeds what the storage backend can commit at once$/);
    }
    assert.deepEqual(store.commits, []);
    assert.equal((await readRefs(store, "r")).refs.size, 0);
    // The largest batch that fits (9 refs + refs-seq) goes through in one commit.
    assert.ok((await updateRefs(store, "r", updates.slice(0, 9), { atomic: true })).every((r) => r.ok));
    assert.deepEqual(store.commits, [10]);
  });
});

describe("evaluate", () => {
  it("decides against one snapshot without touching storage", () => {
    const snapshot = { refs: new Map([["refs/heads/main", A]]), version: "1" };
    assert.deepEqual(
      evaluate(
        [
          { name: "refs/heads/main", oldId: A, newId: B },
          { name: "refs/heads/main/x", oldId: ZERO_ID, newId: B },
        ],
        snapshot,
        { atomic: false },
      ),
      [ok("refs/heads/main"), ng("refs/heads/main/x", "refname conflict")],
    );
  });
});

describe("updateRefs() within the backend's commit size", () => {
  it("splits long ref names into several commits instead of failing, and refuses an atomic push that would need several", async () => {
    const names = Array.from({ length: 999 }, (_, k) => "refs/heads/" + "x".repeat(900) + k);
    const store = createMemoryStore();
    const results = await updateRefs(store, "r", names.map((name) => ({ name, oldId: ZERO_ID, newId: "a".repeat(40) })), { atomic: false });
    assert.equal(results.filter((r) => r.ok).length, 999);
    assert.equal((await readRefs(store, "r")).refs.size, 999);
    const atomic = await updateRefs(createMemoryStore(), "r", names.map((name) => ({ name, oldId: ZERO_ID, newId: "b".repeat(40) })), { atomic: true });
    assert.ok(atomic.every((r) => !r.ok && /exceeds what the storage backend can commit at once/.test(r.reason)));
  });
});
