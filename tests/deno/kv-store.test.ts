/**
 * @module tests/deno/kv-store
 * The storage contract on Deno KV (Deno only: `NO_COLOR=1 npx deno test -A tests/deno/`), in memory
 * and on temp files, plus two stores on one file and reopening a file.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDenoKvStore } from "../../adapters/deno/kv-store.ts";
import { storageContract } from "../contracts/storage.contract.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-deno-kv-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => path.join(dir, `kv-${files++}.sqlite`);
const text = (value: Uint8Array) => new TextDecoder().decode(value);
const set = (key: string, value: string) => ({ type: "set" as const, key, value: new TextEncoder().encode(value) });

storageContract("deno kv :memory:", () => openDenoKvStore(":memory:"));
storageContract("deno kv file", () => openDenoKvStore(tempFile()));

describe("deno kv file", () => {
  it("two stores on one file see each other's commits and race with one winner", async () => {
    const file = tempFile();
    const a = await openDenoKvStore(file);
    const b = await openDenoKvStore(file);
    try {
      assert.equal(await a.commit([], [set("k", "from a")]), true);
      assert.equal(text((await b.get("k"))!.value), "from a");
      const version = (await b.get("k"))!.version;
      const results = await Promise.all(
        [a, b, a, b].map((store, i) => store.commit([{ key: "k", version }], [set("k", `r${i}`)])),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(text((await a.get("k"))!.value), `r${results.indexOf(true)}`);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("CAS increments from two stores on one file lose no update", async () => {
    const file = tempFile();
    const stores = [await openDenoKvStore(file), await openDenoKvStore(file)];
    const increment = async (store: (typeof stores)[number]) => {
      for (;;) {
        const entry = await store.get("n");
        const next = String(Number(entry === null ? "0" : text(entry.value)) + 1);
        if (await store.commit([{ key: "n", version: entry?.version ?? null }], [set("n", next)])) return;
      }
    };
    try {
      await Promise.all(Array.from({ length: 60 }, (_, i) => increment(stores[i % 2]!)));
      assert.equal(text((await stores[0]!.get("n"))!.value), "60");
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it("data survives close and reopen", async () => {
    const file = tempFile();
    const first = await openDenoKvStore(file);
    await first.commit([], [set("kept", "yes")]);
    await first.close();
    const again = await openDenoKvStore(file);
    try {
      assert.equal(text((await again.get("kept"))!.value), "yes");
    } finally {
      await again.close();
    }
  });

  it("rejects a commit Deno would reject before sending it", async () => {
    const store = await openDenoKvStore(":memory:");
    try {
      const key = "k".repeat(2_047); // Deno's encoded key would be 2,049 bytes
      await assert.rejects(async () => store.commit([], [set(key, "")]), /maxKeyBytes/);
    } finally {
      await store.close();
    }
  });
});
