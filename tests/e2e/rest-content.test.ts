/**
 * REST content reads C1–C6 (log, commit, tree, blob, file, raw) against a live server after a real
 * `git push` of every ref: statuses, content types, Content-Length and bodies, compared with what
 * git itself says (`log --first-parent`, `cat-file`, `ls-tree`). Also the live-service bugs we fix
 * (spec/artifacts-api.md §9 items 7–9): `HEAD` and full ref names in `log`, refs containing "/" in
 * `raw`, and 404 "Tree not found" for `tree/<commit hash>`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { git, withToken } from "../helpers/git.ts";
import { BINARY, GITLINK, bigBinary, buildContentRepo, type ContentRepo } from "../unit/api/content-fixture.ts";

const NS = "content-e2e";
const decoder = new TextDecoder();

let server: TestServer;
let rest: Rest;
let repo: ContentRepo;

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
  repo = buildContentRepo();
  const created = await rest.createRepo(NS, "content");
  git(["push", "-q", withToken(created.remote, created.token), "refs/*:refs/*"], { cwd: repo.dir });
  await rest.createRepo(NS, "empty");
});

after(async () => {
  await server?.stop();
  server?.cleanup();
  repo?.remove();
});

const path = (p: string) => `/namespaces/${NS}/repos/content/${p}`;

/** A byte route: status, headers and body as bytes (JSON envelope parsed when that is what came back). */
async function raw(p: string): Promise<{ status: number; type: string | null; length: string | null; body: Uint8Array; nosniff: string | null }> {
  const response = await fetch(rest.base + path(p), { headers: { Authorization: `Bearer ${rest.apiToken}` } });
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, type: response.headers.get("content-type"), length: response.headers.get("content-length"), body, nosniff: response.headers.get("x-content-type-options") };
}

async function expectError(p: string, status: number, code: number, message: string | RegExp, pointer?: string): Promise<void> {
  const { status: got, body, response } = await rest.call("GET", path(p));
  assert.equal(got, status, `${p}: ${JSON.stringify(body)}`);
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(body.success, false);
  assert.equal(body.result, null);
  assert.equal(body.errors[0]!.code, code);
  if (typeof message === "string") assert.equal(body.errors[0]!.message, message);
  else assert.match(body.errors[0]!.message, message);
  assert.equal(body.errors[0]!.documentation_url, `https://developers.cloudflare.com/artifacts/api/errors#${code}`);
  assert.deepEqual(body.errors[0]!.source, pointer === undefined ? undefined : { pointer });
}

/** What git says about a commit, in the Artifacts shape. */
function gitCommit(hash: string) {
  const [tree, parents, an, ae, at, cn, ce, ct] = repo.text(["show", "-s", "--format=%T%n%P%n%an%n%ae%n%at%n%cn%n%ce%n%ct", hash]).split("\n") as string[];
  const body = decoder.decode(repo.cat("commit", hash));
  const message = body.slice(body.indexOf("\n\n") + 2);
  return {
    hash,
    treeHash: tree,
    message: message.endsWith("\n") ? message.slice(0, -1) : message,
    author: { name: an, email: ae },
    committer: { name: cn, email: ce },
    parents: parents === "" ? [] : parents!.split(" "),
    authoredAt: Number(at),
    committedAt: Number(ct),
  };
}

describe("C1 log", () => {
  it("matches git log --first-parent for the default branch", async () => {
    const { status, body } = await rest.call("GET", path("log"));
    assert.equal(status, 200);
    assert.equal(body.success, true);
    const expected = repo.text(["log", "--first-parent", "--format=%H", "main"]).split("\n");
    assert.deepEqual(body.result.map((c: { hash: string }) => c.hash), expected);
    assert.deepEqual(body.result, expected.map(gitCommit));
    assert.equal(body.result_info, undefined);
  });

  it("accepts HEAD, full ref names, short names, tags and ids", async () => {
    for (const ref of ["HEAD", "refs/heads/main", "main", "feature/x", "refs/heads/feature/x", "v1", "refs/tags/v1", "release/2.0", "refs/notes/commits", repo.B]) {
      const { status, body } = await rest.call("GET", path(`log?ref=${encodeURIComponent(ref)}&limit=1`));
      assert.equal(status, 200, ref);
      assert.deepEqual(body.result.map((c: { hash: string }) => c.hash), [repo.rev(`${ref}^{commit}`)], ref);
    }
  });

  it("pages, clamps and validates", async () => {
    assert.deepEqual((await rest.call("GET", path("log?limit=2&offset=1"))).body.result.map((c: { hash: string }) => c.hash), [repo.B, repo.A]);
    assert.equal((await rest.call("GET", path("log?limit=5000"))).status, 200);
    assert.deepEqual((await rest.call("GET", path("log?ref=no-such-ref"))).body.result, []);
    await expectError("log?limit=0", 400, 10100, /limit/, "/limit");
    await expectError("log?offset=x", 400, 10100, /offset/, "/offset");
  });

  it("returns [] for an empty repository and 404 for a missing one", async () => {
    const { status, body } = await rest.call("GET", `/namespaces/${NS}/repos/empty/log`);
    assert.equal(status, 200);
    assert.deepEqual(body.result, []);
    const missing = await rest.call("GET", `/namespaces/${NS}/repos/nope/log`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0]!.message, "Repository not found");
  });
});

describe("C2 commit and C3 tree", () => {
  it("reads a merge commit", async () => {
    const { status, body } = await rest.call("GET", path(`commit/${repo.M}`));
    assert.equal(status, 200);
    assert.deepEqual(body.result, gitCommit(repo.M));
    assert.deepEqual(body.result.parents, [repo.B, repo.C]);
  });

  it("reads the root tree like git ls-tree", async () => {
    const tree = repo.rev("main^{tree}");
    const { status, body } = await rest.call("GET", path(`tree/${tree}`));
    assert.equal(status, 200);
    const kinds: Record<string, string> = { "100644": "blob", "100755": "exec", "120000": "symlink", "160000": "gitlink", "40000": "tree" };
    const expected = repo.text(["ls-tree", tree]).split("\n").map((line) => {
      const [meta, name] = line.split("\t") as [string, string];
      const [mode, , hash] = meta.split(" ") as [string, string, string];
      const stored = mode.replace(/^0/, "");
      return { name, mode: stored, hash, type: kinds[stored] };
    });
    assert.deepEqual(body.result, expected);
    assert.ok(body.result.some((e: { name: string; hash: string }) => e.name === "sub" && e.hash === GITLINK));
  });

  it("answers 404 for missing or mistyped objects and 400 for a bad hash", async () => {
    await expectError(`commit/${"0".repeat(40)}`, 404, 10200, "Commit not found");
    await expectError(`commit/${repo.rev("main^{tree}")}`, 404, 10200, "Commit not found");
    await expectError("commit/abc", 400, 10100, "Invalid SHA-1 hash", "/hash");
    await expectError(`tree/${repo.M}`, 404, 10200, "Tree not found");
    await expectError(`tree/${repo.M.toUpperCase()}`, 400, 10100, "Invalid SHA-1 hash", "/hash");
  });
});

describe("C4 blob, C5 file, C6 raw", () => {
  it("C4 returns a blob's exact bytes", async () => {
    const hash = repo.rev("main:big.bin");
    const got = await raw(`blob/${hash}`);
    assert.equal(got.status, 200);
    assert.equal(got.type, "application/octet-stream");
    assert.equal(got.length, "200000");
    assert.equal(got.nosniff, "nosniff");
    assert.deepEqual(got.body, repo.cat("blob", hash));
    assert.deepEqual(got.body, bigBinary());
    await expectError(`blob/${repo.rev("main:src")}`, 404, 10200, "Blob not found");
  });

  it("C5 reads a file by ref and path", async () => {
    const got = await raw("file?ref=v1&path=README.md");
    assert.equal(got.status, 200);
    assert.equal(got.type, "application/octet-stream");
    assert.equal(decoder.decode(got.body), decoder.decode(repo.run(["show", "v1:README.md"])));
    assert.equal(decoder.decode((await raw("file?path=src/lib/util.ts")).body), "export const x = 1;\n");
    assert.deepEqual((await raw("file?ref=main&path=bin.dat")).body, BINARY);
    await expectError("file?ref=main", 400, 10100, /path/, "/path");
    await expectError("file?ref=main&path=src", 404, 10200, "File not found");
    await expectError("file?ref=main&path=missing.txt", 404, 10200, "File not found");
  });

  it("C6 serves text as text/plain and resolves refs containing '/'", async () => {
    const text = await raw("raw/main/README.md");
    assert.equal(text.status, 200);
    assert.equal(text.type, "text/plain; charset=utf-8");
    assert.equal(decoder.decode(text.body), "hello again\n");
    const feature = await raw("raw/feature/x/feature.txt");
    assert.equal(feature.status, 200);
    assert.equal(decoder.decode(feature.body), "feature\n");
    const tagged = await raw("raw/release/2.0/src/lib/util.ts");
    assert.equal(tagged.status, 200);
    assert.equal(decoder.decode(tagged.body), "export const x = 1;\n");
    assert.equal(decoder.decode((await raw("raw/main/docs/with%20space.txt")).body), "spaced\n");
    const binary = await raw("raw/main/big.bin");
    assert.equal(binary.type, "application/octet-stream");
    assert.equal(binary.length, "200000");
    assert.deepEqual(binary.body, bigBinary());
    assert.equal((await raw("raw/main/latin1.txt")).type, "application/octet-stream");
    assert.equal((await raw("raw/main/utf8.txt")).type, "text/plain; charset=utf-8");
    assert.equal(decoder.decode((await raw("raw/main/link")).body), "README.md");
    await expectError("raw/main/src", 404, 10200, "File not found");
    await expectError("raw/nope/README.md", 404, 10200, "File not found");
    await expectError("raw/main/sub", 404, 10200, "File not found");
  });
});
