/**
 * @module tests/bun/node-sqlite-store
 * The storage contract on node:sqlite under Bun (`npx bun test tests/bun/node-sqlite-store.test.ts`),
 * in memory and on temp files, plus the shared-file tests; rollback of a failed commit; and one file
 * format across drivers: files written through bun:sqlite, and through better-sqlite3 in a Node 20
 * child, read and extended through node:sqlite, and the other way round.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Database } from "bun:sqlite";
import { openNodeBuiltinSqliteStore } from "../../adapters/shared/node-sqlite-store.ts";
import { openBunSqliteStore } from "../../adapters/bun/sqlite-store.ts";
import { hasNodeSqlite, openSqliteStore } from "../../adapters/node/open-store.ts";
import { listAll } from "../../src/storage/storage.ts";
import type { KvEntry, KvMutation, KvStore } from "../../src/storage/types.ts";
import { randomBytes, storageContract } from "../contracts/storage.contract.ts";
import { sharedFileContract } from "../contracts/sqlite-file.contract.ts";

const ROOT = path.resolve(import.meta.dir, "../..");
const ADAPTER = path.join(ROOT, "adapters/shared/node-sqlite-store.ts");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-bun-node-sqlite-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => path.join(dir, `kv-${files++}.sqlite`);
const set = (key: string, value: Uint8Array | string): KvMutation => ({
  type: "set",
  key,
  value: typeof value === "string" ? new TextEncoder().encode(value) : value,
});

storageContract("node:sqlite (bun) :memory:", async () => openNodeBuiltinSqliteStore(":memory:"));
storageContract("node:sqlite (bun) file", async () => openNodeBuiltinSqliteStore(tempFile()));

sharedFileContract("node:sqlite (bun)", {
  open: (file) => openNodeBuiltinSqliteStore(file),
  tempFile,
  childCommand: (file, script) => [
    process.execPath,
    [
      "-e",
      `import { openNodeBuiltinSqliteStore } from ${JSON.stringify(ADAPTER)};
       const store = openNodeBuiltinSqliteStore(${JSON.stringify(file)});
       ${script}`,
    ],
  ],
});

describe("openNodeBuiltinSqliteStore (bun)", () => {
  it("returns plain Uint8Array values and opens files in WAL mode", async () => {
    const file = tempFile();
    const store = openNodeBuiltinSqliteStore(file, { durability: "full" });
    await store.commit([], [set("k", new Uint8Array([0, 255, 7]))]);
    const entry = await store.get("k");
    assert.equal(entry!.value.constructor, Uint8Array);
    assert.deepEqual(entry!.value, new Uint8Array([0, 255, 7]));
    assert.ok(fs.existsSync(`${file}-wal`));
    await store.close();
  });

  it("rolls back a commit that fails midway and keeps working", async () => {
    const file = tempFile();
    const store = openNodeBuiltinSqliteStore(file);
    // A second connection installs a trigger that makes the second set of a commit fail inside SQLite.
    const db = new Database(file);
    db.exec("CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
    db.close();
    await assert.rejects(store.commit([], [set("first", "x"), set("boom", "y")]), /boom refused/);
    assert.equal(await store.get("first"), null);
    // The transaction is closed: the next commit starts its own, and another connection can write.
    assert.equal(await store.commit([], [set("after", "z")]), true);
    const other = openNodeBuiltinSqliteStore(file);
    assert.equal(await other.commit([], [set("other", "w")]), true);
    assert.deepEqual((await listAll(store, { prefix: "" })).map((e) => e.key), ["after", "other"]);
    await other.close();
    await store.close();
  });
});

describe("openSqliteStore (bun)", () => {
  it("picks node:sqlite where the runtime has it", async () => {
    assert.equal(await hasNodeSqlite(), true);
    const { store, driver } = await openSqliteStore(":memory:");
    assert.equal(driver, "node:sqlite");
    await store.commit([], [set("k", "v")]);
    assert.equal(new TextDecoder().decode((await store.get("k"))!.value), "v");
    await store.close();
  });
});

/** A mix of entries that exercises the format: binary values, a 1 MiB value, UTF-8 keys, >1 list page. */
function sampleMutations(): KvMutation[] {
  const all = new Uint8Array(256).map((_, i) => i);
  return [
    set("bin/all-bytes", all),
    set("bin/empty", new Uint8Array(0)),
    set("bin/large", randomBytes(1 << 20)),
    set("utf8/é", "é"),
    set("utf8/日本", "日本"),
    set("utf8/😀", "😀"),
    ...Array.from({ length: 300 }, (_, i) => set(`many/${String(i).padStart(4, "0")}`, `value ${i}`)),
  ];
}

async function entries(store: KvStore): Promise<KvEntry[]> {
  return listAll(store, { prefix: "" });
}

/** Checks that `reader` sees exactly `expected`, then CAS-updates through it with those versions. */
async function readAndExtend(reader: KvStore, expected: KvEntry[]): Promise<void> {
  const seen = await entries(reader);
  assert.equal(seen.length, expected.length);
  assert.deepEqual(seen, expected);
  const old = expected.find((e) => e.key === "utf8/é")!;
  assert.equal(await reader.commit([{ key: old.key, version: old.version }], [set(old.key, "updated")]), true);
  assert.equal(await reader.commit([{ key: old.key, version: old.version }], [set(old.key, "stale")]), false);
  const updated = (await reader.get(old.key))!;
  assert.ok(BigInt(updated.version) > BigInt(old.version), `${updated.version} after ${old.version}`);
}

describe("one file format across SQLite drivers (bun)", () => {
  it("bun:sqlite writes, node:sqlite reads and extends, bun:sqlite reads back", async () => {
    const file = tempFile();
    const writer = openBunSqliteStore(file);
    await writer.commit([], sampleMutations());
    const expected = await entries(writer);
    await writer.close();
    const reader = openNodeBuiltinSqliteStore(file);
    await readAndExtend(reader, expected);
    const after = await entries(reader);
    await reader.close();
    const back = openBunSqliteStore(file);
    assert.deepEqual(await entries(back), after);
    await back.close();
  });

  it("bun:sqlite and node:sqlite stores on one file share versions and CAS", async () => {
    const file = tempFile();
    const bunStore = openBunSqliteStore(file);
    const nodeStore = openNodeBuiltinSqliteStore(file);
    try {
      await bunStore.commit([], [set("k", "0")]);
      for (let i = 1; i <= 10; i++) {
        const store = i % 2 === 0 ? bunStore : nodeStore;
        const other = i % 2 === 0 ? nodeStore : bunStore;
        const current = (await store.get("k"))!;
        assert.deepEqual(await other.get("k"), current);
        assert.equal(await store.commit([{ key: "k", version: current.version }], [set("k", String(i))]), true);
        assert.equal(await other.commit([{ key: "k", version: current.version }], [set("k", "lost")]), false);
      }
      assert.equal(new TextDecoder().decode((await bunStore.get("k"))!.value), "10");
    } finally {
      await bunStore.close();
      await nodeStore.close();
    }
  });

  it("a file written through better-sqlite3 on Node 20 is read through node:sqlite, and back", { timeout: 60_000 }, async () => {
    const file = tempFile();
    const dump = path.join(dir, `dump-${files++}.json`);
    // The Node child writes the sample through better-sqlite3 and dumps what it lists, values as hex.
    const node = (script: string) => {
      const result = spawnSync(
        "node",
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          `import { openNodeSqliteStore } from ${JSON.stringify(path.join(ROOT, "adapters/node/sqlite-store.ts"))};
           import { listAll } from ${JSON.stringify(path.join(ROOT, "src/storage/storage.ts"))};
           import fs from "node:fs";
           const store = openNodeSqliteStore(${JSON.stringify(file)});
           const hex = (v) => Buffer.from(v).toString("hex");
           ${script}
           const all = await listAll(store, { prefix: "" });
           fs.writeFileSync(${JSON.stringify(dump)}, JSON.stringify(all.map((e) => [e.key, e.version, hex(e.value)])));
           await store.close();`,
        ],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(result.status, 0, result.stderr);
      const rows = JSON.parse(fs.readFileSync(dump, "utf8")) as [string, string, string][];
      return rows.map(([key, version, hex]): KvEntry => ({ key, version, value: Uint8Array.from(Buffer.from(hex, "hex")) }));
    };
    const mutations = sampleMutations();
    fs.writeFileSync(`${dump}.in`, JSON.stringify(mutations.map((m) => [m.key, Buffer.from((m as { value: Uint8Array }).value).toString("hex")])));
    const written = node(
      `const input = JSON.parse(fs.readFileSync(${JSON.stringify(`${dump}.in`)}, "utf8"));
       await store.commit([], input.map(([key, hex]) => ({ type: "set", key, value: new Uint8Array(Buffer.from(hex, "hex")) })));`,
    );
    assert.equal(written.length, mutations.length);
    const reader = openNodeBuiltinSqliteStore(file);
    await readAndExtend(reader, written);
    const after = await entries(reader);
    await reader.close();
    assert.deepEqual(node(""), after);
  });
});
