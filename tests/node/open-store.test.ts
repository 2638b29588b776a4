/**
 * @module tests/node/open-store
 * openSqliteStore on Node (`node --import tsx --test tests/node/open-store.test.ts`): it picks the
 * driver this Node version supports (better-sqlite3 on Node 20, which has no node:sqlite), the store
 * works and keeps its data in the file, and the Node server's banner names the driver.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hasNodeSqlite, openSqliteStore } from "../../adapters/node/open-store.ts";
import { openNodeSqliteStore } from "../../adapters/node/sqlite-store.ts";
import { listAll } from "../../src/storage/storage.ts";
import { startServer } from "../helpers/server.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-node-open-store-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => path.join(dir, `kv-${files++}.sqlite`);
const bytes = (text: string) => new TextEncoder().encode(text);

/** node:sqlite is usable from Node 22.13 / 23.4 on (unflagged, with StatementSync.iterate). */
function expectedDriver(): "node:sqlite" | "better-sqlite3" {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const usable = major >= 24 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
  return usable ? "node:sqlite" : "better-sqlite3";
}

describe("openSqliteStore (node)", () => {
  it(`picks ${expectedDriver()} on Node ${process.versions.node}`, async () => {
    assert.equal(await hasNodeSqlite(), expectedDriver() === "node:sqlite");
    const { store, driver } = await openSqliteStore(":memory:");
    assert.equal(driver, expectedDriver());
    await store.close();
  });

  it("opens a working store whose file better-sqlite3 reads", async () => {
    const file = tempFile();
    const { store } = await openSqliteStore(file);
    try {
      assert.equal(await store.commit([{ key: "refs/heads/main", version: null }], [{ type: "set", key: "refs/heads/main", value: bytes("a") }]), true);
      const entry = (await store.get("refs/heads/main"))!;
      assert.equal(entry.value.constructor, Uint8Array);
      assert.deepEqual(entry.value, bytes("a"));
      assert.equal(await store.commit([{ key: "refs/heads/main", version: null }], [{ type: "set", key: "refs/heads/main", value: bytes("b") }]), false);
      assert.equal(await store.commit([{ key: "refs/heads/main", version: entry.version }], [{ type: "set", key: "refs/heads/dev", value: bytes("c") }]), true);
    } finally {
      await store.close();
    }
    const reopened = openNodeSqliteStore(file);
    try {
      assert.deepEqual(
        (await listAll(reopened, { prefix: "refs/" })).map((e) => [e.key, new TextDecoder().decode(e.value)]),
        [["refs/heads/dev", "c"], ["refs/heads/main", "a"]],
      );
    } finally {
      await reopened.close();
    }
  });

  it("the Node server's banner names the driver", { timeout: 60_000 }, async () => {
    const server = await startServer({ runtime: "node" });
    try {
      const dbPath = path.join(server.dataDir, "reposit.sqlite");
      assert.ok(server.output().includes(`(SQLite ${dbPath} via ${expectedDriver()})`), server.output());
      assert.ok(fs.existsSync(dbPath));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
