/**
 * @module tests/bun/sqlite-store
 * The storage contract on bun:sqlite (Bun only: `npx bun test tests/bun/`), in memory and on temp
 * files, plus the shared-file tests: stores and processes on one file, reopen, SIGKILLed writer.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openBunSqliteStore } from "../../adapters/bun/sqlite-store.ts";
import { storageContract } from "../contracts/storage.contract.ts";
import { sharedFileContract } from "../contracts/sqlite-file.contract.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-bun-sqlite-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => path.join(dir, `kv-${files++}.sqlite`);

storageContract("bun:sqlite :memory:", async () => openBunSqliteStore(":memory:"));
storageContract("bun:sqlite file", async () => openBunSqliteStore(tempFile()));

sharedFileContract("bun:sqlite", {
  open: (file) => openBunSqliteStore(file),
  tempFile,
  childCommand: (file, script) => [
    process.execPath,
    [
      "-e",
      `import { openBunSqliteStore } from ${JSON.stringify(path.resolve(import.meta.dir, "../../adapters/bun/sqlite-store.ts"))};
       const store = openBunSqliteStore(${JSON.stringify(file)});
       ${script}`,
    ],
  ],
});

describe("openBunSqliteStore", () => {
  it("opens files in WAL mode, also with durability \"full\"", async () => {
    const file = tempFile();
    const store = openBunSqliteStore(file, { durability: "full" });
    await store.commit([], [{ type: "set", key: "k", value: new Uint8Array([1]) }]);
    assert.ok(fs.existsSync(`${file}-wal`));
    assert.deepEqual((await store.get("k"))!.value, new Uint8Array([1]));
    await store.close();
    const reopened = openBunSqliteStore(file);
    assert.deepEqual((await reopened.get("k"))!.value, new Uint8Array([1]));
    await reopened.close();
  });
});
