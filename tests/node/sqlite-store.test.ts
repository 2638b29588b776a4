/**
 * @module tests/node/sqlite-store
 * The storage contract on better-sqlite3 (Node only: `node --import tsx --test tests/node/sqlite-store.test.ts`),
 * in memory and on temp files, plus what a shared file promises: two stores on one file see each
 * other's commits, CAS races across stores and across processes have one winner, and commits
 * survive close, reopen and a SIGKILLed writer.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openNodeSqliteStore } from "../../adapters/node/sqlite-store.ts";
import { storageContract } from "../contracts/storage.contract.ts";
import { sharedFileContract } from "../contracts/sqlite-file.contract.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-node-sqlite-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => path.join(dir, `kv-${files++}.sqlite`);

storageContract("better-sqlite3 :memory:", async () => openNodeSqliteStore(":memory:"));
storageContract("better-sqlite3 file", async () => openNodeSqliteStore(tempFile()));

sharedFileContract("better-sqlite3", {
  open: (file) => openNodeSqliteStore(file),
  tempFile,
  // A child process that opens the file, runs `script` (which sees `store`), and prints its result.
  childCommand: (file, script) => [
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `import { openNodeSqliteStore } from ${JSON.stringify(path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "../../adapters/node/sqlite-store.ts"))};
       const store = openNodeSqliteStore(${JSON.stringify(file)});
       ${script}`,
    ],
  ],
});

describe("openNodeSqliteStore", () => {
  it("returns plain Uint8Array values, not Buffers", async () => {
    const store = openNodeSqliteStore(":memory:");
    await store.commit([], [{ type: "set", key: "k", value: new Uint8Array([1, 2]) }]);
    const entry = await store.get("k");
    assert.equal(entry!.value.constructor, Uint8Array);
    await store.close();
  });
});
