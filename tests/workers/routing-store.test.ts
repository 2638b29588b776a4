/**
 * The Cloudflare routing store (adapters/cloudflare/routing-store.ts) with in-memory shards standing
 * in for Durable Objects, so it runs anywhere (node, bun, deno): which object owns which key, which
 * objects a list prefix covers, cross-object commits refused, reads merged across objects, the
 * storage contract through the RPC page protocol (adapters/cloudflare/kv-rpc.ts), and the service's
 * own flows (create, token, fork, delete) never committing across objects and leaving every key in
 * the object that owns it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createMemoryStore } from "../../src/storage/memory.ts";
import type { KvCheck, KvMutation, KvStore } from "../../src/storage/types.ts";
import { listAll } from "../../src/storage/storage.ts";
import { packDataPrefix, packRecordKey, packSeqKey, refKey, refsSeqKey, repoShallowKey } from "../../src/repo/keys.ts";
import { namespaceKey, poolMemberKey, repoIdKey, repoKey, tombstoneKey } from "../../src/api/records.ts";
import { Reposit } from "../../src/api/reposit.ts";
import { forkRepo } from "../../src/api/fork.ts";
import { resolveLimits } from "../../src/limits.ts";
import { portablePlatform } from "../../src/git/portable-platform.ts";
import { createRoutingStore, durableObjectOf, durableObjectsOfPrefix, REGISTRY } from "../../adapters/cloudflare/routing-store.ts";
import { kvStoreOverRpc, PAGE_ROWS, serveKvRpc, type KvRpc } from "../../adapters/cloudflare/kv-rpc.ts";
import { DURABLE_OBJECT_KV_LIMITS } from "../../adapters/cloudflare/sql-storage-driver.ts";
import { storageContract } from "../contracts/storage.contract.ts";
import { scopedStore } from "./scoped-store.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Memory shards by object name, with every commit recorded as [object, keys]. */
function shards() {
  const stores = new Map<string, KvStore>();
  const commits: { object: string; keys: string[] }[] = [];
  const shard = (name: string) => {
    let store = stores.get(name);
    if (store === undefined) {
      store = createMemoryStore({ limits: DURABLE_OBJECT_KV_LIMITS });
      stores.set(name, store);
    }
    return store;
  };
  const connect = (name: string): KvRpc => {
    const rpc = serveKvRpc(shard(name));
    return {
      ...rpc,
      commit(checks: KvCheck[], mutations: KvMutation[]) {
        commits.push({ object: name, keys: [...checks, ...mutations].map((x) => x.key) });
        return rpc.commit(checks, mutations);
      },
    };
  };
  return { stores, commits, shard, store: createRoutingStore(connect, DURABLE_OBJECT_KV_LIMITS) };
}

describe("durableObjectOf", () => {
  it("routes the core's key layouts to their objects", () => {
    const cases: [string, string][] = [
      [refKey("r1", "refs/heads/main"), "repo:r1"],
      [refsSeqKey("r1"), "repo:r1"],
      [repoShallowKey("r1"), "repo:r1"],
      [packRecordKey("p1", "0000000001"), "pool:p1"],
      [packSeqKey("p1"), "pool:p1"],
      [`${packDataPrefix("p1", "b1")}/00000000`, "pool:p1"],
      [poolMemberKey("p1", "r2"), REGISTRY],
      [namespaceKey("default"), REGISTRY],
      [repoKey("default", "app"), REGISTRY],
      [repoIdKey("r1"), REGISTRY],
      [tombstoneKey("default", "app"), REGISTRY],
      ["tok/r1/t1", REGISTRY],
      ["tokid/t1", REGISTRY],
      // No complete id segment: not a repository or pool key.
      ["repo/", REGISTRY],
      ["repo/r1", REGISTRY],
      ["pool/p1", REGISTRY],
      ["packdata//x", REGISTRY],
    ];
    for (const [key, object] of cases) assert.equal(durableObjectOf(key), object, key);
  });
});

describe("durableObjectsOfPrefix", () => {
  it("names the objects a prefix covers and refuses unbounded ones", () => {
    assert.deepEqual(durableObjectsOfPrefix("repo/r1/ref/"), ["repo:r1"]);
    assert.deepEqual(durableObjectsOfPrefix("repo/r1/"), ["repo:r1"]);
    assert.deepEqual(durableObjectsOfPrefix("packdata/p1/"), ["pool:p1"]);
    assert.deepEqual(durableObjectsOfPrefix("pool/p1/pack/"), ["pool:p1"]);
    assert.deepEqual(durableObjectsOfPrefix("pool/p1/member/"), [REGISTRY]);
    assert.deepEqual(durableObjectsOfPrefix("pool/p1/").sort(), [REGISTRY, "pool:p1"].sort());
    assert.deepEqual(durableObjectsOfPrefix("pool/p1/mem").sort(), [REGISTRY, "pool:p1"].sort());
    assert.deepEqual(durableObjectsOfPrefix("nsrepo/default/"), [REGISTRY]);
    assert.deepEqual(durableObjectsOfPrefix("repoid/"), [REGISTRY]);
    for (const prefix of ["", "r", "repo", "repo/", "repo/r1", "pool/", "p", "packdata/p1"]) {
      assert.throws(() => durableObjectsOfPrefix(prefix), /span every Durable Object/, prefix);
    }
  });

  it("covers the owner of every key that starts with the prefix (property)", () => {
    const part = fc.constantFrom("repo/", "pool/", "packdata/", "member/", "mem", "a", "b/", "/", "x");
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), fc.nat(40), (parts, cut) => {
        const key = parts.join("");
        const prefix = key.slice(0, Math.min(cut, key.length));
        let owners: string[];
        try {
          owners = durableObjectsOfPrefix(prefix);
        } catch {
          return; // refused prefixes make no promise
        }
        assert.ok(owners.includes(durableObjectOf(key)), `${key} under ${prefix}: ${owners.join(",")}`);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("routing store", () => {
  it("commits to the owning object and refuses commits across objects", async () => {
    const { store, stores } = shards();
    const ok = await store.commit([{ key: refsSeqKey("r1"), version: null }], [
      { type: "set", key: refKey("r1", "refs/heads/main"), value: bytes("a".repeat(40)) },
      { type: "set", key: refsSeqKey("r1"), value: bytes("1") },
    ]);
    assert.equal(ok, true);
    assert.deepEqual((await listAll(stores.get("repo:r1")!, { prefix: "repo/" })).map((e) => e.key), [refKey("r1", "refs/heads/main"), refsSeqKey("r1")]);
    await assert.rejects(
      store.commit([], [
        { type: "set", key: repoIdKey("r1"), value: bytes("{}") },
        { type: "set", key: refKey("r1", "refs/heads/x"), value: bytes("b".repeat(40)) },
      ]),
      /Cannot commit across Durable Objects: "repoid\/r1" belongs to registry and "repo\/r1\/ref\/refs\/heads\/x" to repo:r1/,
    );
    await assert.rejects(store.commit([{ key: poolMemberKey("p1", "r1"), version: null }], [{ type: "delete", key: packSeqKey("p1") }]), /across Durable Objects/);
    assert.equal(await store.get(repoIdKey("r1")), null);
    assert.equal(await store.get(refKey("r1", "refs/heads/x")), null);
    assert.equal(await store.commit([], []), true);
  });

  it("getMany reads keys of several objects and keeps their order", async () => {
    const { store } = shards();
    const keys = [refKey("r1", "refs/heads/a"), repoIdKey("r1"), packSeqKey("p1"), refKey("r2", "refs/heads/b"), "missing"];
    for (const key of keys.slice(0, 4)) await store.commit([], [{ type: "set", key, value: bytes(key) }]);
    const got = await store.getMany([...keys].reverse());
    assert.deepEqual(got.map((e) => e?.key ?? null), [null, ...keys.slice(0, 4).reverse()]);
    assert.deepEqual(got.map((e) => (e === null ? null : new TextDecoder().decode(e.value))), [null, ...keys.slice(0, 4).reverse()]);
  });

  it("lists pool/<id>/ across the registry and the pool object in key order", async () => {
    const { store, stores } = shards();
    const keys = [poolMemberKey("p1", "r1"), poolMemberKey("p1", "r2"), packRecordKey("p1", "0001"), packRecordKey("p1", "0002"), packSeqKey("p1"), "pool/p1/memo"];
    for (const key of keys) await store.commit([], [{ type: "set", key, value: bytes(key) }]);
    assert.equal((await listAll(stores.get(REGISTRY)!, { prefix: "pool/" })).length, 2);
    const sorted = [...keys].sort();
    assert.deepEqual((await listAll(store, { prefix: "pool/p1/" })).map((e) => e.key), sorted);
    assert.deepEqual((await listAll(store, { prefix: "pool/p1/", reverse: true })).map((e) => e.key), [...sorted].reverse());
    assert.deepEqual((await listAll(store, { prefix: "pool/p1/", limit: 3 })).map((e) => e.key), sorted.slice(0, 3));
    assert.deepEqual((await listAll(store, { prefix: "pool/p1/", start: "pool/p1/member/r2", end: "pool/p1/pack/0002" })).map((e) => e.key), [
      "pool/p1/member/r2",
      "pool/p1/memo",
      "pool/p1/pack-seq", // "-" sorts before "/"
      "pool/p1/pack/0001",
    ]);
    await assert.rejects(listAll(store, { prefix: "" }), /span every Durable Object/);
    await assert.rejects(listAll(store, { prefix: "pool/" }), /span every Durable Object/);
  });

  it("lists a range longer than one RPC page", async () => {
    const { store } = shards();
    const keys = Array.from({ length: PAGE_ROWS * 2 + 3 }, (_, i) => `repo/r1/ref/refs/tags/t${String(i).padStart(5, "0")}`);
    await store.commit([], keys.map((key) => ({ type: "set", key, value: bytes("x") })));
    assert.deepEqual((await listAll(store, { prefix: "repo/r1/ref/" })).map((e) => e.key), keys);
    assert.deepEqual((await listAll(store, { prefix: "repo/r1/ref/", reverse: true, limit: PAGE_ROWS + 1 })).map((e) => e.key), [...keys].reverse().slice(0, PAGE_ROWS + 1));
  });

  it("keeps every key of create, token, fork and delete in the object that owns it", async () => {
    const { store, stores, commits } = shards();
    const reposit = new Reposit({ store, platform: portablePlatform, limits: resolveLimits(), signingKey: new Uint8Array(32).fill(7) });
    const parent = await reposit.createRepo("team", "parent");
    const token = await reposit.createToken("team", "parent", "read", 3600);
    const fork = await forkRepo(reposit, "team", "parent", { name: "child", defaultBranchOnly: false });
    assert.equal(fork.record.poolId, parent.record.poolId);
    assert.equal(await reposit.tokens.revoke(parent.record.id, token.id), true);
    for (const [object, shard] of stores) {
      for (const entry of await listAll(shard, { prefix: "" })) assert.equal(durableObjectOf(entry.key), object, entry.key);
    }
    for (const { object, keys } of commits) for (const key of keys) assert.equal(durableObjectOf(key), object, key);
    assert.deepEqual((await reposit.deleteRepo("team", "parent"))?.id, parent.record.id);
    assert.deepEqual((await reposit.deleteRepo("team", "child"))?.id, fork.record.id);
    // Only the namespace record and the two tombstones remain, all in the registry.
    const left = await Promise.all([...stores].map(async ([object, shard]) => [object, (await listAll(shard, { prefix: "" })).map((e) => e.key)] as const));
    assert.deepEqual(left.filter(([, keys]) => keys.length > 0), [[REGISTRY, [namespaceKey("team"), tombstoneKey("team", "child"), tombstoneKey("team", "parent")]]]);
  });
});

describe("kvStoreOverRpc", () => {
  /** An RPC surface over a memory store whose next calls fail with the given errors. */
  function flaky(failures: object[]) {
    const rpc = serveKvRpc(createMemoryStore({ limits: DURABLE_OBJECT_KV_LIMITS }));
    const calls: string[] = [];
    const wrap = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      calls.push(name);
      const failure = failures.shift();
      if (failure !== undefined) throw Object.assign(new Error(`${name} failed`), failure);
      return fn(...args);
    };
    const faulty: KvRpc = { get: wrap("get", rpc.get), getMany: wrap("getMany", rpc.getMany), listPage: wrap("listPage", rpc.listPage), commit: wrap("commit", rpc.commit) };
    return { store: kvStoreOverRpc(faulty, DURABLE_OBJECT_KV_LIMITS), calls, failures };
  }
  const set = { type: "set", key: "k", value: bytes("v") } as const;

  it("repeats reads and unchecked commits that fail retryably", async () => {
    const { store, calls, failures } = flaky([{ retryable: true }]);
    assert.equal(await store.commit([], [set]), true);
    failures.push({ retryable: true }, { retryable: true });
    assert.equal((await store.get("k"))?.key, "k");
    failures.push({ retryable: true });
    assert.deepEqual((await listAll(store, { prefix: "" })).map((e) => e.key), ["k"]);
    assert.deepEqual(calls, ["commit", "commit", "get", "get", "get", "listPage", "listPage"]);
  });

  it("gives up after three attempts, and never repeats a checked commit or an overloaded call", async () => {
    const { store, calls, failures } = flaky([{ retryable: true }, { retryable: true }, { retryable: true }]);
    await assert.rejects(store.get("k"), /get failed/);
    failures.push({ retryable: true });
    await assert.rejects(store.commit([{ key: "k", version: null }], [set]), /commit failed/);
    failures.push({ retryable: true, overloaded: true });
    await assert.rejects(store.getMany(["k"]), /getMany failed/);
    failures.push({ retryable: false });
    await assert.rejects(store.commit([], [set]), /commit failed/);
    assert.deepEqual(calls, ["get", "get", "get", "commit", "getMany", "commit"]);
    assert.equal(await store.get("k"), null);
  });
});

let scopes = 0;
const routed = (prefix: () => string) => async () => scopedStore(shards().store, prefix());
storageContract("routing store over memory shards (repo object)", routed(() => `repo/c${scopes++}/`));
storageContract("routing store over memory shards (registry)", routed(() => `contract/c${scopes++}/`));
