/**
 * Content reads (src/api/content.ts) and their REST routes (src/http/rest-content-routes.ts) over a
 * memory store. Repositories are made with the real git CLI and pushed through the fetch handler's
 * git-receive-pack endpoint exactly as git would send them; results are compared with what git
 * itself reports (`rev-parse`, `log --first-parent`, `cat-file`, `ls-tree`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { Router, type IRequest } from "itty-router";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { createHandler, type Handler } from "../../../src/http/handler.ts";
import { addContentRoutes } from "../../../src/http/rest-content-routes.ts";
import type { AppContext } from "../../../src/http/app-context.ts";
import { RepoContent, isTextual, type CommitMetadata } from "../../../src/api/content.ts";
import type { RepoRecord } from "../../../src/api/records.ts";
import { ArtifactsError } from "../../../src/errors.ts";
import { encodePktLines } from "../../../src/git/pkt-line.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import { updateRefs } from "../../../src/repo/refs.ts";
import { forkRepo } from "../../../src/api/fork.ts";
import { makeRepo, type GitFixture } from "../objects/git-fixture.ts";
import { BINARY, GITLINK, LATIN1, bigBinary, buildContentRepo, buildLongRepo, type ContentRepo } from "./content-fixture.ts";

const API_TOKEN = "unit-test-api-token";
const NS = "content";
const LONG_COUNT = 1100;
const decoder = new TextDecoder();

let handler: Handler;
let router: ReturnType<typeof Router<IRequest, [AppContext]>>;
let app: AppContext;
let repo: ContentRepo;
let other: GitFixture;
let long: GitFixture;
let main: RepoRecord;
let otherRecord: RepoRecord;
let longRecord: RepoRecord;
let fork: RepoRecord;

function refsOf(fixture: GitFixture): [string, string][] {
  return fixture
    .text(["for-each-ref", "--format=%(objectname) %(refname)"])
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ") as [string, string]);
}

/** Creates `name` and pushes every ref of `fixture` through POST git-receive-pack. */
async function createAndPush(name: string, fixture: GitFixture): Promise<RepoRecord> {
  const { record, token } = await handler.reposit.createRepo(NS, name);
  const refs = refsOf(fixture);
  const commands = refs.map(([id, ref], i) => `${ZERO_ID} ${id} ${ref}${i === 0 ? "\0report-status" : ""}\n`);
  const pack = fixture.run(["pack-objects", "--all", "--stdout"], "");
  const head = encodePktLines([...commands, "flush"]);
  const body = new Uint8Array(head.length + pack.length);
  body.set(head);
  body.set(pack, head.length);
  const response = await handler.fetch(
    new Request(`http://localhost/git/${NS}/${name}.git/git-receive-pack`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa(`x:${token.plaintext}`)}`, "Content-Type": "application/x-git-receive-pack-request" },
      body: body as BodyInit,
    }),
  );
  const report = await response.text();
  assert.equal(response.status, 200);
  assert.match(report, /unpack ok/);
  for (const [, ref] of refs) assert.ok(report.includes(`ok ${ref}\n`), `ref ${ref} not accepted:\n${report}`);
  return record;
}

const otherRev = (rev: string) => other.text(["rev-parse", rev]);
const open = (record: RepoRecord) => RepoContent.open(handler.reposit, record);

/** The commit as git reports it, in the Artifacts shape. */
function expectedCommit(fixture: GitFixture, hash: string): CommitMetadata {
  const raw = decoder.decode(fixture.cat("commit", hash));
  const split = raw.indexOf("\n\n");
  const headers = raw.slice(0, split).split("\n");
  const ident = (key: string) => {
    const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(headers.find((h) => h.startsWith(`${key} `))!.slice(key.length + 1))!;
    return { name: m[1]!, email: m[2]!, time: Number(m[3]) };
  };
  const author = ident("author");
  const committer = ident("committer");
  const message = raw.slice(split + 2);
  return {
    hash,
    treeHash: headers[0]!.slice(5),
    message: message.endsWith("\n") ? message.slice(0, -1) : message,
    author: { name: author.name, email: author.email },
    committer: { name: committer.name, email: committer.email },
    parents: headers.filter((h) => h.startsWith("parent ")).map((h) => h.slice(7)),
    authoredAt: author.time,
    committedAt: committer.time,
  };
}

function firstParentLog(fixture: GitFixture, rev: string, extra: string[] = []): string[] {
  return fixture.text(["log", "--first-parent", "--format=%H", ...extra, rev]).split("\n").filter(Boolean);
}

async function assertInvalid(promise: Promise<unknown>, pointer: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ArtifactsError, String(error));
    assert.equal(error.code, "INVALID_INPUT");
    assert.equal(error.numericCode, 10100);
    assert.deepEqual(error.source, { pointer });
    return true;
  });
}

before(async () => {
  handler = createHandler({ store: createMemoryStore(), signingKey: new Uint8Array(32).fill(7), apiToken: API_TOKEN, log: () => {} });
  app = { reposit: handler.reposit, apiToken: API_TOKEN, publicUrl: null, basePath: "", accountId: null, log: () => {} };
  router = Router<IRequest, [AppContext]>();
  addContentRoutes(router);
  repo = buildContentRepo();
  other = makeRepo();
  fs.writeFileSync(path.join(other.dir, "other-only.txt"), "only in the other repository\n");
  other.run(["add", "-A"]);
  other.run(["commit", "-q", "-m", "other"]);
  long = buildLongRepo(LONG_COUNT);
  main = await createAndPush("main-repo", repo);
  otherRecord = await createAndPush("other-repo", other);
  longRecord = await createAndPush("long-repo", long);
  // A hand-made fork network: "fork" shares main-repo's pool but its only ref is the root commit A.
  ({ record: fork } = await handler.reposit.createRepo(NS, "fork", {}, { poolId: main.poolId, sharedPool: true }));
  const [result] = await updateRefs(handler.reposit.store, fork.id, [{ name: "refs/heads/main", oldId: ZERO_ID, newId: repo.A }], { atomic: true });
  assert.equal(result!.ok, true);
});

after(() => {
  repo?.remove();
  other?.remove();
  long?.remove();
});

describe("ref resolution (log with limit 1)", () => {
  const cases: [string, (r: ContentRepo) => string][] = [
    ["HEAD", (r) => r.M],
    ["main", (r) => r.M],
    ["refs/heads/main", (r) => r.M],
    ["heads/main", (r) => r.M],
    ["feature/x", (r) => r.C],
    ["refs/heads/feature/x", (r) => r.C],
    ["v1", (r) => r.B],
    ["refs/tags/v1", (r) => r.B],
    ["light", (r) => r.A],
    ["release/2.0", (r) => r.M],
    ["refs/tags/release/2.0", (r) => r.M],
    ["refs/notes/commits", (r) => r.rev("refs/notes/commits")],
    ["dup", (r) => r.A], // git's order: refs/tags/dup before refs/heads/dup
    ["refs/heads/dup", (r) => r.C],
  ];
  for (const [ref, expected] of cases) {
    it(`resolves ${ref}`, async () => {
      const [commit] = await (await open(main)).log({ ref, limit: 1 });
      assert.equal(commit?.hash, expected(repo));
      assert.equal(commit?.hash, repo.rev(`${ref}^{commit}`));
    });
  }

  it("defaults to HEAD when ref is absent or empty", async () => {
    const content = await open(main);
    assert.equal((await content.log())[0]?.hash, repo.M);
    assert.equal((await content.log({ ref: "" }))[0]?.hash, repo.M);
  });

  it("resolves a full commit id and an annotated tag's id", async () => {
    const content = await open(main);
    assert.equal((await content.log({ ref: repo.B, limit: 1 }))[0]?.hash, repo.B);
    const tagObject = repo.rev("refs/tags/v1");
    assert.notEqual(tagObject, repo.B);
    assert.equal((await content.log({ ref: tagObject, limit: 1 }))[0]?.hash, repo.B);
  });

  it("returns [] for unknown refs, non-commit refs and ids it cannot see", async () => {
    const content = await open(main);
    for (const ref of ["nope", "refs/heads/nope", "treetag", ZERO_ID, repo.A.toUpperCase(), repo.A.slice(0, 12), otherRev("main")]) {
      assert.deepEqual(await content.log({ ref }), [], ref);
    }
  });

  it("names refs the way git does", async () => {
    const content = await open(main);
    assert.equal(content.refName("HEAD"), "refs/heads/main");
    assert.equal(content.refName("v1"), "refs/tags/v1");
    assert.equal(content.refName("dup"), "refs/tags/dup");
    assert.equal(content.refName("commits"), null);
    assert.equal(content.refName("notes/commits"), "refs/notes/commits");
  });
});

describe("log", () => {
  it("follows the first-parent chain newest first, as git log --first-parent", async () => {
    const commits = await (await open(main)).log();
    assert.deepEqual(commits.map((c) => c.hash), firstParentLog(repo, "main"));
    assert.deepEqual(commits.map((c) => c.hash), [repo.M, repo.B, repo.A]);
    assert.ok(!commits.some((c) => c.hash === repo.C), "the merged branch's commit is not on the first-parent chain");
    assert.deepEqual(commits[0]!.parents, [repo.B, repo.C]);
  });

  it("returns each commit's metadata exactly as git stores it", async () => {
    const commits = await (await open(main)).log();
    for (const commit of commits) assert.deepEqual(commit, expectedCommit(repo, commit.hash));
    const b = commits[1]!;
    assert.equal(b.message, "second\n\nbody line");
    assert.equal(b.author.name, "A U Thor");
    assert.equal(b.committer.email, "committer@example.com");
    assert.equal(b.committedAt - b.authoredAt, 5);
    assert.deepEqual(commits[2]!.parents, []);
  });

  it("pages with limit and offset", async () => {
    const content = await open(main);
    assert.deepEqual((await content.log({ limit: 2 })).map((c) => c.hash), [repo.M, repo.B]);
    assert.deepEqual((await content.log({ limit: 1, offset: 1 })).map((c) => c.hash), [repo.B]);
    assert.deepEqual((await content.log({ offset: 2 })).map((c) => c.hash), [repo.A]);
    assert.deepEqual(await content.log({ offset: 3 }), []);
    assert.deepEqual(await content.log({ offset: 1e12 }), []);
  });

  it("returns 50 by default and clamps large limits to 1000 on a long history", async () => {
    const content = await open(longRecord);
    const all = firstParentLog(long, "main");
    assert.equal(all.length, LONG_COUNT);
    assert.deepEqual((await content.log()).map((c) => c.hash), all.slice(0, 50));
    const clamped = await content.log({ limit: 5000 });
    assert.equal(clamped.length, 1000);
    assert.deepEqual(clamped.map((c) => c.hash), all.slice(0, 1000));
    const tail = await content.log({ offset: 1050, limit: 100 });
    assert.deepEqual(tail.map((c) => c.hash), firstParentLog(long, "main", ["--skip=1050"]));
    assert.equal(tail.length, 50);
    assert.equal(tail.at(-1)!.message, "c1");
  });

  it("rejects a bad limit or offset with its pointer", async () => {
    const content = await open(main);
    for (const limit of [0, -1, 1.5, Number.NaN, "5" as unknown as number]) await assertInvalid(content.log({ limit }), "/limit");
    for (const offset of [-1, 0.5, Number.POSITIVE_INFINITY]) await assertInvalid(content.log({ offset }), "/offset");
  });
});

describe("readCommit, readTree, readBlob", () => {
  it("reads a commit by hash", async () => {
    const content = await open(main);
    for (const hash of [repo.A, repo.B, repo.C, repo.M]) assert.deepEqual(await content.readCommit(hash), expectedCommit(repo, hash));
  });

  it("reads a tree's immediate entries with stored modes and Artifacts types", async () => {
    const content = await open(main);
    const treeHash = repo.rev("main^{tree}");
    const entries = await content.readTree(treeHash);
    const kinds: Record<string, string> = { "100644": "blob", "100755": "exec", "120000": "symlink", "160000": "gitlink", "40000": "tree" };
    const expected = repo
      .text(["ls-tree", treeHash])
      .split("\n")
      .map((line) => {
        const [meta, name] = line.split("\t") as [string, string];
        const [mode, , hash] = meta.split(" ") as [string, string, string];
        const stored = mode.replace(/^0/, ""); // ls-tree pads "40000" to "040000"
        return { name, mode: stored, hash, type: kinds[stored]! };
      });
    assert.deepEqual(entries, expected);
    const byName = new Map(entries!.map((e) => [e.name, e]));
    assert.equal(byName.get("src")?.type, "tree");
    assert.equal(byName.get("src")?.mode, "40000");
    assert.equal(byName.get("run.sh")?.type, "exec");
    assert.equal(byName.get("link")?.type, "symlink");
    assert.deepEqual(byName.get("sub"), { name: "sub", mode: "160000", hash: GITLINK, type: "gitlink" });
    assert.equal(byName.get("lib"), undefined, "only immediate children");
  });

  it("reads blob bytes identical to git cat-file", async () => {
    const content = await open(main);
    for (const file of ["README.md", "bin.dat", "big.bin", "latin1.txt", "empty.txt", "link"]) {
      const hash = repo.rev(`main:${file}`);
      assert.deepEqual(await content.readBlob(hash), repo.cat("blob", hash), file);
    }
  });

  it("returns null for the wrong object type", async () => {
    const content = await open(main);
    const tree = repo.rev("main^{tree}");
    const blob = repo.rev("main:README.md");
    assert.equal(await content.readTree(repo.M), null);
    assert.equal(await content.readTree(blob), null);
    assert.equal(await content.readBlob(tree), null);
    assert.equal(await content.readBlob(repo.M), null);
    assert.equal(await content.readCommit(tree), null);
    assert.equal(await content.readCommit(repo.rev("refs/tags/v1")), null, "a tag object is not a commit");
  });

  it("returns null for absent objects", async () => {
    const content = await open(main);
    assert.equal(await content.readCommit(ZERO_ID), null);
    assert.equal(await content.readTree("f".repeat(40)), null);
    assert.equal(await content.readBlob(GITLINK), null);
  });

  it("rejects malformed hashes with pointer /hash", async () => {
    const content = await open(main);
    for (const hash of ["", "xyz", repo.M.toUpperCase(), repo.M.slice(0, 39), `${repo.M}0`, ` ${repo.M.slice(1)}`]) {
      await assertInvalid(content.readCommit(hash), "/hash");
      await assertInvalid(content.readTree(hash), "/hash");
      await assertInvalid(content.readBlob(hash), "/hash");
    }
    await assert.rejects(content.readCommit("xyz"), /^ArtifactsError: Invalid hash: expected a 40-character SHA-1 hex hash\.$/);
  });
});

describe("isolation between repositories", () => {
  it("never reads another repository's objects by hash (separate pools)", async () => {
    assert.notEqual(main.poolId, otherRecord.poolId);
    const mine = await open(main);
    const theirs = await open(otherRecord);
    const onlyTheirs = otherRev("main:other-only.txt");
    assert.notEqual((await theirs.readBlob(onlyTheirs)), null);
    assert.equal(await mine.readBlob(onlyTheirs), null);
    assert.notEqual(await theirs.readCommit(otherRev("main")), null);
    assert.equal(await mine.readCommit(otherRev("main")), null);
    assert.equal(await mine.readTree(otherRev("main^{tree}")), null);
    assert.deepEqual(await mine.log({ ref: otherRev("main") }), []);
  });

  it("serves a fork only what its own refs reach, although the pool holds more", async () => {
    assert.equal(fork.poolId, main.poolId);
    const content = await open(fork);
    assert.deepEqual((await content.log()).map((c) => c.hash), [repo.A]);
    assert.deepEqual(await content.readCommit(repo.A), expectedCommit(repo, repo.A));
    assert.notEqual(await content.readBlob(repo.rev(`${repo.A}:README.md`)), null);
    // B, C, M, their new blob and the tags are in the shared pool but not reachable from the fork.
    assert.equal(await content.readCommit(repo.B), null);
    assert.equal(await content.readCommit(repo.M), null);
    assert.equal(await content.readBlob(repo.rev(`${repo.B}:README.md`)), null);
    assert.equal(await content.readBlob(repo.rev(`${repo.C}:feature.txt`)), null);
    assert.equal(await content.readTree(repo.rev(`${repo.M}^{tree}`)), null);
    assert.deepEqual(await content.log({ ref: repo.M }), []);
    assert.deepEqual(await content.log({ ref: "v1" }), []);
    assert.equal(await content.readFile(repo.B, "README.md"), null);
    assert.equal(await content.readFile(repo.rev(`${repo.B}^{tree}`), "README.md"), null);
    assert.equal(await content.readRawFile(`${repo.B}/README.md`), null);
  });

  it("serves a real fork (default branch only) nothing of the parent's other refs", async () => {
    const { record } = await forkRepo(handler.reposit, NS, "main-repo", { name: "real-fork", defaultBranchOnly: true });
    assert.equal(record.poolId, main.poolId);
    const content = await open(record);
    assert.deepEqual((await content.log()).map((c) => c.hash), [repo.M, repo.B, repo.A]);
    assert.notEqual(await content.readCommit(repo.C), null, "merged into main, so reachable");
    const notes = repo.rev("refs/notes/commits");
    const noteBlob = repo.rev(`${notes}:${repo.A}`);
    assert.equal(decoder.decode((await (await open(main)).readBlob(noteBlob))!), "a note\n");
    assert.equal(await content.readCommit(notes), null);
    assert.equal(await content.readBlob(noteBlob), null);
    assert.deepEqual(await content.log({ ref: "refs/notes/commits" }), []);
    assert.deepEqual(await content.log({ ref: notes }), []);
    assert.deepEqual(await content.log({ ref: "v1" }), []);
    assert.equal(await content.readFile(notes, repo.A), null);
  });
});

describe("readFile", () => {
  it("reads files through nested trees from every kind of ref", async () => {
    const content = await open(main);
    const cases: [string, string, string][] = [
      ["main", "README.md", "hello again\n"],
      ["HEAD", "src/lib/util.ts", "export const x = 1;\n"],
      ["v1", "README.md", "hello again\n"],
      ["light", "README.md", "hello\n"],
      ["refs/tags/light", "README.md", "hello\n"],
      ["feature/x", "feature.txt", "feature\n"],
      [repo.A, "README.md", "hello\n"],
      ["treetag", "README.md", "hello again\n"],
      [repo.rev(`${repo.A}^{tree}`), "README.md", "hello\n"],
      ["main", "/src//lib/util.ts", "export const x = 1;\n"],
      ["main", "docs/with space.txt", "spaced\n"],
    ];
    for (const [ref, path, text] of cases) {
      const file = await content.readFile(ref, path);
      assert.equal(file && decoder.decode(file.bytes), text, `${ref}:${path}`);
      assert.equal(file?.textual, true);
    }
  });

  it("returns a symlink's target and classifies text and binary", async () => {
    const content = await open(main);
    const link = await content.readFile("main", "link");
    assert.equal(decoder.decode(link!.bytes), "README.md");
    assert.deepEqual((await content.readFile("main", "bin.dat"))!, { bytes: BINARY, textual: false });
    assert.deepEqual((await content.readFile("main", "latin1.txt"))!, { bytes: LATIN1, textual: false });
    assert.deepEqual((await content.readFile("main", "big.bin"))!, { bytes: bigBinary(), textual: false });
    assert.equal((await content.readFile("main", "utf8.txt"))!.textual, true);
    assert.deepEqual((await content.readFile("main", "empty.txt"))!, { bytes: new Uint8Array(0), textual: true });
    assert.equal((await content.readFile("main", "run.sh"))!.textual, true);
  });

  it("returns null for directories, missing paths, submodules, paths through files and unknown refs", async () => {
    const content = await open(main);
    for (const [ref, path] of [
      ["main", "src"],
      ["main", "src/"],
      ["main", "/"],
      ["main", "src/lib"],
      ["main", "missing"],
      ["main", "src/missing.ts"],
      ["main", "README.md/x"],
      ["main", "link/x"],
      ["main", "sub"],
      ["main", "sub/file"],
      ["main", "feature.txt/"],
      ["light", "feature.txt"],
      ["nope", "README.md"],
      [ZERO_ID, "README.md"],
      [repo.rev("main:README.md"), "README.md"],
    ] as const) {
      assert.equal(await content.readFile(ref, path), null, `${ref}:${path}`);
    }
  });

  it("rejects an empty ref or path", async () => {
    const content = await open(main);
    await assertInvalid(content.readFile("", "README.md"), "/ref");
    await assertInvalid(content.readFile("main", ""), "/path");
  });
});

describe("readRawFile", () => {
  const text = async (content: RepoContent, refAndPath: string) => {
    const file = await content.readRawFile(refAndPath);
    return file === null ? null : new TextDecoder().decode(file.bytes);
  };
  it("lets the longest ref prefix whose tree holds the path win", async () => {
    const content = await open(main);
    assert.equal(await text(content, "main/src/lib/util.ts"), "export const x = 1;\n", "tag main/src (commit A) has no lib/util.ts, so main's src/ is read");
    assert.equal(await text(content, "main/src/src/lib/util.ts"), "export const x = 1;\n", "tag main/src has src/lib/util.ts");
    assert.equal(await text(content, "feature/x/feature.txt"), "feature\n");
    assert.equal(await text(content, "release/2.0/README.md"), "hello again\n");
    assert.equal(await text(content, "refs/heads/feature/x/feature.txt"), "feature\n");
    assert.equal(await text(content, `${repo.A}/README.md`), "hello\n");
    assert.equal(await text(content, "HEAD/README.md"), "hello again\n");
    assert.equal(await text(content, "v1/README.md"), "hello again\n");
    for (const missing of ["nope/README.md", "main", "main/", "main/src", "feature/README.md", "feature/x/nope.txt"]) {
      assert.equal(await content.readRawFile(missing), null, missing);
    }
  });
});

describe("isTextual", () => {
  const utf8 = new TextEncoder();
  it("accepts any UTF-8 text without NUL", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => isTextual(utf8.encode(s.replaceAll("\0", ""))) === true));
  });

  it("agrees with a strict UTF-8 decoder on short byte strings", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    const interesting = [0x00, 0x0a, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...interesting), { maxLength: 12 }), (values) => {
        const bytes = new Uint8Array(values);
        let valid = !bytes.includes(0);
        try {
          strict.decode(bytes);
        } catch {
          valid = false;
        }
        return isTextual(bytes) === valid;
      }),
      { numRuns: 5000 },
    );
  });

  it("looks at the first 8000 bytes only, but checks a sequence crossing that mark in full", () => {
    const ascii = (n: number) => new Uint8Array(n).fill(0x61);
    const withTail = (head: Uint8Array, tail: number[]) => {
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    };
    assert.equal(isTextual(withTail(ascii(8000), [0x00])), true);
    assert.equal(isTextual(withTail(ascii(7999), [0x00])), false);
    assert.equal(isTextual(withTail(ascii(7999), [0xc3, 0xa9])), true);
    assert.equal(isTextual(withTail(ascii(7999), [0xc3, 0x41])), false);
    assert.equal(isTextual(withTail(ascii(7999), [0xc3])), false, "cut by the end of the data");
    assert.equal(isTextual(new Uint8Array([0xed, 0xa0, 0x80])), false, "a UTF-16 surrogate");
    assert.equal(isTextual(new Uint8Array([0xc0, 0x80])), false, "an overlong NUL");
    assert.equal(isTextual(new Uint8Array([0xf4, 0x90, 0x80, 0x80])), false, "above U+10FFFF");
  });
});

describe("REST routes C1–C6", () => {
  const base = `http://localhost/client/v4/accounts/acct/artifacts/namespaces/${NS}/repos`;
  const call = async (path: string, token = API_TOKEN) => {
    const response = (await router.fetch(new Request(`${base}/${path}`, { headers: { Authorization: `Bearer ${token}` } }) as IRequest, app)) as Response | undefined;
    assert.ok(response instanceof Response, `no route for ${path}`);
    return response;
  };
  const json = async (path: string) => {
    const response = await call(path);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    return { status: response.status, body: (await response.json()) as { success: boolean; result: any; errors: { code: number; message: string; source?: { pointer: string } }[] } };
  };
  const bytes = async (path: string) => {
    const response = await call(path);
    const body = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, type: response.headers.get("content-type"), length: response.headers.get("content-length"), body };
  };
  const assertError = async (path: string, status: number, code: number, message: RegExp | string, pointer?: string) => {
    const { status: got, body } = await json(path);
    assert.equal(got, status, path);
    assert.equal(body.success, false);
    assert.equal(body.errors[0]!.code, code);
    if (typeof message === "string") assert.equal(body.errors[0]!.message, message);
    else assert.match(body.errors[0]!.message, message);
    assert.deepEqual(body.errors[0]!.source, pointer === undefined ? undefined : { pointer });
  };

  it("C1 log: envelope of commit metadata, ref/limit/offset from the query", async () => {
    const { status, body } = await json("main-repo/log");
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.deepEqual(body.result, [repo.M, repo.B, repo.A].map((h) => expectedCommit(repo, h)));
    assert.deepEqual((await json("main-repo/log?ref=refs%2Fheads%2Ffeature%2Fx&limit=1")).body.result.map((c: CommitMetadata) => c.hash), [repo.C]);
    assert.deepEqual((await json("main-repo/log?ref=HEAD&limit=1&offset=1")).body.result.map((c: CommitMetadata) => c.hash), [repo.B]);
    assert.deepEqual((await json("main-repo/log?ref=nope")).body.result, []);
    assert.equal((await json("long-repo/log?limit=5000")).body.result.length, 1000);
    await assertError("main-repo/log?limit=0", 400, 10100, /limit/, "/limit");
    await assertError("main-repo/log?limit=abc", 400, 10100, 'Invalid limit "abc": expected an integer', "/limit");
    await assertError("main-repo/log?offset=-1", 400, 10100, /offset/, "/offset");
    await assertError("missing-repo/log", 404, 10200, "Repository not found");
  });

  it("C2 commit/:hash", async () => {
    const { status, body } = await json(`main-repo/commit/${repo.M}`);
    assert.equal(status, 200);
    assert.deepEqual(body.result, expectedCommit(repo, repo.M));
    await assertError(`main-repo/commit/${ZERO_ID}`, 404, 10200, "Commit not found");
    await assertError(`main-repo/commit/${repo.rev("main^{tree}")}`, 404, 10200, "Commit not found");
    await assertError("main-repo/commit/xyz", 400, 10100, "Invalid SHA-1 hash", "/hash");
    await assertError(`main-repo/commit/${otherRev("main")}`, 404, 10200, "Commit not found");
  });

  it("C3 tree/:hash: a non-tree is 404, not 500", async () => {
    const { status, body } = await json(`main-repo/tree/${repo.rev("main:src")}`);
    assert.equal(status, 200);
    assert.deepEqual(body.result, [{ name: "lib", mode: "40000", hash: repo.rev("main:src/lib"), type: "tree" }]);
    await assertError(`main-repo/tree/${repo.M}`, 404, 10200, "Tree not found");
    await assertError(`main-repo/tree/${repo.rev("main:README.md")}`, 404, 10200, "Tree not found");
    await assertError(`main-repo/tree/${repo.M.toUpperCase()}`, 400, 10100, "Invalid SHA-1 hash", "/hash");
  });

  it("C4 blob/:hash: raw bytes as application/octet-stream with Content-Length", async () => {
    const hash = repo.rev("main:big.bin");
    const got = await bytes(`main-repo/blob/${hash}`);
    assert.equal(got.status, 200);
    assert.equal(got.type, "application/octet-stream");
    assert.equal(got.length, "200000");
    assert.deepEqual(got.body, bigBinary());
    const readme = await bytes(`main-repo/blob/${repo.rev("main:README.md")}`);
    assert.equal(readme.type, "application/octet-stream");
    assert.equal(decoder.decode(readme.body), "hello again\n");
    await assertError(`main-repo/blob/${repo.M}`, 404, 10200, "Blob not found");
    await assertError(`fork/blob/${repo.rev("main:README.md")}`, 404, 10200, "Blob not found");
  });

  it("C5 file?ref=&path=", async () => {
    const got = await bytes("main-repo/file?ref=v1&path=README.md");
    assert.equal(got.status, 200);
    assert.equal(got.type, "application/octet-stream");
    assert.equal(got.length, "12");
    assert.equal(decoder.decode(got.body), "hello again\n");
    assert.equal(decoder.decode((await bytes("main-repo/file?path=src/lib/util.ts")).body), "export const x = 1;\n");
    assert.equal(decoder.decode((await bytes("main-repo/file?path=docs%2Fwith%20space.txt&ref=HEAD")).body), "spaced\n");
    await assertError("main-repo/file?ref=main", 400, 10100, /path/, "/path");
    await assertError("main-repo/file?ref=main&path=", 400, 10100, /path/, "/path");
    await assertError("main-repo/file?ref=&path=README.md", 400, 10100, /ref/, "/ref");
    await assertError("main-repo/file?ref=main&path=src", 404, 10200, "File not found");
    await assertError("main-repo/file?ref=main&path=nope", 404, 10200, "File not found");
    await assertError("main-repo/file?ref=nope&path=README.md", 404, 10200, "File not found");
  });

  it("C6 raw/:ref/:path+: refs with '/', sniffed content type", async () => {
    const text = await bytes("main-repo/raw/main/README.md");
    assert.equal(text.status, 200);
    assert.equal(text.type, "text/plain; charset=utf-8");
    assert.equal(decoder.decode(text.body), "hello again\n");
    const slashed = await bytes("main-repo/raw/feature/x/feature.txt");
    assert.equal(slashed.status, 200);
    assert.equal(decoder.decode(slashed.body), "feature\n");
    assert.equal(decoder.decode((await bytes("main-repo/raw/release/2.0/src/lib/util.ts")).body), "export const x = 1;\n");
    assert.equal(decoder.decode((await bytes("main-repo/raw/refs/tags/light/README.md")).body), "hello\n");
    assert.equal(decoder.decode((await bytes(`main-repo/raw/${repo.A}/README.md`)).body), "hello\n");
    assert.equal(decoder.decode((await bytes("main-repo/raw/main/docs/with%20space.txt")).body), "spaced\n");
    const binary = await bytes("main-repo/raw/main/bin.dat");
    assert.equal(binary.type, "application/octet-stream");
    assert.deepEqual(binary.body, BINARY);
    assert.equal((await bytes("main-repo/raw/main/latin1.txt")).type, "application/octet-stream");
    assert.equal((await bytes("main-repo/raw/main/utf8.txt")).type, "text/plain; charset=utf-8");
    assert.equal((await bytes("main-repo/raw/main/empty.txt")).length, "0");
    assert.equal(decoder.decode((await bytes("main-repo/raw/main/link")).body), "README.md");
    await assertError("main-repo/raw/main/src", 404, 10200, "File not found");
    await assertError("main-repo/raw/nope/README.md", 404, 10200, "File not found");
    await assertError("main-repo/raw/feature/feature.txt", 404, 10200, "File not found");
    await assertError(`fork/raw/${repo.B}/README.md`, 404, 10200, "File not found");
  });

  it("requires the control-plane token", async () => {
    const response = await call("main-repo/log", "wrong");
    assert.equal(response.status, 401);
  });
});
