/**
 * Fuzzing the object parsers (objects/commit.ts, tree.ts, tag.ts, person.ts) with real objects
 * git wrote — every object of a small history, plus hand-made ones git accepts with
 * `hash-object --literally`: a signed merge with a mergetag and an encoding, a tag without a
 * tagger, a tree with historic modes — mutated at the byte level and in their structure (header
 * lines dropped, repeated, swapped, rekeyed or replaced; tree entries dropped, repeated, swapped,
 * renamed or given other modes).
 *
 * Properties: every parser ends in a result or a ReposError; the fast readers agree with the full
 * parsers (readCommitLinks/scanCommitLinks with parseCommit, forEachTreeEntry with parseTree,
 * readTagTarget with parseTag); whatever parses re-serializes to bytes that parse back to the same
 * value; git's own objects round-trip byte for byte; and generated commits, trees, tags and
 * identities round-trip through serialize and parse.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ObjectId } from "../../../src/git/object-id.ts";
import { type Commit, parseCommit, readCommitLinks, scanCommitLinks, serializeCommit } from "../../../src/objects/commit.ts";
import { formatIdent, type Ident, parseIdent } from "../../../src/objects/person.ts";
import { parseTag, readTagTarget, serializeTag, type Tag } from "../../../src/objects/tag.ts";
import { forEachTreeEntry, parseTree, serializeTree, type TreeEntry, type TreeEntryInput } from "../../../src/objects/tree.ts";
import { fuzzParams, type GitRepo, join, mutations, mutate, type Outcome, settleSync, smallHistory } from "./fuzz-support.ts";

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const isUtf8 = (bytes: Uint8Array) => {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

// ---- Fixtures -----------------------------------------------------------------------------------

interface Objects {
  commit: Uint8Array[];
  tree: Uint8Array[];
  tag: Uint8Array[];
}

function readAll(repo: GitRepo): Objects {
  const out = repo.run(["cat-file", "--batch-all-objects", "--batch"]);
  const objects: Objects = { commit: [], tree: [], tag: [] };
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    const [, type, size] = new TextDecoder().decode(out.subarray(pos, eol)).split(" ") as [string, string, string];
    const start = eol + 1;
    const content = out.slice(start, start + Number(size));
    if (type === "commit" || type === "tree" || type === "tag") objects[type].push(content);
    pos = start + Number(size) + 1;
  }
  return objects;
}

let fixtureObjects: Objects | undefined;

/**
 * Every commit, tree and tag of a small history, plus odd ones git reads but rarely writes (each
 * accepted by `git hash-object --literally`): a signed merge with a mergetag, an encoding and a
 * Latin-1 message, a commit with odd identities and no final newline, a tag without a tagger, a
 * signed tag, and a tree with a historic mode and a gitlink.
 */
function gitObjects(): Objects {
  if (fixtureObjects !== undefined) return fixtureObjects;
  const repo = smallHistory(6);
  try {
    const [head, tree] = repo.text(["rev-parse", "main", "main^{tree}"]).split("\n") as [string, string];
    const objects = readAll(repo);
    const raw = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    objects.commit.push(
      join(
        encoder.encode(
          `tree ${tree}\nparent ${head}\nparent ${head}\nauthor A U Thor <a@example.com> 1700000000 +0100\n` +
            `committer C O Mitter <c@example.com> 1700000100 -0230\nencoding ISO-8859-1\n` +
            `mergetag object ${head}\n type commit\n tag v0\n tagger T <t@example.com> 1 +0000\n \n tag message\n` +
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nLatin-1 message: ",
        ),
        Uint8Array.of(0xe9, 0x0a),
      ),
      encoder.encode(`tree ${tree}\nauthor  odd  spacing <a@b>\ncommitter <c@d> 0123 +01\nx-extra\n\nno trailing newline`),
    );
    objects.tag.push(
      encoder.encode(`object ${tree}\ntype tree\ntag old-style\n\nA tag without a tagger\n`),
      encoder.encode(`object ${head}\ntype commit\ntag signed\ntagger T <t@example.com> 1700000700 +0000\n\nmsg\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n`),
    );
    objects.tree.push(join(
      encoder.encode("100664 a-historic\0"),
      raw(tree),
      encoder.encode("160000 b-gitlink\0"),
      raw(head),
      encoder.encode("40000 c-dir\0"),
      raw(tree),
      encoder.encode("120000 d-link\0"),
      raw(head),
    ));
    fixtureObjects = objects;
    return objects;
  } finally {
    repo.remove();
  }
}

// ---- Structure-aware mutations of header-and-message objects ----------------------------------

const OID = "0123456789abcdef0123456789abcdef01234567";

/** Lines that commit and tag headers are made of, well-formed and not. */
const headerLine = fc.constantFrom(
  `tree ${OID}`,
  `parent ${OID}`,
  `parent ${OID.toUpperCase()}`,
  `object ${OID}`,
  "type commit",
  "type blob ",
  "tag v1",
  "author A <a@b> 1 +0000",
  "committer C <c@d> 99999999999999999999999 +0000",
  "committer <",
  "tagger T <t> -1 -0000",
  "encoding UTF-8",
  "gpgsig -----BEGIN PGP SIGNATURE-----",
  " continuation",
  " ",
  "",
  "tree",
  "parent",
  "x-key value",
  "\u00e9 \u{1f600}",
);

type LineEdit =
  | { kind: "drop" | "repeat" | "truncate"; at: number }
  | { kind: "swap"; a: number; b: number }
  | { kind: "insert" | "replace"; at: number; line: string };

const lineEdit: fc.Arbitrary<LineEdit> = fc.oneof(
  fc.record({ kind: fc.constantFrom("drop" as const, "repeat" as const, "truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constantFrom("insert" as const, "replace" as const), at: fc.nat(), line: headerLine }),
);

/** Edits the lines of `content` (split at "\n", bytes kept as they are). */
function editLines(content: Uint8Array, edits: readonly LineEdit[]): Uint8Array {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = content.indexOf(0x0a); i >= 0; i = content.indexOf(0x0a, start)) {
    lines.push(content.subarray(start, i));
    start = i + 1;
  }
  lines.push(content.subarray(start));
  for (const edit of edits) {
    const n = lines.length;
    if (edit.kind === "insert") lines.splice(edit.at % (n + 1), 0, encoder.encode(edit.line));
    else if (edit.kind === "replace") lines[edit.at % n] = encoder.encode(edit.line);
    else if (edit.kind === "drop") lines.splice(edit.at % n, 1);
    else if (edit.kind === "repeat") lines.splice(edit.at % n, 0, lines[edit.at % n]!);
    else if (edit.kind === "truncate") {
      const line = lines[edit.at % n]!;
      lines[edit.at % n] = line.subarray(0, Math.floor(line.length / 2));
    } else if (edit.kind === "swap" && n > 1) {
      const [a, b] = [edit.a % n, edit.b % n];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    }
    if (lines.length === 0) lines.push(new Uint8Array(0));
  }
  return join(...lines.flatMap((line, i) => (i === 0 ? [line] : [Uint8Array.of(0x0a), line])));
}

/** A fixture object changed by line edits, byte edits, or both. */
function mutatedFrom(pool: () => Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat(), fc.array(lineEdit, { maxLength: 3 }), fc.option(mutations(3, 12), { freq: 2 })).map(([i, lineEdits, byteEdits]) => {
    const objects = pool();
    let bytes = editLines(objects[i % objects.length]!, lineEdits);
    if (byteEdits !== null) bytes = mutate(bytes, byteEdits);
    return bytes;
  });
}

// ---- Checks -------------------------------------------------------------------------------------

const tally = { ok: 0, failed: 0 };
function count(outcome: Outcome<unknown>): void {
  tally[outcome.ok ? "ok" : "failed"]++;
}
function assertBothSides(what: string): void {
  assert.ok(tally.ok > 0 && tally.failed > 0, `${what}: ${tally.ok} parsed, ${tally.failed} refused`);
  tally.ok = tally.failed = 0;
}

/** parseCommit and the fast readers on one input, and the re-serialization of what parsed. */
function checkCommit(content: Uint8Array): void {
  const full = settleSync("parseCommit", () => parseCommit(content));
  const links = settleSync("readCommitLinks", () => readCommitLinks(content));
  const visited: [number, boolean][] = [];
  const scanned = settleSync("scanCommitLinks", () => scanCommitLinks(content, (offset, isTree) => void visited.push([offset, isTree])));
  count(full);
  assert.equal(scanned.ok, links.ok);
  if (links.ok && scanned.ok) {
    assert.equal(scanned.value, links.value.committerTime);
    assert.deepEqual(visited.map(([, isTree]) => isTree), [true, ...links.value.parents.map(() => false)]);
  }
  if (!full.ok) return;
  assert.ok(links.ok, `parseCommit accepted what readCommitLinks refused: ${links.ok ? "" : links.error.message}`);
  assert.equal(links.value.tree, full.value.tree);
  assert.deepEqual(links.value.parents, full.value.parents);
  if (full.value.committer.raw === undefined) assert.equal(links.value.committerTime, full.value.committer.timestamp);
  checkReserialized(full.value, serializeCommit, parseCommit);
  if (isUtf8(content) && isGitLayout(content)) assert.deepEqual(serializeCommit(full.value), content);
}

/**
 * Whatever parsed serializes (or fails with a ReposError) to bytes that parse to the same value and
 * serialize to themselves: serialization normalizes once, then is stable.
 */
function checkReserialized<T>(value: T, serialize: (v: T) => Uint8Array, parse: (b: Uint8Array) => T): void {
  const bytes = settleSync("serialize", () => serialize(value));
  if (!bytes.ok) return;
  const again = settleSync("parse of serialized", () => parse(bytes.value));
  assert.ok(again.ok, `serialized bytes do not parse: ${again.ok ? "" : again.error.message}`);
  assert.deepEqual(again.value, value);
  assert.deepEqual(serialize(again.value), bytes.value);
}

/**
 * Headers in the order git writes them, each "key value" with a value (a bare "key" line and
 * "key " both read as an empty value, so only one spelling can come back), and a blank line before
 * the message (see serializeCommit).
 */
function isGitLayout(content: Uint8Array): boolean {
  const text = new TextDecoder().decode(content);
  const blank = text.indexOf("\n\n");
  if (blank < 0) return false;
  const keyLines = text.slice(0, blank).split("\n").filter((l) => !l.startsWith(" "));
  if (!keyLines.every((l) => /^[^ ]+ ./s.test(l))) return false;
  const keys = keyLines.map((l) => l.split(" ", 1)[0]!);
  const rank = (k: string) => ({ tree: 0, parent: 1, author: 2, committer: 3, encoding: 4, gpgsig: 6 } as Record<string, number>)[k] ?? 5;
  const ranks = keys.map(rank);
  const once = ["tree", "author", "committer", "encoding", "gpgsig"].every((k) => keys.filter((x) => x === k).length <= 1);
  return once && ranks.every((r, i) => i === 0 || ranks[i - 1]! <= r);
}

function checkTag(content: Uint8Array): void {
  const full = settleSync("parseTag", () => parseTag(content));
  const target = settleSync("readTagTarget", () => readTagTarget(content));
  count(full);
  if (!full.ok) return;
  assert.ok(target.ok, `parseTag accepted what readTagTarget refused: ${target.ok ? "" : target.error.message}`);
  assert.deepEqual(target.value, { object: full.value.object, type: full.value.type });
  checkReserialized(full.value, serializeTag, parseTag);
}

/** Git's tree order: bytes of the name, a subtree's name ending in "/" (read-cache.c base_name_compare). */
function gitTreeOrder(a: TreeEntryInput, b: TreeEntryInput): number {
  const key = (e: TreeEntryInput) => join(encoder.encode(e.name), Uint8Array.of((parseInt(e.mode, 8) & 0o170000) === 0o040000 ? 0x2f : 0));
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function checkTree(content: Uint8Array): void {
  const full = settleSync("parseTree", () => parseTree(content));
  const offsets: number[] = [];
  const walked = settleSync("forEachTreeEntry", () => forEachTreeEntry(content, (_mode, nameStart) => void offsets.push(nameStart)));
  count(full);
  if (full.ok) {
    assert.ok(walked.ok, "parseTree accepted what forEachTreeEntry refused");
    assert.equal(walked.value, full.value.length);
  }
  if (walked.ok && !full.ok) assert.match(full.error.message, /containing "\/"/);
  if (!full.ok) return;
  const bytes = settleSync("serializeTree", () => serializeTree(full.value));
  if (!bytes.ok) return;
  const sorted = [...full.value].sort(gitTreeOrder);
  assert.deepEqual(parseTree(bytes.value), sorted);
  const isGitOrder = full.value.every((e, i) => i === 0 || gitTreeOrder(full.value[i - 1]!, e) < 0);
  if (isGitOrder && isUtf8(content)) assert.deepEqual(bytes.value, content);
}

// ---- Arbitraries for round trips ----------------------------------------------------------------

const oid: fc.Arbitrary<ObjectId> = fc.stringMatching(/^[0-9a-f]{40}$/);
/** Text without "<", ">", NUL or a newline, not ending in whitespace (git trims a name's end). */
const identField = fc.string({ unit: "binary", maxLength: 12 }).map((s) => s.replace(/[<>\n\0]/g, "").replace(/[ \t\r]+$/, ""));
// Plain objects, as parsers build them (fast-check may otherwise give null-prototype records).
const plain = { noNullPrototype: true } as const;
const ident: fc.Arbitrary<Ident> = fc.record({
  name: identField,
  email: identField.map((s) => s.replace(/ /g, "")),
  timestamp: fc.oneof(fc.nat({ max: 4_000_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  timezone: fc.stringMatching(/^[+-][0-9]{4}$/),
}, plain);
const headerKey = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/).filter((k) => !["tree", "parent", "author", "committer", "encoding", "gpgsig", "object", "type", "tag", "tagger"].includes(k));
const text = fc.string({ unit: "binary", maxLength: 40 });

const commit: fc.Arbitrary<Commit> = fc
  .record({
    tree: oid,
    parents: fc.array(oid, { maxLength: 3 }),
    author: ident,
    committer: ident,
    encoding: fc.option(text, { nil: undefined }),
    gpgsig: fc.option(text, { nil: undefined }),
    extraHeaders: fc.array(fc.tuple(headerKey, text), { maxLength: 3 }),
    message: text,
  })
  .map((c) => {
    const out: Commit = { tree: c.tree, parents: c.parents, author: c.author, committer: c.committer, extraHeaders: c.extraHeaders, message: c.message };
    if (c.encoding !== undefined) out.encoding = c.encoding;
    if (c.gpgsig !== undefined) out.gpgsig = c.gpgsig;
    return out;
  });

const tag: fc.Arbitrary<Tag> = fc
  .record({
    object: oid,
    type: fc.constantFrom("commit" as const, "tree" as const, "blob" as const, "tag" as const),
    tag: text.map((s) => s.replace(/\n/g, "")),
    tagger: fc.option(ident, { nil: undefined }),
    extraHeaders: fc.array(fc.tuple(headerKey, text), { maxLength: 2 }),
    message: text,
  })
  .map((t) => {
    const out: Tag = { object: t.object, type: t.type, tag: t.tag, extraHeaders: t.extraHeaders, message: t.message };
    if (t.tagger !== undefined) out.tagger = t.tagger;
    return out;
  });

const treeEntries: fc.Arbitrary<TreeEntryInput[]> = fc.uniqueArray(
  fc.record({
    mode: fc.oneof(fc.constantFrom("100644", "100755", "120000", "40000", "160000"), fc.stringMatching(/^[0-7]{1,7}$/)),
    name: fc.string({ unit: "binary", minLength: 1, maxLength: 10 }).filter((n) => !/[/\0]/.test(n)),
    oid,
  }),
  { selector: (e) => e.name, maxLength: 8 },
);

function entryType(mode: string): TreeEntry["type"] {
  const format = parseInt(mode, 8) & 0o170000;
  if (format === 0o040000) return "tree";
  return format === 0o100000 || format === 0o120000 ? "blob" : "commit";
}

// ---- Tests --------------------------------------------------------------------------------------

describe("fuzz: object parsers on git's objects", () => {
  it("round-trips every commit, tree and tag git wrote, byte for byte where git's layout allows", () => {
    const { commit: commits, tree: trees, tag: tags } = gitObjects();
    assert.ok(commits.length >= 9 && trees.length >= 6 && tags.length >= 3);
    for (const c of commits) checkCommit(c);
    for (const t of trees) checkTree(t);
    for (const t of tags) checkTag(t);
    assert.equal(tally.failed, 0, "a git object was refused");
    tally.ok = 0;
  });

  it("parses mutated commits to a consistent result or a ReposError (property)", () => {
    fc.assert(fc.property(mutatedFrom(() => gitObjects().commit), (bytes) => void checkCommit(bytes)), fuzzParams(800));
    assertBothSides("commits");
  });

  it("parses mutated tags to a consistent result or a ReposError (property)", () => {
    fc.assert(fc.property(mutatedFrom(() => gitObjects().tag), (bytes) => void checkTag(bytes)), fuzzParams(1000));
    assertBothSides("tags");
  });

  it("parses byte-mutated trees to a consistent result or a ReposError (property)", () => {
    fc.assert(
      fc.property(fc.nat(), mutations(4, 24), (i, edits) => {
        const trees = gitObjects().tree;
        checkTree(mutate(trees[i % trees.length]!, edits));
      }),
      fuzzParams(1000),
    );
    assertBothSides("trees");
  });

  it("parses trees with entries dropped, repeated, swapped, renamed or re-moded (property)", () => {
    const entryEdit = fc.oneof(
      fc.record({ kind: fc.constantFrom("drop" as const, "repeat" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
      fc.record({ kind: fc.constant("name" as const), at: fc.nat(), name: fc.constantFrom("", "a/b", ".", "..", ".git", "a\0b", "x".repeat(300), "\u00e9") }),
      fc.record({ kind: fc.constant("mode" as const), at: fc.nat(), mode: fc.constantFrom("", "0", "040000", "100644 ", "1006440", "99", "-1", "777777777777") }),
    );
    fc.assert(
      fc.property(fc.nat(), fc.array(entryEdit, { minLength: 1, maxLength: 3 }), (i, edits) => {
        const trees = gitObjects().tree;
        const entries: { mode: string; name: string; oid: Uint8Array }[] = [];
        const content = trees[i % trees.length]!;
        forEachTreeEntry(content, (_bits, nameStart, nameEnd, oidOffset) => {
          const modeStart = content.lastIndexOf(0x20, nameStart - 1);
          const previousEnd = entries.reduce((n, e) => n + encoder.encode(e.mode).length + encoder.encode(e.name).length + 22, 0);
          entries.push({
            mode: new TextDecoder().decode(content.subarray(previousEnd, modeStart)),
            name: new TextDecoder().decode(content.subarray(nameStart, nameEnd)),
            oid: content.slice(oidOffset, oidOffset + 20),
          });
        });
        for (const edit of edits) {
          const n = entries.length;
          if (n === 0) break;
          if (edit.kind === "drop") entries.splice(edit.at % n, 1);
          else if (edit.kind === "repeat") entries.splice(edit.at % n, 0, entries[edit.at % n]!);
          else if (edit.kind === "swap") [entries[edit.a % n], entries[edit.b % n]] = [entries[edit.b % n]!, entries[edit.a % n]!];
          else if (edit.kind === "name") entries[edit.at % n] = { ...entries[edit.at % n]!, name: edit.name };
          else if (edit.kind === "mode") entries[edit.at % n] = { ...entries[edit.at % n]!, mode: edit.mode };
        }
        checkTree(join(...entries.flatMap((e) => [encoder.encode(`${e.mode} ${e.name}\0`), e.oid])));
      }),
      fuzzParams(800),
    );
    assertBothSides("tree entries");
  });

  it("parses arbitrary bytes to a result or a ReposError (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        checkCommit(bytes);
        checkTag(bytes);
        checkTree(bytes);
      }),
      fuzzParams(800),
    );
    tally.ok = tally.failed = 0;
  });
});

describe("fuzz: object round trips", () => {
  it("parses every serialized commit back to itself (property)", () => {
    fc.assert(
      fc.property(commit, (c) => {
        const bytes = serializeCommit(c);
        assert.deepEqual(parseCommit(bytes), c);
        checkCommit(bytes);
      }),
      fuzzParams(800),
    );
    tally.ok = tally.failed = 0;
  });

  it("parses every serialized tag back to itself (property)", () => {
    fc.assert(
      fc.property(tag, (t) => {
        const bytes = serializeTag(t);
        assert.deepEqual(parseTag(bytes), t);
        checkTag(bytes);
      }),
      fuzzParams(800),
    );
    tally.ok = tally.failed = 0;
  });

  it("parses every serialized tree back to its entries in git's order (property)", () => {
    fc.assert(
      fc.property(treeEntries, (entries) => {
        const expected = entries.map((e) => ({ ...e, type: entryType(e.mode) })).sort(gitTreeOrder);
        const bytes = serializeTree(entries);
        assert.deepEqual(parseTree(bytes), expected);
        assert.deepEqual(serializeTree(parseTree(bytes)), bytes);
      }),
      fuzzParams(800),
    );
  });

  it("formats every parsed identity back to the same text, and parses formatted ones to themselves (property)", () => {
    const line = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })).map(([a, b, c]) => `${a}<${b}>${c}`),
      fc.tuple(identField, fc.string({ maxLength: 6 }), fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.constant(10n ** 400n)), fc.stringMatching(/^[+-]?[0-9]{0,6}$/))
        .map(([n, e, t, z]) => `${n} <${e}> ${t} ${z}`),
    );
    fc.assert(
      fc.property(line, ident, (text, generated) => {
        const parsed = settleSync("parseIdent", () => parseIdent(text));
        if (parsed.ok) {
          assert.equal(formatIdent(parsed.value), text);
          assert.ok(parsed.value.timestamp >= 0 && Number.isFinite(parsed.value.timestamp), `timestamp ${parsed.value.timestamp} from ${JSON.stringify(text)}`);
        }
        assert.deepEqual(parseIdent(formatIdent(generated)), generated);
      }),
      fuzzParams(1500),
    );
  });
});

describe("fuzz regressions: objects", () => {
  // Found by "parses mutated commits": a commit with two gpgsig headers parsed to gpgsig = the
  // first and the second in extraHeaders, but serializeCommit wrote extras before gpgsig, so the
  // re-parsed commit had them swapped.
  it("keeps the lifted gpgsig first when extraHeaders holds another", () => {
    const content = encoder.encode(
      `tree ${OID}\ngpgsig first\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 2 +0000\nx-extra 1\ngpgsig second\n line 2\n\nmessage\n`,
    );
    const parsed = parseCommit(content);
    assert.equal(parsed.gpgsig, "first");
    assert.deepEqual(parsed.extraHeaders, [["x-extra", "1"], ["gpgsig", "second\nline 2"]]);
    const bytes = serializeCommit(parsed);
    assert.equal(
      new TextDecoder().decode(bytes),
      `tree ${OID}\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 2 +0000\nx-extra 1\ngpgsig first\ngpgsig second\n line 2\n\nmessage\n`,
    );
    assert.deepEqual(parseCommit(bytes), parsed);
  });

  // Found by "parses mutated commits" (a NUL in an author name) and by the identity property
  // (" <<> 0 +0"): parseIdent read fields that formatIdent refuses to write without keeping the
  // line as `raw`, so such a commit, which git reads, could not be serialized again.
  it("writes back identities whose fields formatIdent would refuse", () => {
    for (const text of [" <<> 0 +0", "a>b <c> 1 +0000", "\0 U Thor <a@b> 1 +0000", "A <x<y@z> 5 -0100"]) {
      const ident = parseIdent(text);
      assert.equal(ident.raw, text);
      assert.equal(formatIdent(ident), text);
    }
    const commit = encoder.encode(`tree ${OID}\nauthor \0 U Thor <a@b> 1 +0000\ncommitter C <x<y> 2 +0000\n\nmessage\n`);
    assert.deepEqual(serializeCommit(parseCommit(commit)), commit);
    assert.equal(parseIdent("A <a@b> 1 +0000").raw, undefined);
  });

  // Found by the identity property: a 400-digit date parsed to a timestamp of Infinity (and any
  // date past 2^53 to an inexact one); git shows such overflowing dates as 0.
  it("reads a date past 2^53 as no date, keeping the line", () => {
    for (const digits of ["9".repeat(400), "9007199254740992", "18446744073709551615"]) {
      const text = `A <a@b> ${digits} +0000`;
      const ident = parseIdent(text);
      assert.equal(ident.timestamp, 0, digits);
      assert.equal(ident.timezone, "+0000");
      assert.equal(formatIdent(ident), text);
    }
    assert.equal(parseIdent("A <a@b> 9007199254740991 -0100").timestamp, Number.MAX_SAFE_INTEGER);
  });
});
