import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import {
  type TreeEntry,
  forEachTreeEntry,
  isGitlinkMode,
  isTreeMode,
  parseTree,
  serializeTree,
  treeEntryKind,
  treeEntryType,
  validateTreeEntryName,
} from "../../../src/objects/tree.ts";
import { ProtocolError } from "../../../src/errors.ts";
import { type GitFixture, makeRepo, objectId } from "./git-fixture.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const raw = (oid: string) => Buffer.from(oid, "hex");
const EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** Builds tree content by hand: entries are [mode, name bytes or text, oid]. */
function rawTree(entries: [string, string | Uint8Array, string][]): Uint8Array {
  const parts: Buffer[] = [];
  for (const [mode, name, oid] of entries) parts.push(Buffer.from(`${mode} `), Buffer.from(name), Buffer.from([0]), raw(oid));
  return new Uint8Array(Buffer.concat(parts));
}

/** Everything forEachTreeEntry reports, as comparable values. */
function fastEntries(content: Uint8Array): [number, string, string][] {
  const seen: [number, string, string][] = [];
  const count = forEachTreeEntry(content, (mode, start, end, oidOffset) => {
    assert.equal(oidOffset, end + 1);
    seen.push([mode, new TextDecoder().decode(content.subarray(start, end)), hex(content.subarray(oidOffset, oidOffset + 20))]);
  });
  assert.equal(count, seen.length);
  return seen;
}

describe("trees written by git", () => {
  let repo: GitFixture;
  before(() => {
    repo = makeRepo();
    const file = (name: string, text: string, mode?: number) => {
      const full = path.join(repo.dir, name);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text);
      if (mode !== undefined) fs.chmodSync(full, mode);
    };
    file("plain.txt", "plain\n");
    file("run.sh", "#!/bin/sh\n", 0o755);
    file("with space.md", "space\n");
    file("ünïcode-名前.txt", "unicode\n");
    file("a.b", "dot\n");
    file("a-b", "dash\n");
    file("a/inner", "in a\n");
    file("a0", "zero\n");
    file("deep/er/still/leaf", "leaf\n");
    fs.symlinkSync("plain.txt", path.join(repo.dir, "link"));
    repo.text(["add", "-A"]);
    repo.text(["update-index", "--add", "--cacheinfo", `160000,${"1".repeat(40)},submodule`]);
    repo.text(["commit", "-q", "-m", "all modes"]);
  });
  after(() => repo.remove());

  it("parses every tree like `git ls-tree`, re-serializes it byte for byte and walks it fast", () => {
    const trees = [repo.text(["rev-parse", "HEAD^{tree}"]), ...repo.text(["ls-tree", "-r", "-t", "HEAD"]).split("\n").filter((l) => l.includes(" tree ")).map((l) => l.split(/\s+/)[2]!)];
    assert.equal(trees.length, 5);
    for (const oid of trees) {
      const content = repo.cat("tree", oid);
      const entries = parseTree(content);
      const listed = repo.text(["ls-tree", "-z", oid]).split("\0").filter((l) => l.length > 0).map((line) => {
        const [meta, name] = line.split("\t") as [string, string];
        const [mode, type, id] = meta.split(" ") as [string, TreeEntry["type"], string];
        return { mode: parseInt(mode, 8).toString(8), name, oid: id, type };
      });
      assert.deepEqual(entries, listed);
      const again = serializeTree([...entries].reverse());
      assert.deepEqual(again, content);
      assert.equal(objectId("tree", again), oid);
      assert.deepEqual(fastEntries(content), entries.map((e) => [parseInt(e.mode, 8), e.name, e.oid]));
    }
  });

  it("keeps git's order: a blob 'a.b' and 'a-b' before the tree 'a', then 'a0'", () => {
    const names = parseTree(repo.cat("tree", repo.text(["rev-parse", "HEAD^{tree}"]))).map((e) => e.name);
    assert.deepEqual(names.slice(0, 4), ["a-b", "a.b", "a", "a0"]);
  });

  it("maps modes to types and Artifacts kinds", () => {
    const byName = new Map(parseTree(repo.cat("tree", repo.text(["rev-parse", "HEAD^{tree}"]))).map((e) => [e.name, e]));
    const kinds = Object.fromEntries([...byName].map(([name, e]) => [name, [e.mode, e.type, treeEntryKind(e.mode)]]));
    assert.deepEqual(kinds["plain.txt"], ["100644", "blob", "blob"]);
    assert.deepEqual(kinds["run.sh"], ["100755", "blob", "exec"]);
    assert.deepEqual(kinds["link"], ["120000", "blob", "symlink"]);
    assert.deepEqual(kinds["a"], ["40000", "tree", "tree"]);
    assert.deepEqual(kinds["submodule"], ["160000", "commit", "gitlink"]);
    assert.deepEqual(kinds["with space.md"], ["100644", "blob", "blob"]);
    assert.deepEqual(kinds["ünïcode-名前.txt"], ["100644", "blob", "blob"]);
  });

  it("accepts historic modes and zero padding, keeping their spelling", () => {
    const content = rawTree([["100664", "group-writable", EMPTY_BLOB], ["040000", "padded", EMPTY_TREE], ["644", "short", EMPTY_BLOB]]);
    const oid = repo.write("tree", content);
    const entries = parseTree(repo.cat("tree", oid));
    assert.deepEqual(entries.map((e) => [e.mode, e.type, treeEntryKind(e.mode)]), [["100664", "blob", "blob"], ["040000", "tree", "tree"], ["644", "commit", "gitlink"]]);
    assert.equal(repo.text(["ls-tree", oid]).split("\n").map((l) => l.split(" ")[1]).join(","), "blob,tree,commit");
    assert.deepEqual(serializeTree(entries), content);
    // A long zero-padded mode parses and serializes back like any other.
    const padded = rawTree([["0000100755", "x", EMPTY_BLOB]]);
    const [entry] = parseTree(padded);
    assert.deepEqual([entry!.mode, entry!.type, treeEntryKind(entry!.mode)], ["0000100755", "blob", "exec"]);
    assert.deepEqual(serializeTree([entry!]), padded);
  });

  it("matches `git mktree` on generated trees (ordering property, batched)", () => {
    const name = fc.array(fc.constantFrom("a", "b", ".", "-", "0", "é", " ", "~", "A"), { minLength: 1, maxLength: 4 }).map((c) => c.join(""));
    const mode = fc.constantFrom("100644", "100755", "120000", "40000", "160000");
    const entry = fc.record({ mode, name, oid: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(hex) });
    const treeArb = fc.uniqueArray(entry, { selector: (e) => e.name, minLength: 1, maxLength: 12 });
    const samples = fc.sample(treeArb, { numRuns: 150, seed: 42 });
    const typeOf = (m: string) => (m === "40000" ? "tree" : m === "160000" ? "commit" : "blob");
    const input = samples.map((t) => t.map((e) => `${e.mode} ${typeOf(e.mode)} ${e.oid}\t${e.name}\0`).join("")).join("\0");
    const gitIds = repo.text(["mktree", "-z", "--missing", "--batch"], input).split("\n");
    assert.equal(gitIds.length, samples.length);
    samples.forEach((t, i) => {
      const content = serializeTree(t);
      assert.equal(objectId("tree", content), gitIds[i], JSON.stringify(t));
      assert.deepEqual(parseTree(content).map((e) => e.name).sort(), t.map((e) => e.name).sort());
    });
  });
});

describe("tree parsing and the fast walk agree (property)", () => {
  const entry = fc.record({
    mode: fc.constantFrom("100644", "100755", "120000", "40000", "160000", "100664", "040000"),
    name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }).filter((s) => !/[/\0\uFFFD]/.test(s)),
    oid: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(hex),
  });

  it("parseTree, forEachTreeEntry and serializeTree are consistent", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 15 }), (entries) => {
        const content = serializeTree(entries);
        const parsed = parseTree(content);
        assert.equal(parsed.length, entries.length);
        assert.deepEqual(parsed.map((e) => ({ mode: e.mode, name: e.name, oid: e.oid })).sort((a, b) => (a.name < b.name ? -1 : 1)), entries.map((e) => ({ ...e })).sort((a, b) => (a.name < b.name ? -1 : 1)));
        for (const e of parsed) assert.equal(e.type, treeEntryType(parseInt(e.mode, 8)));
        assert.deepEqual(fastEntries(content), parsed.map((e) => [parseInt(e.mode, 8), e.name, e.oid]));
        assert.deepEqual(serializeTree(parsed), content);
      }),
      { numRuns: 300 },
    );
  });
});

describe("malformed trees", () => {
  const good = rawTree([["100644", "ok", EMPTY_BLOB]]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["a non-octal mode", rawTree([["10a644", "x", EMPTY_BLOB]]), /mode "10a644 x/],
    ["the digit 8 in a mode", rawTree([["100844", "x", EMPTY_BLOB]]), /mode/],
    ["an empty mode", rawTree([["", "x", EMPTY_BLOB]]), /mode/],
    ["a mode without a space", new TextEncoder().encode("100644"), /mode/],
    ["an empty name", rawTree([["100644", "", EMPTY_BLOB]]), /empty name/],
    ["a name without NUL", new TextEncoder().encode("100644 name"), /no NUL/],
    ["a short id", good.subarray(0, good.length - 1), /cut short/],
    ["a short id in a later entry", new Uint8Array([...good, ...good.subarray(0, good.length - 5)]), /offset 30 is cut short/],
  ];
  for (const [what, content, pattern] of cases) {
    it(`rejects ${what} in both readers`, () => {
      const check = (e: unknown) => e instanceof ProtocolError && e.code === "ERR_OBJECT" && pattern.test(e.message);
      assert.throws(() => parseTree(content), check);
      assert.throws(() => forEachTreeEntry(content, () => {}), check);
    });
  }

  it("rejects '/' in names when parsing but lets the fast walk through", () => {
    const content = rawTree([["100644", "a/b", EMPTY_BLOB]]);
    assert.throws(() => parseTree(content), /containing "\/"/);
    assert.equal(forEachTreeEntry(content, () => {}), 1);
  });

  it("parses an empty tree", () => {
    assert.deepEqual(parseTree(new Uint8Array(0)), []);
    assert.equal(serializeTree([]).length, 0);
  });

  it("decodes invalid UTF-8 names lossily", () => {
    assert.equal(parseTree(rawTree([["100644", new Uint8Array([0x61, 0xff]), EMPTY_BLOB]]))[0]!.name, "a\uFFFD");
  });

  it("refuses to serialize bad entries", () => {
    const ok = { mode: "100644", name: "x", oid: EMPTY_BLOB };
    for (const bad of [{ mode: "10064a" }, { mode: "" }, { mode: "1234567 8" }, { mode: "12345678" }, { name: "" }, { name: "a/b" }, { name: "a\0b" }, { oid: "x" }, { oid: EMPTY_BLOB.toUpperCase() }]) {
      assert.throws(() => serializeTree([{ ...ok, ...bad }]), ProtocolError, JSON.stringify(bad));
    }
    assert.throws(() => serializeTree([ok, { ...ok, mode: "40000" }]), /duplicate entry name "x"/);
  });
});

describe("mode helpers", () => {
  it("classify modes like git's canon_mode", () => {
    const table: [string, boolean, boolean, string, string][] = [
      ["100644", false, false, "blob", "blob"],
      ["100755", false, false, "blob", "exec"],
      ["100744", false, false, "blob", "exec"],
      ["100664", false, false, "blob", "blob"],
      ["120000", false, false, "blob", "symlink"],
      ["40000", true, false, "tree", "tree"],
      ["040000", true, false, "tree", "tree"],
      ["160000", false, true, "commit", "gitlink"],
      ["0", false, true, "commit", "gitlink"],
    ];
    for (const [mode, tree, gitlink, type, kind] of table) {
      const bits = parseInt(mode, 8);
      assert.deepEqual([isTreeMode(bits), isGitlinkMode(bits), treeEntryType(bits), treeEntryKind(mode), treeEntryKind(bits)], [tree, gitlink, type, kind, kind], mode);
    }
    assert.throws(() => treeEntryKind("abc"), ProtocolError);
  });
});

describe("validateTreeEntryName (fsck rules for pushes)", () => {
  const rejected = [
    "", ".", "..", ".git", ".GIT", ".Git", ".git.", ".git ", ".git. .", ".git::$INDEX_ALLOCATION", "git~1", "GIT~1", "git~1.",
    ".g\u200cit", "\ufeff.git", ".gi\u200dt", "a/b", "a\0b",
  ];
  const accepted = ["a", "...", ".gitignore", ".gitmodules", ".github", "git", "git~2", ".git-x", "x.git", "..a", ".g", "名前", " .git"];
  for (const name of rejected) {
    it(`rejects ${JSON.stringify(name)}`, () => {
      assert.throws(() => validateTreeEntryName(name), (e: unknown) => e instanceof ProtocolError && e.code === "ERR_OBJECT" && e.message.startsWith("Invalid tree entry name"));
    });
  }
  it(`accepts ${accepted.length} ordinary names`, () => {
    for (const name of accepted) assert.doesNotThrow(() => validateTreeEntryName(name), name);
  });
});
