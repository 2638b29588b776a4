/**
 * @module tests/deno/node-sqlite-store
 * The storage contract on node:sqlite under Deno (`NO_COLOR=1 npx deno test -A tests/deno/node-sqlite-store.test.ts`),
 * in memory and on temp files, plus the shared-file tests (child processes are `deno eval`), and
 * openSqliteStore choosing node:sqlite here.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openNodeBuiltinSqliteStore } from "../../adapters/shared/node-sqlite-store.ts";
import { hasNodeSqlite, openSqliteStore } from "../../adapters/node/open-store.ts";
import { storageContract } from "../contracts/storage.contract.ts";
import { sharedFileContract } from "../contracts/sqlite-file.contract.ts";

const ADAPTER = fileURLToPath(new URL("../../adapters/shared/node-sqlite-store.ts", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-deno-node-sqlite-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => path.join(dir, `kv-${files++}.sqlite`);

storageContract("node:sqlite (deno) :memory:", async () => openNodeBuiltinSqliteStore(":memory:"));
storageContract("node:sqlite (deno) file", async () => openNodeBuiltinSqliteStore(tempFile()));

sharedFileContract("node:sqlite (deno)", {
  open: (file) => openNodeBuiltinSqliteStore(file),
  tempFile,
  // `deno eval` runs with every permission and without type checking.
  childCommand: (file, script) => [
    process.execPath,
    [
      "eval",
      `import { openNodeBuiltinSqliteStore } from ${JSON.stringify(ADAPTER)};
       const store = openNodeBuiltinSqliteStore(${JSON.stringify(file)});
       ${script}`,
    ],
  ],
});

describe("openNodeBuiltinSqliteStore (deno)", () => {
  it("returns plain Uint8Array values and opens files in WAL mode", async () => {
    const file = tempFile();
    const store = openNodeBuiltinSqliteStore(file, { durability: "full" });
    await store.commit([], [{ type: "set", key: "k", value: new Uint8Array([0, 255, 7]) }]);
    const entry = await store.get("k");
    assert.equal(entry!.value.constructor, Uint8Array);
    assert.deepEqual(entry!.value, new Uint8Array([0, 255, 7]));
    assert.ok(fs.existsSync(`${file}-wal`));
    await store.close();
  });
});

describe("openSqliteStore (deno)", () => {
  it("picks node:sqlite where the runtime has it", async () => {
    assert.equal(await hasNodeSqlite(), true);
    const { store, driver } = await openSqliteStore(tempFile());
    assert.equal(driver, "node:sqlite");
    await store.commit([], [{ type: "set", key: "k", value: new TextEncoder().encode("v") }]);
    assert.equal(new TextDecoder().decode((await store.get("k"))!.value), "v");
    await store.close();
  });
});
