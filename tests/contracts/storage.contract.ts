/**
 * @module tests/contracts/storage.contract
 * The contract every KvStore adapter passes, run by each adapter's runner in its own runtime:
 * round trips, limits, UTF-8 key order and list ranges, CAS create/update/delete, all-or-nothing
 * commits, CAS races, and the core helpers (chunked blobs larger than every limit, split writes,
 * prefix deletes) on top. Every test opens a fresh store through `open` and closes it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { KvEntry, KvMutation, KvStore } from "../../src/storage/types.ts";
import { StorageError } from "../../src/errors.ts";
import { commitChecked, deletePrefix, getManyAll, listAll, writeUnordered } from "../../src/storage/storage.ts";
import { BlobWriter, chunkKey, deleteBlob, readBlobBytes, readBlobRange } from "../../src/storage/chunked-blob.ts";

/** The node:test functions the suite registers with (a runner may pass its own). */
export interface ContractTestApi {
  describe: typeof describe;
  it: typeof it;
}

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text);
const decoder = new TextDecoder();
const textOf = (value: Uint8Array) => decoder.decode(value);

/** Independent oracle for key order: compare the UTF-8 encodings byte by byte. */
function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Random bytes (getRandomValues fills at most 64 KiB per call). */
export function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65_536)));
  return out;
}

const set = (key: string, value: string | Uint8Array): KvMutation => ({
  type: "set",
  key,
  value: typeof value === "string" ? bytesOf(value) : value,
});

async function keysOf(store: KvStore, options: Parameters<KvStore["list"]>[0]): Promise<string[]> {
  return (await listAll(store, options)).map((e) => e.key);
}

async function valueOf(store: KvStore, key: string): Promise<string | null> {
  const entry = await store.get(key);
  return entry === null ? null : textOf(entry.value);
}

/** Records every commit a store receives (to check how helpers split their batches). */
function spy(store: KvStore, commits: { checks: number; mutations: number }[]): KvStore {
  return {
    limits: store.limits,
    get: (key) => store.get(key),
    getMany: (keys) => store.getMany(keys),
    list: (options) => store.list(options),
    commit: (checks, mutations) => {
      commits.push({ checks: checks.length, mutations: mutations.length });
      return store.commit(checks, mutations);
    },
    close: () => store.close(),
  };
}

/**
 * Registers the contract suite for one adapter.
 * @example storageContract("memory", async () => createMemoryStore());
 */
export function storageContract(name: string, open: () => Promise<KvStore>, t: ContractTestApi = { describe, it }): void {
  const test = (title: string, fn: (store: KvStore) => Promise<void>, timeout = 120_000) =>
    t.it(title, { timeout }, async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  t.describe(`storage contract: ${name}`, () => {
    test("get of a missing key is null; set, get and delete round trip", async (store) => {
      assert.equal(await store.get("missing"), null);
      assert.equal(await store.commit([], [set("k", "one")]), true);
      const entry = await store.get("k");
      assert.equal(entry?.key, "k");
      assert.equal(textOf(entry!.value), "one");
      assert.ok(entry!.value instanceof Uint8Array);
      assert.equal(typeof entry!.version, "string");
      assert.equal(await store.commit([], [{ type: "delete", key: "k" }]), true);
      assert.equal(await store.get("k"), null);
      assert.equal(await store.commit([], [{ type: "delete", key: "never-existed" }]), true);
    });

    test("values of 0 bytes and of exactly maxValueBytes round trip; larger values throw", async (store) => {
      const big = randomBytes(store.limits.maxValueBytes);
      assert.equal(await store.commit([], [set("empty", new Uint8Array(0)), set("big", big)]), true);
      assert.deepEqual((await store.get("empty"))!.value, new Uint8Array(0));
      assert.deepEqual((await store.get("big"))!.value, big);
      await assert.rejects(
        async () => store.commit([], [set("too-big", new Uint8Array(store.limits.maxValueBytes + 1))]),
        /maxValueBytes/,
      );
      assert.equal(await store.get("too-big"), null);
    });

    test("a value from a subarray stores only its own bytes", async (store) => {
      const backing = bytesOf("xxhelloxx");
      await store.commit([], [set("view", backing.subarray(2, 7))]);
      assert.equal(await valueOf(store, "view"), "hello");
    });

    test("changing a written or read array does not change the stored value", async (store) => {
      const value = bytesOf("abc");
      await store.commit([], [set("k", value)]);
      value[0] = 0x7a;
      const read = (await store.get("k"))!.value;
      assert.equal(textOf(read), "abc");
      read[1] = 0x7a;
      assert.equal(await valueOf(store, "k"), "abc");
      const [listed] = await listAll(store, { prefix: "k" });
      listed!.value[2] = 0x7a;
      assert.equal(await valueOf(store, "k"), "abc");
    });

    test("keys of exactly maxKeyBytes work; longer keys throw", async (store) => {
      const max = store.limits.maxKeyBytes;
      const key = "é".repeat(Math.floor(max / 2)) + "k".repeat(max % 2);
      assert.equal(await store.commit([{ key, version: null }], [set(key, "v")]), true);
      assert.equal(await valueOf(store, key), "v");
      assert.deepEqual(await keysOf(store, { prefix: "é" }), [key]);
      await assert.rejects(async () => store.commit([], [set(`${key}x`, "v")]), /maxKeyBytes/);
    });

    test("keys order by their UTF-8 bytes, not by UTF-16 units", async (store) => {
      const keys = ["a", "a/b", "a-b", "a\u{7F}", "a\u{80}", "aé", "a\u{D7FF}", "a\u{E000}", "a\u{FFFF}", "a\u{10000}", "a\u{1F600}", "b"];
      await writeUnordered(store, keys.map((key) => set(key, key)));
      const expected = [...keys].sort(compareUtf8);
      assert.deepEqual(expected.slice(-4), ["a\u{FFFF}", "a\u{10000}", "a\u{1F600}", "b"]);
      assert.deepEqual(await keysOf(store, { prefix: "" }), expected);
      assert.deepEqual(await keysOf(store, { prefix: "a", reverse: true }), expected.slice(0, -1).reverse());
      assert.deepEqual(await keysOf(store, { prefix: "a\u{FFFF}" }), ["a\u{FFFF}"]);
      assert.deepEqual(await keysOf(store, { prefix: "a", start: "a\u{FFFF}" }), ["a\u{FFFF}", "a\u{10000}", "a\u{1F600}"]);
      for (const key of keys) assert.equal(await valueOf(store, key), key);
    });

    test("list honours prefix, start, end, limit and reverse; prefixes never leak", async (store) => {
      const keys = ["refs/heads", "refs/headsx", "refs/heads/", "refs/heads/a", "refs/heads/a/b", "refs/heads/a-b", "refs/heads/b", "refs/tags/v1"];
      await writeUnordered(store, keys.map((key) => set(key, key)));
      const heads = ["refs/heads/", "refs/heads/a", "refs/heads/a-b", "refs/heads/a/b", "refs/heads/b"];
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/" }), heads);
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/a" }), ["refs/heads/a", "refs/heads/a-b", "refs/heads/a/b"]);
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/a/" }), ["refs/heads/a/b"]);
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/c" }), []);
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/", start: "refs/heads/a-b", end: "refs/heads/b" }), [
        "refs/heads/a-b",
        "refs/heads/a/b",
      ]);
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/", limit: 2 }), heads.slice(0, 2));
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/", reverse: true }), [...heads].reverse());
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/", reverse: true, limit: 2 }), ["refs/heads/b", "refs/heads/a/b"]);
      assert.deepEqual(
        await keysOf(store, { prefix: "refs/heads/", start: "refs/heads/a", end: "refs/heads/a/b", reverse: true }),
        ["refs/heads/a-b", "refs/heads/a"],
      );
      assert.deepEqual(await keysOf(store, { prefix: "refs/heads/", start: "refs/heads/b", end: "refs/heads/a" }), []);
      assert.deepEqual(await keysOf(store, { prefix: "refs/", limit: 0 }), []);
      const [first] = await listAll(store, { prefix: "refs/heads/a/" });
      assert.equal(textOf(first!.value), "refs/heads/a/b");
      assert.equal(first!.version, (await store.get("refs/heads/a/b"))!.version);
      await assert.rejects(async () => keysOf(store, { prefix: "refs/heads/", start: "refs/tags/" }), /start/);
      await assert.rejects(async () => keysOf(store, { prefix: "refs/heads/", end: "refs/z" }), /end/);
    });

    test("list matches a sorted model for random keys and ranges", async (store) => {
      const alphabet = ["a", "b", "/", "-", "é", "\u{FFFF}", "\u{10000}", "\u{E000}"];
      const part = (max: number) => fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((cs) => cs.join(""));
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(part(3), { maxLength: 12 }),
          part(1),
          fc.option(part(2), { nil: undefined }),
          fc.option(part(2), { nil: undefined }),
          fc.option(fc.nat(6), { nil: undefined }),
          fc.boolean(),
          async (suffixes, prefixPart, startPart, endPart, limit, reverse) => {
            const ns = `m${run++}/`;
            const keys = suffixes.map((s) => ns + s);
            await writeUnordered(store, keys.map((key) => set(key, key)));
            const prefix = ns + prefixPart;
            const start = startPart === undefined ? undefined : prefix + startPart;
            const end = endPart === undefined ? undefined : prefix + endPart;
            let expected = keys
              .filter((k) => k.startsWith(prefix))
              .filter((k) => start === undefined || compareUtf8(k, start) >= 0)
              .filter((k) => end === undefined || compareUtf8(k, end) < 0)
              .sort(compareUtf8);
            if (reverse) expected.reverse();
            if (limit !== undefined) expected = expected.slice(0, limit);
            assert.deepEqual(await keysOf(store, { prefix, start, end, limit, reverse }), expected);
          },
        ),
        { numRuns: 60 },
      );
    });

    test("list pages through more entries than one backend page", async (store) => {
      const keys = Array.from({ length: 1_234 }, (_, i) => `p/${String(i).padStart(5, "0")}`);
      await writeUnordered(store, keys.map((key) => set(key, key)));
      const all = await listAll(store, { prefix: "p/" });
      assert.deepEqual(all.map((e) => e.key), keys);
      assert.deepEqual(all.map((e) => textOf(e.value)), keys);
      assert.deepEqual(await keysOf(store, { prefix: "p/", reverse: true }), [...keys].reverse());
      assert.deepEqual(await keysOf(store, { prefix: "p/", limit: 777 }), keys.slice(0, 777));
      assert.deepEqual(await keysOf(store, { prefix: "p/", start: "p/00300", reverse: true, limit: 500 }), keys.slice(300).reverse().slice(0, 500));
    });

    test("CAS create (version null) succeeds once, then fails", async (store) => {
      assert.equal(await store.commit([{ key: "c", version: null }], [set("c", "first")]), true);
      assert.equal(await store.commit([{ key: "c", version: null }], [set("c", "second")]), false);
      assert.equal(await valueOf(store, "c"), "first");
    });

    test("update with the current version succeeds; a stale version fails and changes nothing", async (store) => {
      await store.commit([], [set("u", "v1")]);
      const v1 = (await store.get("u"))!.version;
      assert.equal(await store.commit([{ key: "u", version: v1 }], [set("u", "v2")]), true);
      const v2 = (await store.get("u"))!.version;
      assert.notEqual(v2, v1);
      assert.equal(await store.commit([{ key: "u", version: v1 }], [set("u", "v3"), set("other", "x")]), false);
      assert.equal(await valueOf(store, "u"), "v2");
      assert.equal((await store.get("u"))!.version, v2);
      assert.equal(await store.get("other"), null);
      assert.equal(await store.commit([{ key: "u", version: null }], [set("u", "v4")]), false);
    });

    test("delete with a check: stale fails, current deletes, then null matches", async (store) => {
      await store.commit([], [set("d", "1")]);
      const v1 = (await store.get("d"))!.version;
      await store.commit([], [set("d", "2")]);
      const v2 = (await store.get("d"))!.version;
      assert.equal(await store.commit([{ key: "d", version: v1 }], [{ type: "delete", key: "d" }]), false);
      assert.equal(await valueOf(store, "d"), "2");
      assert.equal(await store.commit([{ key: "d", version: v2 }], [{ type: "delete", key: "d" }]), true);
      assert.equal(await store.get("d"), null);
      assert.equal(await store.commit([{ key: "d", version: v2 }], []), false);
      assert.equal(await store.commit([{ key: "d", version: null }], []), true);
    });

    test("a commit with one failing check among several applies none of its mutations", async (store) => {
      await store.commit([], [set("x", "x0"), set("y", "y0"), set("z", "z0")]);
      const [x, y] = await getManyAll(store, ["x", "y"]);
      const checks = [
        { key: "x", version: x!.version },
        { key: "y", version: y!.version },
        { key: "new", version: null },
        { key: "z", version: null }, // fails: z exists
      ];
      const mutations: KvMutation[] = [set("x", "x1"), set("new", "n"), { type: "delete", key: "y" }, set("z", "z1")];
      assert.equal(await store.commit(checks, mutations), false);
      assert.deepEqual(
        (await getManyAll(store, ["x", "y", "z", "new"])).map((e) => (e === null ? null : textOf(e.value))),
        ["x0", "y0", "z0", null],
      );
      assert.equal((await store.get("x"))!.version, x!.version);
      assert.equal(await store.commit(checks.slice(0, 3), mutations.slice(0, 3)), true);
      assert.deepEqual(
        (await getManyAll(store, ["x", "y", "z", "new"])).map((e) => (e === null ? null : textOf(e.value))),
        ["x1", null, "z0", "n"],
      );
    });

    test("mutations of one key in one commit apply in order", async (store) => {
      assert.equal(await store.commit([], [set("o", "1"), { type: "delete", key: "o" }, set("o", "2")]), true);
      assert.equal(await valueOf(store, "o"), "2");
      assert.equal(await store.commit([], [set("o", "3"), { type: "delete", key: "o" }]), true);
      assert.equal(await store.get("o"), null);
    });

    test("concurrent CAS commits on one version: exactly one wins", async (store) => {
      const racers = Math.min(12, store.limits.maxChecks * 4);
      const created = await Promise.all(
        Array.from({ length: racers }, (_, i) => store.commit([{ key: "race", version: null }], [set("race", `c${i}`)])),
      );
      assert.equal(created.filter(Boolean).length, 1);
      assert.equal(await valueOf(store, "race"), `c${created.indexOf(true)}`);
      const version = (await store.get("race"))!.version;
      const updated = await Promise.all(
        Array.from({ length: racers }, (_, i) => store.commit([{ key: "race", version }], [set("race", `u${i}`), set(`won/${i}`, "")])),
      );
      assert.equal(updated.filter(Boolean).length, 1);
      const winner = updated.indexOf(true);
      assert.equal(await valueOf(store, "race"), `u${winner}`);
      assert.deepEqual(await keysOf(store, { prefix: "won/" }), [`won/${winner}`]);
    });

    test("versions change on every write, even of the same value", async (store) => {
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) {
        await store.commit([], [set("same", "value")]);
        seen.add((await store.get("same"))!.version);
      }
      assert.equal(seen.size, 5);
      await store.commit([], [set("a", "1"), set("b", "1")]);
      const [a, b] = await getManyAll(store, ["a", "b"]);
      assert.ok(!seen.has(a!.version) && !seen.has(b!.version));
      await store.commit([], [{ type: "delete", key: "same" }]);
      await store.commit([], [set("same", "value")]);
      assert.ok(!seen.has((await store.get("same"))!.version));
    });

    test("getMany keeps the order of its keys, with null for missing ones", async (store) => {
      await store.commit([], [set("g1", "1"), set("g2", "2"), set("g3", "3")]);
      const max = store.limits.maxGetMany;
      const got = await store.getMany(["g3", "nope", "g1", "g3"].slice(0, max));
      assert.deepEqual(got.map((e) => e?.key ?? null), ["g3", null, "g1", "g3"].slice(0, max));
      assert.equal(textOf(got[0]!.value), "3");
      assert.deepEqual(await store.getMany([]), []);
      const tooMany = Array.from({ length: store.limits.maxGetMany + 1 }, (_, i) => `g${i}`);
      await assert.rejects(async () => store.getMany(tooMany), /maxGetMany/);
    });

    test("getManyAll splits by maxGetMany and keeps order", async (store) => {
      const count = store.limits.maxGetMany * 3 + 7;
      const keys = Array.from({ length: count }, (_, i) => `gm/${i}`);
      await writeUnordered(store, keys.filter((_, i) => i % 3 !== 0).map((key) => set(key, key)));
      const wanted = [...keys].reverse();
      const got = await getManyAll(store, wanted);
      assert.equal(got.length, count);
      got.forEach((entry, i) => {
        const index = count - 1 - i;
        assert.equal(entry === null ? null : textOf(entry.value), index % 3 === 0 ? null : `gm/${index}`);
      });
    });

    test("commits beyond maxChecks or maxMutations throw and change nothing", async (store) => {
      const { maxChecks, maxMutations } = store.limits;
      const checks = Array.from({ length: maxChecks + 1 }, (_, i) => ({ key: `c${i}`, version: null }));
      await assert.rejects(async () => store.commit(checks, [set("x", "1")]), /maxChecks/);
      await assert.rejects(async () => commitChecked(store, checks, [set("x", "1")]), /maxChecks/);
      const mutations = Array.from({ length: maxMutations + 1 }, (_, i) => set(`m${i}`, ""));
      await assert.rejects(async () => store.commit([], mutations), /maxMutations/);
      assert.equal(await store.get("x"), null);
      assert.equal(await store.get("m0"), null);
      assert.equal(await commitChecked(store, checks.slice(0, maxChecks), [set("x", "1")]), true);
    });

    test("writeUnordered writes more than maxMutations and maxCommitBytes in commits within limits", async (store) => {
      const { maxMutations, maxValueBytes, maxCommitBytes } = store.limits;
      const commits: { checks: number; mutations: number }[] = [];
      const spied = spy(store, commits);
      const many = Array.from({ length: maxMutations + 5 }, (_, i) => set(`w/${String(i).padStart(6, "0")}`, String(i)));
      await writeUnordered(spied, many);
      assert.ok(commits.length >= 2);
      assert.ok(commits.every((c) => c.mutations <= maxMutations && c.checks === 0));
      assert.equal(commits.reduce((n, c) => n + c.mutations, 0), many.length);
      let count = 0;
      for await (const entry of store.list({ prefix: "w/" })) assert.equal(textOf(entry.value), String(count++));
      assert.equal(count, many.length);

      commits.length = 0;
      const value = randomBytes(maxValueBytes);
      const large = Array.from({ length: Math.ceil(maxCommitBytes / maxValueBytes) + 2 }, (_, i) => set(`l/${i}`, value));
      await writeUnordered(spied, large);
      assert.ok(commits.length >= 2);
      let seen = 0;
      for await (const entry of store.list({ prefix: "l/" })) {
        assert.equal(entry.value.length, maxValueBytes);
        seen++;
      }
      assert.equal(seen, large.length);
      assert.deepEqual((await store.get(`l/${large.length - 1}`))!.value, value);
    }, 300_000);

    test("deletePrefix deletes every key under a prefix and nothing else", async (store) => {
      const count = store.limits.maxMutations + 3;
      const inside = Array.from({ length: Math.min(count, 3_000) }, (_, i) => `d/a/${i}`);
      await writeUnordered(store, [...inside, "d/a", "d/ab", "d/b/0"].map((key) => set(key, "")));
      assert.equal(await deletePrefix(store, "d/a/"), inside.length);
      assert.deepEqual(await keysOf(store, { prefix: "d/" }), ["d/a", "d/ab", "d/b/0"]);
      assert.equal(await deletePrefix(store, "d/a/"), 0);
    });

    test("chunked blobs larger than every limit read back whole and by ranges", async (store) => {
      const size = Math.max(Math.floor(3.5 * store.limits.maxValueBytes), (1 << 20) + 12_345);
      const data = randomBytes(size);
      const writer = new BlobWriter(store, "blob/p1");
      for (let at = 0; at < size; ) {
        const n = Math.min(size - at, 1 + Math.floor(Math.random() * writer.chunkBytes * 1.5));
        await writer.write(data.subarray(at, at + n));
        at += n;
      }
      const info = await writer.finish();
      assert.deepEqual(info, { size, chunkBytes: writer.chunkBytes, chunks: Math.ceil(size / writer.chunkBytes) });
      assert.ok(info.chunks >= 2);
      assert.deepEqual(await readBlobBytes(store, "blob/p1", info.chunkBytes, 0, size), data);
      const parts: Uint8Array[] = [];
      for await (const part of readBlobRange(store, "blob/p1", info.chunkBytes, 0, size)) parts.push(part);
      assert.equal(parts.length, info.chunks);
      await fc.assert(
        fc.asyncProperty(fc.nat(size), fc.nat(size), async (a, b) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          assert.deepEqual(await readBlobBytes(store, "blob/p1", info.chunkBytes, start, end), data.subarray(start, end));
        }),
        { numRuns: 40 },
      );
      const edge = info.chunkBytes;
      assert.deepEqual(await readBlobBytes(store, "blob/p1", edge, edge - 1, edge + 1), data.subarray(edge - 1, edge + 1));
      assert.deepEqual(await readBlobBytes(store, "blob/p1", edge, edge, edge), new Uint8Array(0));
    }, 300_000);

    test("blob reads fail with ERR_CORRUPT past the end or over a missing chunk; deleteBlob removes only the blob", async (store) => {
      const chunk = Math.min(store.limits.maxValueBytes, 1 << 20);
      const data = randomBytes(chunk * 3 + 10);
      const writer = new BlobWriter(store, "blob/p1");
      await writer.write(data);
      const info = await writer.finish();
      const neighbour = new BlobWriter(store, "blob/p10");
      await neighbour.write(bytesOf("neighbour"));
      await neighbour.finish();
      const isCorrupt = (error: unknown) => error instanceof StorageError && error.code === "ERR_CORRUPT";
      await assert.rejects(readBlobBytes(store, "blob/p1", info.chunkBytes, 0, info.size + 1), isCorrupt);
      await store.commit([], [{ type: "delete", key: chunkKey("blob/p1", 1) }]);
      await assert.rejects(readBlobBytes(store, "blob/p1", info.chunkBytes, 0, info.size), isCorrupt);
      assert.deepEqual(await readBlobBytes(store, "blob/p1", info.chunkBytes, 5, chunk), data.subarray(5, chunk));
      assert.equal(await deleteBlob(store, "blob/p1"), info.chunks - 1);
      assert.deepEqual(await keysOf(store, { prefix: "blob/" }), [chunkKey("blob/p10", 0)]);
      assert.equal(textOf(await readBlobBytes(store, "blob/p10", info.chunkBytes, 0, 9)), "neighbour");
    });

    test("an empty blob has no chunks", async (store) => {
      const writer = new BlobWriter(store, "blob/empty");
      await writer.write(new Uint8Array(0));
      assert.deepEqual(await writer.finish(), { size: 0, chunkBytes: writer.chunkBytes, chunks: 0 });
      assert.deepEqual(await readBlobBytes(store, "blob/empty", writer.chunkBytes, 0, 0), new Uint8Array(0));
      assert.deepEqual(await listAll(store, { prefix: "blob/" }), [] as KvEntry[]);
      await assert.rejects(writer.write(bytesOf("late")), /finished/);
    });
  });
}
