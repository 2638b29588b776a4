/**
 * The import client (src/repo/remote, src/api/import.ts) against an in-process Reposit server:
 * a history built with git is pushed into one repository and imported into others through the
 * handler's own smart HTTP, over protocol v2 and v0, whole, by branch and with a depth (compared
 * with what `git fetch --depth` makes of the same history). Error mappings use fake remotes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createHandler, type Handler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { listAll } from "../../../src/storage/storage.ts";
import type { KvStore } from "../../../src/storage/types.ts";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { encodePktLines } from "../../../src/git/pkt-line.ts";
import { encodeSideband } from "../../../src/git/sideband.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import { ArtifactsError } from "../../../src/errors.ts";
import { concatBytes, utf8Encode } from "../../../src/util/bytes.ts";
import { importInto, type ImportOptions, type ImportSource } from "../../../src/api/import.ts";
import type { RepoRecord } from "../../../src/api/records.ts";
import { readRefs } from "../../../src/repo/refs.ts";
import { readRepoShallow } from "../../../src/repo/repo-shallow.ts";
import { ObjectPool } from "../../../src/repo/object-pool.ts";
import { fetchRemote } from "../../../src/repo/remote/fetch-remote.ts";
import { parseRemoteUrl } from "../../../src/repo/remote/remote-url.ts";
import type { FetchFunction } from "../../../src/repo/remote/transport.ts";
import { allObjects, commitFile, git, gitBytes, refsOf, tempDir } from "../../helpers/git.ts";
import { buildSampleHistory, packAll, type SampleHistory } from "../../helpers/sample-history.ts";

const HOST = "https://reposit.test";
const dirs: string[] = [];
const scratch = () => {
  const dir = tempDir("reposit-import-");
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newHandler(store: KvStore = createMemoryStore()): Handler {
  return createHandler({ store, signingKey: new Uint8Array(32).fill(7), apiToken: "api-token", platform: nodePlatform, log: () => {} });
}

/** A fetch into the handler that authenticates as `token` (imports carry no credentials; the test source is private). */
function handlerFetch(handler: Handler, token: string, tweak?: (request: Request) => void): FetchFunction {
  return async (request) => {
    const copy = new Request(request);
    copy.headers.set("Authorization", `Bearer ${token}`);
    tweak?.(copy);
    return handler.fetch(copy);
  };
}

/** Pushes every ref of the git repository `dir` into ns/name with one raw receive-pack request. */
async function pushAll(handler: Handler, ns: string, name: string, dir: string, options: { defaultBranch?: string } = {}): Promise<{ record: RepoRecord; token: string }> {
  const { record, token } = await handler.reposit.createRepo(ns, name, options);
  const refs = refsOf(dir).map((line) => line.split(" ") as [string, string]);
  const commands = refs.map(([id, ref], i) => `${ZERO_ID} ${id} ${ref}${i === 0 ? "\0report-status" : ""}\n`);
  const body = concatBytes([encodePktLines([...commands, "flush"]), packAll(dir)]);
  const response = await handler.fetch(
    new Request(`${HOST}/git/${ns}/${name}.git/git-receive-pack`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token.plaintext}`, "Content-Type": "application/x-git-receive-pack-request" },
      body: body as BodyInit,
    }),
  );
  const report = await response.text();
  assert.match(report, /unpack ok/, report);
  assert.doesNotMatch(report, /\bng /, report);
  return { record, token: token.plaintext };
}

async function importFresh(handler: Handler, name: string, source: ImportSource, options: ImportOptions) {
  const { record } = await handler.reposit.createRepo("dst", name, {}, { status: "importing" });
  const result = await importInto(handler.reposit, record, source, options);
  return { record, result };
}

/** Every object id stored in the pool of `record`, sorted. */
async function poolObjects(handler: Handler, record: RepoRecord): Promise<string[]> {
  const pool = await ObjectPool.open(handler.reposit.env, record.poolId);
  const ids = new Set<string>();
  for (let g = 0; g < pool.total; g++) ids.add(pool.idOf(g));
  return [...ids].sort();
}

async function refsObject(handler: Handler, record: RepoRecord): Promise<Record<string, string>> {
  return Object.fromEntries((await readRefs(handler.reposit.store, record.id)).refs);
}

/** `git for-each-ref` of `dir` under `patterns`, as name → id. */
function gitRefs(dir: string, ...patterns: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pattern of patterns) {
    for (const line of refsOf(dir, pattern)) {
      const [id, name] = line.split(" ") as [string, string];
      out[name] = id;
    }
  }
  return out;
}

/** What `git fetch --depth` makes of `src`: its shallow file and objects. */
function gitShallowFetch(src: string, depth: number, refspecs: string[]): { shallow: string[]; objects: string[]; refs: Record<string, string> } {
  const dir = join(scratch(), "shallow.git");
  git(["init", "-q", "--bare", dir]);
  git(["fetch", "-q", "--no-tags", "--depth", String(depth), `file://${src}`, ...refspecs], { cwd: dir });
  const shallow = readFileSync(join(dir, "shallow"), "utf8").split("\n").filter(Boolean).sort();
  return { shallow, objects: allObjects(dir), refs: gitRefs(dir, "refs/heads/", "refs/tags/") };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: string | RegExp, pointer?: string): Promise<ArtifactsError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ArtifactsError, `expected ArtifactsError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `${caught.code}: ${caught.message}`);
  if (typeof message === "string") assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  if (pointer !== undefined) assert.equal(caught.source?.pointer, pointer);
  return caught;
}

/** No pack of the target's pool was published or left behind, and no ref was created. */
async function assertUntouched(handler: Handler, record: RepoRecord): Promise<void> {
  assert.deepEqual(await refsObject(handler, record), {});
  assert.equal((await ObjectPool.open(handler.reposit.env, record.poolId)).packs.length, 0);
  assert.deepEqual(await listAll(handler.reposit.store, { prefix: `packdata/${record.poolId}/` }), []);
}

describe("import from a Reposit server", () => {
  let handler: Handler;
  let history: SampleHistory;
  let sourceToken: string;
  const url = `${HOST}/git/src/sample`;

  before(async () => {
    handler = newHandler();
    history = buildSampleHistory(scratch());
    sourceToken = (await pushAll(handler, "src", "sample", history.dir)).token;
  });

  const v2 = () => handlerFetch(handler, sourceToken);
  const v0 = (seen?: Request[]) =>
    handlerFetch(handler, sourceToken, (request) => {
      request.headers.delete("Git-Protocol");
      seen?.push(request.clone());
    });

  it("v2: copies every branch and tag and every object they reach", async () => {
    const { record, result } = await importFresh(handler, "full-v2", { url }, { fetch: v2() });
    const expectedRefs = gitRefs(history.dir, "refs/heads/", "refs/tags/");
    assert.deepEqual(await refsObject(handler, record), expectedRefs);
    assert.deepEqual(await poolObjects(handler, record), allObjects(history.dir, "--branches", "--tags"));
    assert.equal(result.defaultBranch, "main");
    assert.equal(result.refs, 7);
    assert.equal(result.objects, allObjects(history.dir, "--branches", "--tags").length);
    assert.equal(result.source, `git:${url}.git`);
    assert.deepEqual([...(await readRepoShallow(handler.reposit.store, record.id))], []);
  });

  it("v0: falls back when the server ignores Git-Protocol, with the same result", async () => {
    const seen: Request[] = [];
    const { record, result } = await importFresh(handler, "full-v0", { url: `${url}.git` }, { fetch: v0(seen) });
    assert.deepEqual(await refsObject(handler, record), gitRefs(history.dir, "refs/heads/", "refs/tags/"));
    assert.deepEqual(await poolObjects(handler, record), allObjects(history.dir, "--branches", "--tags"));
    assert.equal(result.defaultBranch, "main");
    assert.deepEqual(seen.map((r) => `${r.method} ${new URL(r.url).pathname}`), ["GET /git/src/sample.git/info/refs", "POST /git/src/sample.git/git-upload-pack"]);
    const request = await seen[1]!.clone().text();
    assert.match(request, /^[0-9a-f]{4}want [0-9a-f]{40} multi_ack_detailed side-band-64k ofs-delta no-progress agent=git\/2\.39-reposit\n/);
    assert.match(request, /0000[0-9a-f]{4}done\n$/);
    assert.doesNotMatch(request, /thin-pack/);
  });

  it("v2: sends git's headers, ls-refs and a fetch without haves or thin-pack", async () => {
    const seen: { method: string; protocol: string | null; agent: string | null; body: string }[] = [];
    const fetch: FetchFunction = async (request) => {
      seen.push({ method: request.method, protocol: request.headers.get("git-protocol"), agent: request.headers.get("user-agent"), body: await request.clone().text() });
      return v2()(request);
    };
    await importFresh(handler, "headers-v2", { url }, { fetch });
    assert.deepEqual(seen.map((s) => [s.method, s.protocol, s.agent]), [
      ["GET", "version=2", "git/2.39-reposit"],
      ["POST", "version=2", "git/2.39-reposit"],
      ["POST", "version=2", "git/2.39-reposit"],
    ]);
    assert.match(seen[1]!.body, /command=ls-refs\n.*0001.*symrefs\n.*unborn\n.*ref-prefix HEAD\n.*ref-prefix refs\/heads\/\n.*ref-prefix refs\/tags\/\n0000$/s);
    assert.match(seen[2]!.body, /command=fetch\n/);
    assert.match(seen[2]!.body, /ofs-delta\n/);
    assert.match(seen[2]!.body, /no-progress\n/);
    assert.match(seen[2]!.body, /done\n0000$/);
    assert.doesNotMatch(seen[2]!.body, /thin-pack|have /);
    // One want per distinct id: main and the lightweight tag share a commit.
    const wants = seen[2]!.body.match(/want [0-9a-f]{40}/g)!;
    assert.equal(wants.length, new Set(Object.values(gitRefs(history.dir, "refs/heads/", "refs/tags/"))).size);
  });

  for (const protocol of ["v2", "v0"] as const) {
    it(`${protocol}: imports one branch only, which becomes the default`, async () => {
      const { record, result } = await importFresh(handler, `branch-${protocol}`, { url, branch: "side" }, { fetch: protocol === "v2" ? v2() : v0() });
      assert.deepEqual(await refsObject(handler, record), { "refs/heads/side": history.commits["s2"] });
      assert.deepEqual(await poolObjects(handler, record), allObjects(history.dir, "side"));
      assert.deepEqual(result, { defaultBranch: "side", refs: 1, objects: allObjects(history.dir, "side").length, source: `git:${url}.git` });
    });

    it(`${protocol}: a missing branch is NOT_FOUND`, async () => {
      const { record } = await handler.reposit.createRepo("dst", `nobranch-${protocol}`, {}, { status: "importing" });
      await rejectsWith(importInto(handler.reposit, record, { url, branch: "nope" }, { fetch: protocol === "v2" ? v2() : v0() }), "NOT_FOUND", `Branch nope not found in ${url}`);
      await assertUntouched(handler, record);
    });
  }

  for (const [protocol, depth] of [["v2", 1], ["v2", 3], ["v0", 1], ["v0", 3]] as const) {
    it(`${protocol}: depth ${depth} keeps the shallow boundary git fetch --depth ${depth} gets`, async () => {
      const expected = gitShallowFetch(history.dir, depth, ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]);
      const { record, result } = await importFresh(handler, `depth${depth}-${protocol}`, { url, depth }, { fetch: protocol === "v2" ? v2() : v0() });
      assert.deepEqual([...(await readRepoShallow(handler.reposit.store, record.id))].sort(), expected.shallow);
      assert.deepEqual(await poolObjects(handler, record), expected.objects);
      assert.deepEqual(await refsObject(handler, record), expected.refs);
      assert.equal(result.refs, 7);
    });
  }

  it("depth with a branch matches git fetch --depth of that branch", async () => {
    const expected = gitShallowFetch(history.dir, 4, ["refs/heads/main:refs/heads/main"]);
    const { record } = await importFresh(handler, "depth-branch", { url, branch: "main", depth: 4 }, { fetch: v2() });
    assert.deepEqual([...(await readRepoShallow(handler.reposit.store, record.id))].sort(), expected.shallow);
    assert.deepEqual(await poolObjects(handler, record), expected.objects);
    assert.deepEqual(expected.shallow, [history.commits["c3"], history.commits["s2"]].sort(), "main's history at depth 4 crosses the merge");
  });

  it("importing a shallow repository keeps its boundary (v2 and v0)", async () => {
    // importInto leaves the status alone: a repository created "ready" is served as soon as it is filled.
    const { record: shallowRepo, token: issued } = await handler.reposit.createRepo("dst", "shallow-origin");
    await importInto(handler.reposit, shallowRepo, { url, depth: 2 }, { fetch: v2() });
    const boundary = [...(await readRepoShallow(handler.reposit.store, shallowRepo.id))].sort();
    assert.ok(boundary.length > 0);
    const token = issued.plaintext;
    for (const protocol of ["v2", "v0"] as const) {
      const fetch = handlerFetch(handler, token, protocol === "v0" ? (r) => r.headers.delete("Git-Protocol") : undefined);
      const { record } = await importFresh(handler, `from-shallow-${protocol}`, { url: `${HOST}/git/dst/shallow-origin` }, { fetch });
      assert.deepEqual([...(await readRepoShallow(handler.reposit.store, record.id))].sort(), boundary);
      assert.deepEqual(await poolObjects(handler, record), await poolObjects(handler, shallowRepo));
      assert.deepEqual(await refsObject(handler, record), await refsObject(handler, shallowRepo));
    }
  });

  it("reports a master default branch as master", async () => {
    const master = buildSampleHistory(scratch(), "master-repo", "master");
    const { token } = await pushAll(handler, "src", "master-repo", master.dir, { defaultBranch: "master" });
    for (const protocol of ["v2", "v0"] as const) {
      const fetch = handlerFetch(handler, token, protocol === "v0" ? (r) => r.headers.delete("Git-Protocol") : undefined);
      const { result } = await importFresh(handler, `master-${protocol}`, { url: `${HOST}/git/src/master-repo` }, { fetch });
      assert.equal(result.defaultBranch, "master");
    }
  });

  it("an empty remote gives an empty repository", async () => {
    const { token } = await handler.reposit.createRepo("src", "empty", { defaultBranch: "trunk" });
    const { record, result } = await importFresh(handler, "empty-v2", { url: `${HOST}/git/src/empty` }, { fetch: handlerFetch(handler, token.plaintext) });
    assert.deepEqual(result, { defaultBranch: "trunk", refs: 0, objects: 0, source: `git:${HOST}/git/src/empty.git` });
    await assertUntouched(handler, record);
    const v0Empty = handlerFetch(handler, token.plaintext, (r) => r.headers.delete("Git-Protocol"));
    const { result: v0Result } = await importFresh(handler, "empty-v0", { url: `${HOST}/git/src/empty` }, { fetch: v0Empty });
    assert.deepEqual(v0Result, { defaultBranch: "main", refs: 0, objects: 0, source: `git:${HOST}/git/src/empty.git` });
  });

  it("follows a discovery redirect and posts to the new location", async () => {
    const posts: string[] = [];
    const fetch: FetchFunction = async (request) => {
      const target = new URL(request.url);
      if (target.host === "old.test") {
        return new Response(null, { status: 301, headers: { Location: `${HOST}/git/src/sample.git/info/refs?service=git-upload-pack` } });
      }
      if (request.method === "POST") posts.push(request.url);
      return v2()(request);
    };
    const { record } = await importFresh(handler, "redirected", { url: "https://old.test/moved/repo", branch: "feature" }, { fetch });
    assert.deepEqual(await refsObject(handler, record), { "refs/heads/feature": history.commits["f1"] });
    assert.deepEqual(posts, [`${HOST}/git/src/sample.git/git-upload-pack`, `${HOST}/git/src/sample.git/git-upload-pack`]);
  });

  it("runs checkTarget before every request, redirects included, and stops when it throws", async () => {
    const checked: string[] = [];
    const fetch: FetchFunction = async (request) =>
      new URL(request.url).host === "old.test" ? new Response(null, { status: 302, headers: { Location: `${HOST}/git/src/sample/info/refs?service=git-upload-pack` } }) : v2()(request);
    await importFresh(handler, "checked", { url: "https://old.test/x", branch: "main" }, { fetch, checkTarget: (u) => void checked.push(u.href) });
    assert.deepEqual(checked, [
      "https://old.test/x/info/refs?service=git-upload-pack",
      `${HOST}/git/src/sample/info/refs?service=git-upload-pack`,
      `${HOST}/git/src/sample/git-upload-pack`,
      `${HOST}/git/src/sample/git-upload-pack`,
    ]);
    const refusal = new ArtifactsError("INVALID_INPUT", "Target is private", { pointer: "/url" });
    const { record } = await handler.reposit.createRepo("dst", "refused", {}, { status: "importing" });
    await rejectsWith(
      importInto(handler.reposit, record, { url }, { fetch, checkTarget: (u) => { if (u.pathname.endsWith("git-upload-pack")) throw refusal; } }),
      "INVALID_INPUT",
      "Target is private",
    );
    await assertUntouched(handler, record);
  });

  it("a pack larger than maxPackBytes is MEMORY_LIMIT and leaves nothing behind", async () => {
    const { record } = await handler.reposit.createRepo("dst", "too-big", {}, { status: "importing" });
    await rejectsWith(importInto(handler.reposit, record, { url }, { fetch: v2(), maxPackBytes: 500 }), "MEMORY_LIMIT", `Repository at ${url} is too large to import: its pack exceeds the limit of 500 bytes`);
    await assertUntouched(handler, record);
  });

  it("more branches and tags than maxRefs is MEMORY_LIMIT", async () => {
    for (const strip of [false, true]) {
      const fetch = handlerFetch(handler, sourceToken, strip ? (r) => r.headers.delete("Git-Protocol") : undefined);
      await rejectsWith(fetchRemote(url, { fetch, maxPackBytes: 1 << 20, maxRefs: 6 }), "MEMORY_LIMIT", `Repository at ${url} is too large to import: it has more than 6 branches and tags`);
      const remote = await fetchRemote(url, { fetch, maxPackBytes: 1 << 20, maxRefs: 7 });
      remote.close();
      assert.equal(remote.refs.size, 7);
    }
  });

  it("refuses http:// unless the host is allowed", async () => {
    const { record } = await handler.reposit.createRepo("dst", "http-refused", {}, { status: "importing" });
    await rejectsWith(importInto(handler.reposit, record, { url: "http://reposit.test/git/src/sample" }, { fetch: v2() }), "INVALID_INPUT", "Must be an HTTPS URL", "/url");
    const { result } = await importFresh(handler, "http-allowed", { url: "http://reposit.test:8080/git/src/sample", branch: "main" }, { fetch: v2(), allowHttpHosts: ["reposit.test:8080"] });
    assert.equal(result.source, "git:http://reposit.test:8080/git/src/sample.git");
    // "host" allows every port, "host:port" only that one.
    assert.equal(parseRemoteUrl("http://reposit.test:9999/o/r", ["reposit.test"]).url, "http://reposit.test:9999/o/r");
    await rejectsWith(importInto(handler.reposit, record, { url: "http://reposit.test:9999/o/r" }, { fetch: v2(), allowHttpHosts: ["reposit.test:8080"] }), "INVALID_INPUT", "Must be an HTTPS URL");
    // A redirect to plain http is refused too.
    const toHttp: FetchFunction = async () => new Response(null, { status: 301, headers: { Location: "http://elsewhere.test/r/info/refs?service=git-upload-pack" } });
    await rejectsWith(importInto(handler.reposit, record, { url }, { fetch: toHttp }), "INVALID_INPUT", "Must be an HTTPS URL");
  });

  it("creates more refs than one storage commit holds (non-atomic batches)", async () => {
    const small = newHandler(createMemoryStore({ limits: { maxMutations: 10 } }));
    const dir = join(scratch(), "tags");
    git(["init", "-q", "-b", "main", dir]);
    commitFile(dir, "a.txt", "a\n");
    for (let i = 0; i < 25; i++) git(["tag", `t${String(i).padStart(2, "0")}`], { cwd: dir });
    const { token } = await pushAll(small, "src", "tags", dir);
    const { record, result } = await importFresh(small, "tags", { url: `${HOST}/git/src/tags` }, { fetch: handlerFetch(small, token) });
    assert.equal(result.refs, 26);
    assert.deepEqual(await refsObject(small, record), gitRefs(dir, "refs/heads/", "refs/tags/"));
  });
});

// ---------------------------------------------------------------------------------------------
// Fake remotes

const V2_CAPS = ["version 2\n", "agent=fake/1\n", "ls-refs=unborn\n", "fetch=shallow\n", "object-format=sha1\n", "flush"] as const;

function advertisement(lines: readonly (string | "flush")[], type = "application/x-git-upload-pack-advertisement"): Response {
  return new Response(encodePktLines(lines) as BodyInit, { status: 200, headers: { "Content-Type": type } });
}

function result(body: BodyInit): Response {
  return new Response(body, { status: 200, headers: { "Content-Type": "application/x-git-upload-pack-result" } });
}

/** A v2 remote with one branch whose fetch answer is `fetchBody`. */
function fakeV2(id: string, fetchBody: () => BodyInit): FetchFunction {
  return async (request) => {
    if (request.method === "GET") return advertisement(V2_CAPS);
    const text = await request.text();
    if (text.includes("command=ls-refs")) return result(encodePktLines([`${id} HEAD symref-target:refs/heads/main\n`, `${id} refs/heads/main\n`, "flush"]) as BodyInit);
    return result(fetchBody());
  };
}

/** A git repository with one commit; returns its id and a full pack. */
function oneCommitRepo(): { dir: string; id: string; pack: Uint8Array } {
  const dir = join(scratch(), "one");
  git(["init", "-q", "-b", "main", dir]);
  const id = commitFile(dir, "f.txt", "x".repeat(3000) + "\n");
  return { dir, id, pack: packAll(dir) };
}

function packfileResponse(pack: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  return concatBytes([encodePktLines(["packfile\n"]), ...encodeSideband(1, pack), ...extra, encodePktLines(["flush"])]);
}

describe("import errors", () => {
  const handler = newHandler();
  let n = 0;
  const fresh = async () => (await handler.reposit.createRepo("err", `r${n++}`, {}, { status: "importing" })).record;
  const run = async (url: string, fetch: FetchFunction, extra: Partial<ImportSource> & ImportOptions = {}) => {
    const { branch, depth, ...options } = extra;
    return importInto(handler.reposit, await fresh(), { url, branch, depth }, { fetch, ...options });
  };
  const status = (code: number): FetchFunction => async () => new Response("no", { status: code });

  it("401 and 403 are REMOTE_AUTH_REQUIRED (HTTP 422 in REST)", async () => {
    for (const code of [401, 403]) {
      const error = await rejectsWith(
        run("https://example.test/o/private", status(code)),
        "REMOTE_AUTH_REQUIRED",
        `Repository at https://example.test/o/private requires authentication (HTTP ${code}). Only public repositories can be imported.`,
      );
      assert.equal(error.numericCode, 10106);
    }
  });

  it("404 is NOT_FOUND, after trying the URL with .git", async () => {
    const urls: string[] = [];
    const fetch: FetchFunction = async (request) => {
      urls.push(request.url);
      return new Response("missing", { status: 404 });
    };
    await rejectsWith(run("https://example.test/o/gone/", fetch), "NOT_FOUND", "Repository not found at https://example.test/o/gone");
    assert.deepEqual(urls, ["https://example.test/o/gone/info/refs?service=git-upload-pack", "https://example.test/o/gone.git/info/refs?service=git-upload-pack"]);
    urls.length = 0;
    await rejectsWith(run("https://example.test/o/gone.git", fetch), "NOT_FOUND", "Repository not found at https://example.test/o/gone.git");
    assert.equal(urls.length, 1);
  });

  it("5xx, 429 and network failures are UPSTREAM_UNAVAILABLE", async () => {
    for (const code of [500, 502, 503, 429]) {
      await rejectsWith(run("https://example.test/o/r", status(code)), "UPSTREAM_UNAVAILABLE", "The upstream service is unavailable. Please retry.");
    }
    const error = await rejectsWith(
      run("https://example.test/o/r", async () => {
        throw new TypeError("fetch failed");
      }),
      "UPSTREAM_UNAVAILABLE",
    );
    assert.equal((error.cause as Error).message, "fetch failed");
    assert.equal(error.numericCode, 10401);
    const denied = await rejectsWith(run("https://example.test/o/r", async () => advertisement(["# service=git-upload-pack\n", "flush", "ERR access denied\n"])), "UPSTREAM_UNAVAILABLE");
    assert.equal((denied.cause as Error).message, "Remote reported: access denied");
  });

  it("a response that is not a git advertisement is INVALID_URL", async () => {
    const message = "url must be an HTTPS git remote URL (e.g. https://github.com/owner/repo)";
    const html: FetchFunction = async () => new Response("<html>hello</html>", { status: 200, headers: { "Content-Type": "text/html" } });
    await rejectsWith(run("https://example.test/page", html), "INVALID_URL", message, "/url");
    const garbage: FetchFunction = async () => new Response("hello world", { status: 200, headers: { "Content-Type": "application/x-git-upload-pack-advertisement" } });
    await rejectsWith(run("https://example.test/page", garbage), "INVALID_URL", message, "/url");
    const dumb: FetchFunction = async () => new Response(`${"a".repeat(40)}\trefs/heads/main\n`, { status: 200, headers: { "Content-Type": "text/plain" } });
    await rejectsWith(run("https://example.test/dumb.git", dumb), "INVALID_URL", message);
    await rejectsWith(run("https://example.test/teapot", status(418)), "INVALID_URL", message);
  });

  it("malformed URLs and options are refused before any request", async () => {
    let calls = 0;
    const fetch: FetchFunction = async () => {
      calls++;
      return new Response("", { status: 500 });
    };
    const invalid = "url must be an HTTPS git remote URL (e.g. https://github.com/owner/repo)";
    await rejectsWith(run("not a url", fetch), "INVALID_URL", invalid, "/url");
    await rejectsWith(run("git@github.com:o/r.git", fetch), "INVALID_URL", invalid, "/url");
    await rejectsWith(run("https://example.test/", fetch), "INVALID_URL", invalid, "/url");
    await rejectsWith(run("https://example.test/o/r?x=1", fetch), "INVALID_URL", invalid, "/url");
    await rejectsWith(run("", fetch), "INVALID_URL", invalid, "/url");
    await rejectsWith(run("http://example.test/o/r", fetch), "INVALID_INPUT", "Must be an HTTPS URL", "/url");
    await rejectsWith(run("ssh://example.test/o/r", fetch), "INVALID_INPUT", "Must be an HTTPS URL", "/url");
    await rejectsWith(run("https://u:p@example.test/o/r", fetch), "INVALID_INPUT", /must not contain credentials/, "/url");
    await rejectsWith(run("https://example.test/o/r", fetch, { depth: 0 }), "INVALID_INPUT", /^Invalid depth 0: must be an integer/, "/depth");
    await rejectsWith(run("https://example.test/o/r", fetch, { depth: 1.5 }), "INVALID_INPUT", /^Invalid depth 1.5/, "/depth");
    await rejectsWith(run("https://example.test/o/r", fetch, { branch: "a..b" }), "INVALID_INPUT", 'Invalid branch "a..b": must not contain ".."', "/branch");
    assert.equal(calls, 0);
  });

  it("normalises the source to git:<url>.git", () => {
    assert.equal(parseRemoteUrl("https://GitHub.com/Owner/Repo").source, "git:https://github.com/Owner/Repo.git");
    assert.equal(parseRemoteUrl("https://github.com/o/r.git").source, "git:https://github.com/o/r.git");
    assert.equal(parseRemoteUrl("https://github.com/o/r/#readme").source, "git:https://github.com/o/r.git");
    assert.deepEqual(parseRemoteUrl("https://github.com/o/r").candidates, ["https://github.com/o/r", "https://github.com/o/r.git"]);
  });

  it("a remote that does not answer in time is UPSTREAM_UNAVAILABLE", async () => {
    const hang: FetchFunction = () => new Promise<Response>(() => {});
    const error = await rejectsWith(run("https://example.test/o/r", hang, { timeoutMs: 50 }), "UPSTREAM_UNAVAILABLE");
    assert.match((error.cause as Error).message, /within 50 ms/);
    // A body that stops mid-pack times out too, and the stalled stream is cancelled.
    const repo = oneCommitRepo();
    let cancelled = false;
    const stalled = fakeV2(repo.id, () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(concatBytes([encodePktLines(["packfile\n"]), encodeSideband(1, repo.pack.subarray(0, 40))[0]!]));
        },
        cancel() {
          cancelled = true;
        },
      }),
    );
    const record = await fresh();
    await rejectsWith(importInto(handler.reposit, record, { url: "https://example.test/o/r" }, { fetch: stalled, timeoutMs: 200 }), "UPSTREAM_UNAVAILABLE");
    assert.equal(cancelled, true);
    await assertUntouched(handler, record);
  });

  it("a fatal error on side-band 3 is UPSTREAM_UNAVAILABLE carrying the remote's text", async () => {
    const repo = oneCommitRepo();
    const failing = fakeV2(repo.id, () => packfileResponse(repo.pack.subarray(0, 100), encodeSideband(3, utf8Encode("upload-pack: out of memory\n"))) as BodyInit);
    const record = await fresh();
    const error = await rejectsWith(importInto(handler.reposit, record, { url: "https://example.test/o/r" }, { fetch: failing }), "UPSTREAM_UNAVAILABLE");
    assert.equal((error.cause as Error).message, "Remote reported: upload-pack: out of memory");
    await assertUntouched(handler, record);
  });

  it("a corrupt or incomplete pack is UPSTREAM_UNAVAILABLE and leaves nothing behind", async () => {
    const repo = oneCommitRepo();
    const corrupt = repo.pack.slice();
    corrupt[30] = corrupt[30]! ^ 0xff;
    let record = await fresh();
    const error = await rejectsWith(importInto(handler.reposit, record, { url: "https://example.test/o/r" }, { fetch: fakeV2(repo.id, () => packfileResponse(corrupt) as BodyInit) }), "UPSTREAM_UNAVAILABLE");
    assert.equal((error.cause as { name?: string }).name, "ProtocolError");
    await assertUntouched(handler, record);
    // A pack with the commit but not its tree: ingest reports missing objects.
    const commitOnly = new Uint8Array(gitBytes(["pack-objects", "--stdout", "-q"], { cwd: repo.dir, input: `${repo.id}\n` }));
    record = await fresh();
    const missing = await rejectsWith(importInto(handler.reposit, record, { url: "https://example.test/o/r" }, { fetch: fakeV2(repo.id, () => packfileResponse(commitOnly) as BodyInit) }), "UPSTREAM_UNAVAILABLE");
    assert.match((missing.cause as Error).message, /lacks objects it needs/);
    await assertUntouched(handler, record);
  });

  it("a fetch response without a packfile section is UPSTREAM_UNAVAILABLE", async () => {
    const repo = oneCommitRepo();
    const noPack = fakeV2(repo.id, () => encodePktLines(["acknowledgments\n", "NAK\n", "flush"]) as BodyInit);
    await rejectsWith(run("https://example.test/o/r", noPack), "UPSTREAM_UNAVAILABLE");
    const errLine = fakeV2(repo.id, () => encodePktLines(["ERR upload-pack: not our ref\n"]) as BodyInit);
    const error = await rejectsWith(run("https://example.test/o/r", errLine), "UPSTREAM_UNAVAILABLE");
    assert.equal((error.cause as Error).message, "Remote reported: upload-pack: not our ref");
  });

  it("a sha256 remote or one without shallow support is refused with a reason", async () => {
    const sha256: FetchFunction = async () => advertisement(["version 2\n", "ls-refs\n", "fetch\n", "object-format=sha256\n", "flush"]);
    await rejectsWith(run("https://example.test/o/r", sha256), "INVALID_INPUT", /uses object format "sha256"/);
    const repo = oneCommitRepo();
    const noShallow: FetchFunction = async (request) => {
      if (request.method === "GET") return advertisement(["version 2\n", "ls-refs\n", "fetch\n", "flush"]);
      return result(encodePktLines([`${repo.id} refs/heads/main\n`, "flush"]) as BodyInit);
    };
    await rejectsWith(run("https://example.test/o/r", noShallow, { depth: 1 }), "INVALID_INPUT", /does not support shallow fetches/, "/depth");
  });

  it("a v0 remote without side-band sends the raw pack after NAK", async () => {
    const repo = oneCommitRepo();
    const raw: FetchFunction = async (request) => {
      if (request.method === "GET") {
        return advertisement(["# service=git-upload-pack\n", "flush", `${repo.id} HEAD\0multi_ack ofs-delta\n`, `${repo.id} refs/heads/trunk\n`, "flush"]);
      }
      const body = await request.text();
      assert.match(body, new RegExp(`^[0-9a-f]{4}want ${repo.id} multi_ack ofs-delta\n00000009done\n$`));
      return result(concatBytes([encodePktLines(["NAK\n"]), repo.pack]) as BodyInit);
    };
    const record = await fresh();
    const outcome = await importInto(handler.reposit, record, { url: "https://example.test/o/r" }, { fetch: raw });
    // No symref capability: the default branch is guessed from the branch at HEAD's id.
    assert.equal(outcome.defaultBranch, "trunk");
    assert.deepEqual(await refsObject(handler, record), { "refs/heads/trunk": repo.id });
    assert.deepEqual(await poolObjects(handler, record), allObjects(repo.dir));
  });
});

describe("streaming", () => {
  it("hands pack bytes to the caller as they arrive, before the response ends", async () => {
    const repo = oneCommitRepo();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    const half = repo.pack.length >> 1;
    controller.enqueue(concatBytes([encodePktLines(["shallow-info\n", `shallow ${repo.id}\n`, "delim", "packfile\n"]), ...encodeSideband(1, repo.pack.subarray(0, half))]));
    const remote = await fetchRemote("https://example.test/o/r", { fetch: fakeV2(repo.id, () => body), maxPackBytes: 1 << 20, maxRefs: 10 });
    try {
      assert.deepEqual(remote.shallow, [repo.id]);
      const iterator = remote.pack![Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.deepEqual(first.value, repo.pack.subarray(0, half));
      controller.enqueue(concatBytes([...encodeSideband(1, repo.pack.subarray(half)), encodePktLines(["flush"])]));
      controller.close();
      const rest: Uint8Array[] = [];
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(step.value);
      assert.deepEqual(concatBytes(rest), repo.pack.subarray(half));
    } finally {
      remote.close();
    }
  });

  it("close() releases a pack nobody read", async () => {
    const repo = oneCommitRepo();
    let cancelled = false;
    const body = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(concatBytes([encodePktLines(["packfile\n"]), ...encodeSideband(1, repo.pack.subarray(0, 50))]));
        },
        cancel() {
          cancelled = true;
        },
      });
    const remote = await fetchRemote("https://example.test/o/r", { fetch: fakeV2(repo.id, body), maxPackBytes: 1 << 20, maxRefs: 10 });
    assert.equal(cancelled, false);
    remote.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(cancelled, true);
  });
});
