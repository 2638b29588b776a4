import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { type Commit, parseCommit, readCommitLinks, scanCommitLinks, serializeCommit, hexOidToBytesInto } from "../../../src/objects/commit.ts";
import { ProtocolError } from "../../../src/errors.ts";
import { type GitFixture, bytes, makeRepo, objectId } from "./git-fixture.ts";

const decoder = new TextDecoder();
const SIG = [
  "-----BEGIN PGP SIGNATURE-----",
  "",
  "iQEzBAABCAAdFiEEfakefakefakefakefakefakefakefakeFAmVfakeACgkQfake",
  "=abcd",
  "-----END PGP SIGNATURE-----",
].join("\n");

describe("commit objects from git", () => {
  let repo: GitFixture;
  let signed = false;
  const crafted: Record<string, string> = {};

  before(() => {
    repo = makeRepo();
    const g = (...args: string[]) => repo.text(args);
    const file = (name: string, text: string) => fs.writeFileSync(path.join(repo.dir, name), text);
    g("commit", "-q", "--allow-empty", "-m", "root");
    file("a", "a\n");
    g("add", "a");
    g("commit", "-q", "-m", "add a\n\nA body with\n  indentation and trailing spaces   \n");
    g("checkout", "-q", "-b", "side");
    file("b", "b\n");
    g("add", "b");
    g("commit", "-q", "-m", "side");
    g("checkout", "-q", "main");
    file("c", "c\n");
    g("add", "c");
    g("commit", "-q", "-m", "main c");
    g("merge", "-q", "--no-ff", "side", "-m", "merge side");
    for (const b of ["o1", "o2"]) {
      g("checkout", "-q", "-b", b, "main~1");
      file(b, b);
      g("add", b);
      g("commit", "-q", "-m", b);
    }
    g("checkout", "-q", "main");
    g("merge", "-q", "--no-ff", "o1", "o2", "-m", "octopus");
    repo.text(["-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty", "-m", "declared latin-1"]);
    repo.text(["commit", "-q", "--allow-empty", "-m", "ünïcödé 😀 message"], undefined, { GIT_AUTHOR_NAME: "Zoë Ünïcode", GIT_AUTHOR_EMAIL: "zoë@exämple.com" });
    g("commit", "-q", "--allow-empty", "--allow-empty-message", "-m", "");
    const tree = g("rev-parse", "HEAD^{tree}");
    const head = g("rev-parse", "HEAD");
    g("update-ref", "refs/heads/no-newline", repo.text(["commit-tree", tree, "-p", head], "no trailing newline"));
    signed = trySignedMerge(repo);
    const ident = "A U Thor <author@example.com> 1700000000 +0100";
    crafted.gpgsig = repo.write(
      "commit",
      `tree ${tree}\nparent ${head}\nauthor ${ident}\ncommitter ${ident}\nx-custom first line\n second line\nx-empty\ngpgsig ${SIG.replaceAll("\n", "\n ")}\n\nsigned-like\n`,
    );
    crafted.headersOnly = repo.write("commit", `tree ${tree}\nauthor ${ident}\ncommitter ${ident}\n`);
    crafted.oddIdents = repo.write("commit", `tree ${tree}\nauthor Old   <old@example.com>\ncommitter <c@example.com> 0012 +05\n\nold\n`);
    crafted.root = repo.write("commit", `tree ${tree}\nauthor ${ident}\ncommitter ${ident}\n\n\n\nleading blank lines\n`);
    for (const [name, oid] of Object.entries(crafted)) g("update-ref", `refs/crafted/${name}`, oid);
  });
  after(() => repo.remove());

  it("parses, re-serializes byte for byte and re-hashes every commit in the repository", () => {
    const format = "%H%x01%T %P%x01%an%x01%ae%x01%at%x01%cn%x01%ce%x01%ct";
    const logged = repo.text(["log", "--branches", "-z", `--format=${format}`]).split("\0").filter((r) => r.length > 0).map((r) => r.split("\x01"));
    assert.ok(logged.length >= 12, `expected at least 12 commits, got ${logged.length}`);
    const objects = repo.catAll(logged.map(([oid]) => oid!));
    for (const [oid, links, an, ae, at, cn, ce, ct] of logged as string[][]) {
      const content = objects.get(oid!)!.content;
      const commit = parseCommit(content);
      const again = serializeCommit(commit);
      assert.equal(decoder.decode(again), decoder.decode(content), oid);
      assert.equal(objectId("commit", again), oid);
      const [tree, ...parents] = links!.trim().split(/ +/);
      assert.equal(commit.tree, tree);
      assert.deepEqual(commit.parents, parents);
      assert.deepEqual([commit.author.name, commit.author.email, String(commit.author.timestamp)], [an, ae, at]);
      assert.deepEqual([commit.committer.name, commit.committer.email, String(commit.committer.timestamp)], [cn, ce, ct]);
      assert.deepEqual(readCommitLinks(content), { tree: commit.tree, parents: commit.parents, committerTime: commit.committer.timestamp });
    }
  });

  it("reads merges, octopus merges, encoding and unicode as git does", () => {
    const revs = ["main", "main~1", "main~2", "main~3", "main~6", "no-newline"];
    const oids = repo.text(["rev-parse", ...revs]).split("\n");
    const objects = repo.catAll(oids);
    const at = (rev: string) => parseCommit(objects.get(oids[revs.indexOf(rev)]!)!.content);
    assert.equal(at("main~3").parents.length, 3); // the octopus
    assert.equal(at("main~3").message, "octopus\n");
    assert.equal(at("main~2").encoding, "ISO-8859-1");
    assert.equal(at("main~1").author.name, "Zoë Ünïcode");
    assert.equal(at("main~1").author.email, "zoë@exämple.com");
    assert.equal(at("main~1").message, "ünïcödé 😀 message\n");
    assert.equal(at("main").message, "");
    assert.equal(at("no-newline").message, "no trailing newline");
    assert.equal(at("main~6").message, "add a\n\nA body with\n  indentation and trailing spaces\n");
    assert.deepEqual(at("main~6").extraHeaders, []);
    assert.equal(at("main~6").committer.timezone, "-0230");
    assert.equal(at("main~6").author.timestamp, 1700000000);
  });

  it("joins multi-line headers and keeps their order", () => {
    const commit = parseCommit(repo.cat("commit", crafted.gpgsig!));
    assert.equal(commit.gpgsig, SIG);
    assert.deepEqual(commit.extraHeaders, [["x-custom", "first line\nsecond line"], ["x-empty", ""]]);
    assert.equal(commit.message, "signed-like\n");
    assert.equal(repo.text(["log", "-1", "--format=%s", crafted.gpgsig!]), "signed-like");
    assert.deepEqual(serializeCommit(commit), repo.cat("commit", crafted.gpgsig!));
  });

  it("reads a real signed merge of a signed tag (gpgsig and mergetag)", (t) => {
    if (!signed) return t.skip("ssh-keygen is not available to sign");
    const content = repo.cat("commit", repo.text(["rev-parse", "signed"]));
    const commit = parseCommit(content);
    assert.match(commit.gpgsig ?? "", /^-----BEGIN SSH SIGNATURE-----\n[\s\S]+\n-----END SSH SIGNATURE-----$/);
    assert.equal(commit.extraHeaders.length, 1);
    const [key, value] = commit.extraHeaders[0]!;
    assert.equal(key, "mergetag");
    assert.equal(value, decoder.decode(repo.cat("tag", "sv")).replace(/\n$/, ""));
    assert.deepEqual(serializeCommit(commit), content);
  });

  it("handles a commit with no blank line and no message", () => {
    const content = repo.cat("commit", crafted.headersOnly!);
    const commit = parseCommit(content);
    assert.equal(commit.message, "");
    assert.deepEqual(commit.parents, []);
    // git's writer always adds the blank line, so this one does not round-trip.
    assert.deepEqual(serializeCommit(commit), new Uint8Array([...content, 0x0a]));
  });

  it("keeps odd identity lines and leading blank lines of the message", () => {
    const content = repo.cat("commit", crafted.oddIdents!);
    const commit = parseCommit(content);
    assert.equal(commit.author.name, "Old");
    assert.equal(commit.author.timestamp, 0);
    assert.equal(commit.committer.timestamp, 12);
    assert.equal(commit.committer.timezone, "+05");
    assert.deepEqual(serializeCommit(commit), content);
    assert.equal(readCommitLinks(content).committerTime, 12);
    assert.equal(parseCommit(repo.cat("commit", crafted.root!)).message, "\n\nleading blank lines\n");
  });
});

/** Makes an ssh-signed tag and a signed merge of it (branch "signed"); false when ssh-keygen is missing. */
function trySignedMerge(repo: GitFixture): boolean {
  const key = path.join(repo.dir, ".git", "key");
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], { stdio: "ignore" });
  } catch {
    return false;
  }
  const sign = ["-c", "gpg.format=ssh", "-c", `user.signingkey=${key}.pub`];
  repo.text(["checkout", "-q", "-b", "to-sign", "main~4"]);
  repo.text(["commit", "-q", "--allow-empty", "-m", "to sign"]);
  repo.text([...sign, "tag", "-s", "sv", "-m", "signed tag"]);
  repo.text(["checkout", "-q", "-b", "signed", "main"]);
  repo.text([...sign, "merge", "-q", "--no-ff", "-S", "sv", "-m", "merge signed"]);
  repo.text(["checkout", "-q", "main"]);
  return true;
}

describe("parseCommit errors", () => {
  const id = "a".repeat(40);
  const ident = "A <a@b> 1 +0000";
  const cases: [string, string, RegExp][] = [
    ["empty content", "", /tree/],
    ["no tree line", `parent ${id}\nauthor ${ident}\ncommitter ${ident}\n\nm`, /"tree <40 lowercase hex digits>"/],
    ["short tree id", `tree abc\nauthor ${ident}\ncommitter ${ident}\n\nm`, /"tree abc"/],
    ["uppercase tree id", `tree ${"A".repeat(40)}\nauthor ${ident}\ncommitter ${ident}\n\nm`, /tree/],
    ["bad parent id", `tree ${id}\nparent ${"g".repeat(40)}\nauthor ${ident}\ncommitter ${ident}\n\nm`, /parent/],
    ["missing author", `tree ${id}\ncommitter ${ident}\n\nm`, /no "author" header/],
    ["missing committer", `tree ${id}\nauthor ${ident}\n\nm`, /no "committer" header/],
    ["garbage ident", `tree ${id}\nauthor nobody\ncommitter ${ident}\n\nm`, /Cannot parse identity "nobody"/],
    ["leading continuation", ` tree ${id}\n\nm`, /continuation line/],
  ];
  for (const [what, text, pattern] of cases) {
    it(`rejects ${what}`, () => {
      assert.throws(() => parseCommit(bytes(text)), (e: unknown) => e instanceof ProtocolError && e.code === "ERR_OBJECT" && pattern.test(e.message));
    });
  }

  it("rejects malformed links in the fast path too", () => {
    for (const text of ["", `tree ${id}`, `tree ${id.toUpperCase()}\n`, `tree ${id}\nparent ${id.slice(1)}\n`, `tree  ${id}\n`]) {
      assert.throws(() => readCommitLinks(bytes(text)), ProtocolError, JSON.stringify(text));
    }
  });

  it("rejects what it cannot serialize", () => {
    const base: Commit = { tree: id, parents: [], author: { name: "A", email: "a", timestamp: 1, timezone: "+0000" }, committer: { name: "A", email: "a", timestamp: 1, timezone: "+0000" }, extraHeaders: [], message: "" };
    for (const bad of [{ tree: "x" }, { parents: [id, "y"] }, { extraHeaders: [["has space", "v"]] as [string, string][] }, { extraHeaders: [["", "v"]] as [string, string][] }]) {
      assert.throws(() => serializeCommit({ ...base, ...bad }), ProtocolError, JSON.stringify(bad));
    }
  });
});

describe("commit round trips (property)", () => {
  const oid = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString("hex"));
  const text = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !/[<>\n\0]/.test(s));
  const ident = fc.record({
    name: text.map((s) => s.replace(/[ \t\r]+$/, "")),
    email: text,
    timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
    timezone: fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 1400 })).map(([s, n]) => s + String(n).padStart(4, "0")),
  });
  const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/).filter((k) => !["tree", "parent", "author", "committer", "encoding", "gpgsig"].includes(k));
  const value = fc.array(fc.string({ unit: "grapheme", maxLength: 15 }).filter((s) => !s.includes("\n")), { maxLength: 4 }).map((lines) => lines.join("\n"));
  const commitArb = fc.record(
    {
      tree: oid,
      parents: fc.array(oid, { maxLength: 4 }),
      author: ident,
      committer: ident,
      encoding: fc.constantFrom("ISO-8859-1", "EUC-JP"),
      gpgsig: value.filter((v) => v.length > 0),
      extraHeaders: fc.array(fc.tuple(key, value), { maxLength: 3 }),
      message: fc.string({ unit: "grapheme", maxLength: 60 }),
    },
    { requiredKeys: ["tree", "parents", "author", "committer", "extraHeaders", "message"] },
  );
  const plain = (c: Commit): Commit => JSON.parse(JSON.stringify(c));

  it("parseCommit(serializeCommit(c)) equals c, and the fast path agrees", () => {
    fc.assert(
      fc.property(commitArb, (commit) => {
        const content = serializeCommit(commit);
        const parsed = parseCommit(content);
        assert.deepEqual(parsed, plain(commit));
        assert.deepEqual(serializeCommit(parsed), content);
        assert.deepEqual(readCommitLinks(content), { tree: commit.tree, parents: commit.parents, committerTime: commit.committer.timestamp });
      }),
      { numRuns: 400 },
    );
  });

  it("scanCommitLinks reports hex offsets that decode to the raw ids", () => {
    fc.assert(
      fc.property(commitArb, (commit) => {
        const content = serializeCommit(commit);
        const raw = new Uint8Array(20);
        const seen: string[] = [];
        scanCommitLinks(content, (offset) => {
          hexOidToBytesInto(content, offset, raw, 0);
          seen.push(Buffer.from(raw).toString("hex"));
        });
        assert.deepEqual(seen, [commit.tree, ...commit.parents]);
      }),
      { numRuns: 200 },
    );
  });
});
