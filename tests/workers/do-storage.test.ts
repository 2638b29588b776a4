/**
 * The storage contract (tests/contracts/storage.contract.ts) on Durable Object SQLite inside workerd
 * (Miniflare): every operation is sent to a probe worker (tests/workers/kv-probe-worker.ts) that runs
 * it against the Reposit worker's RepoStore objects — one object directly, and the routing store
 * under a repository, a pool and a registry prefix. Also checks, inside workerd, that the routing
 * store refuses a commit across objects and that the workerd platform (node:zlib, node:crypto under
 * nodejs_compat) agrees with the portable one on every zlib case the Platform contract names.
 * Node only: `node --import tsx --test tests/workers/do-storage.test.ts`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startWorkerd, type WorkerdServer } from "../helpers/workerd.ts";
import { storageContract } from "../contracts/storage.contract.ts";
import { probe, probeWorkerOptions, remoteStore } from "./kv-probe.ts";
import { scopedStore } from "./scoped-store.ts";

let server: WorkerdServer;

before(async () => {
  server = await startWorkerd({ extraWorkers: [await probeWorkerOptions()] });
});
after(async () => {
  await server.dispose();
  server.cleanup();
});

let opened = 0;
const fresh = () => `${Date.now().toString(36)}${opened++}`;
storageContract("Durable Object SQLite (one object)", async () => remoteStore(server, `contract-${fresh()}`));
storageContract("routing store in workerd: repo/<id>/ → repo object", async () => scopedStore(remoteStore(server, null), `repo/c${fresh()}/`));
storageContract("routing store in workerd: packdata/<id>/ → pool object", async () => scopedStore(remoteStore(server, null), `packdata/c${fresh()}/`));
storageContract("routing store in workerd: registry", async () => scopedStore(remoteStore(server, null), `contract/c${fresh()}/`));

describe("routing store in workerd", () => {
  it("refuses a commit across objects and writes nothing", async () => {
    const store = remoteStore(server, null);
    const value = new TextEncoder().encode("x");
    await assert.rejects(
      store.commit([], [
        { type: "set", key: "repoid/cross", value },
        { type: "set", key: "repo/cross/ref/refs/heads/main", value },
      ]),
      /Cannot commit across Durable Objects/,
    );
    assert.equal(await store.get("repoid/cross"), null);
    assert.equal(await remoteStore(server, "repo:cross").get("repo/cross/ref/refs/heads/main"), null);
  });

  it("stores a routed key in the object named after it", async () => {
    const store = remoteStore(server, null);
    await store.commit([], [{ type: "set", key: "packdata/placed/b/data/00000000", value: new Uint8Array([1, 2, 3]) }]);
    const direct = await remoteStore(server, "pool:placed").get("packdata/placed/b/data/00000000");
    assert.deepEqual(direct?.value, new Uint8Array([1, 2, 3]));
    assert.equal(await remoteStore(server, "registry").get("packdata/placed/b/data/00000000"), null);
  });
});

describe("workerd platform", () => {
  it("hybrid and native match the portable platform: data, consumed bytes, truncation, limits, corruption", async () => {
    const { cases } = await probe(server, "/platform");
    assert.ok(cases.length >= 20);
    for (const c of cases) {
      assert.deepEqual(c.native, c.portable, `native: ${c.name}`);
      assert.deepEqual(c.hybrid, c.portable, `hybrid: ${c.name}`);
    }
    const byName = new Map<string, any>(cases.map((c: any) => [c.name, c.native]));
    assert.equal(byName.get("truncated 70000").result, null);
    assert.deepEqual(byName.get("too large 70000"), { error: "LimitError", code: "ERR_LIMIT" });
    assert.equal(byName.get("corrupt 70000").code, "ERR_ZLIB");
    assert.equal(byName.get("followed 100").size, 100);
    assert.equal(byName.get("whole 1048576").consumed, byName.get("followed 1048576").consumed);
  });

  it("hybrid, native and portable SHA-1 agree on inputs around the hybrid switch, whole and in parts", async () => {
    const { digests } = await probe(server, "/platform");
    assert.deepEqual(Object.keys(digests).sort(), ["0", "100000", "3145728", "4095", "4096", "4097", "5"]);
    for (const [size, all] of Object.entries(digests) as [string, string[]][]) {
      assert.equal(all.length, 6);
      assert.equal(new Set(all).size, 1, size);
      assert.match(all[0]!, /^[0-9a-f]{40}$/);
    }
    assert.equal(digests["0"][0], "da39a3ee5e6b4b0d3255bfef95601890afd80709"); // SHA-1 of nothing
  });
});
