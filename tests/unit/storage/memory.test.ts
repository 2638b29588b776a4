/**
 * @module tests/unit/storage/memory
 * The storage contract on the in-memory store (node, bun and deno), plus what only memory promises:
 * configurable limits and that a closed store refuses work.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { STRICTEST_LIMITS } from "../../../src/storage/storage.ts";
import { storageContract } from "../../contracts/storage.contract.ts";

storageContract("memory", async () => createMemoryStore());
storageContract("memory with 1 MiB values", async () =>
  createMemoryStore({ limits: { maxValueBytes: 1 << 20, maxCommitBytes: 4 << 20, maxGetMany: 3 } }),
);

describe("createMemoryStore", () => {
  it("defaults to the strictest backend's limits and accepts overrides", () => {
    assert.deepEqual(createMemoryStore().limits, STRICTEST_LIMITS);
    assert.deepEqual(STRICTEST_LIMITS, {
      maxValueBytes: 65_536,
      maxKeyBytes: 2_046,
      maxChecks: 10,
      maxMutations: 1_000,
      maxCommitBytes: 819_200,
      maxGetMany: 10,
    });
    assert.equal(createMemoryStore({ limits: { maxChecks: 3 } }).limits.maxChecks, 3);
    assert.equal(createMemoryStore({ limits: { maxChecks: 3 } }).limits.maxMutations, 1_000);
  });

  it("counts commit bytes as Deno KV does", async () => {
    const store = createMemoryStore();
    const value = new Uint8Array(65_536);
    // 12 chunks with 8-byte keys: 12 * (65536 + 2 * 10) = 786,672 bytes fits; 13 do not.
    const chunks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: "set" as const, key: `c/${String(i).padStart(6, "0")}`, value }));
    assert.equal(await store.commit([], chunks(12)), true);
    await assert.rejects(async () => store.commit([], chunks(13)), /maxCommitBytes/);
    // Deno also caps the keys of set mutations at 80 KiB: 41 keys of 2000 bytes are 82,082.
    const longKeys = Array.from({ length: 41 }, (_, i) => ({ type: "set" as const, key: `${i}`.padEnd(2_000, "k"), value: new Uint8Array(0) }));
    await assert.rejects(async () => store.commit([], longKeys), /set keys/);
    assert.equal(await store.commit([], longKeys.slice(0, 40)), true);
  });

  it("refuses work after close", async () => {
    const store = createMemoryStore();
    await store.close();
    await assert.rejects(async () => store.get("k"), /closed/);
  });
});
