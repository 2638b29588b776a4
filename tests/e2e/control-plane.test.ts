/**
 * The control plane against a live server (Bun, spec/artifacts-api.md §3–§6 and §9), driven over
 * REST and with the real git CLI:
 *
 * - keyset pagination that stays correct while repositories are created between pages (every sort
 *   field and direction), cursors refused when reused with other parameters, forged or garbled;
 *   offset paging;
 * - the token list's state filter and paging;
 * - forks end to end: isolation in both directions of the shared object pool ("not our ref" from
 *   the parent, 404 on the REST commit route), `default_branch_only`, `source`, and a fork that
 *   outlives its parent;
 * - imports through R6 from C git (`git http-backend` behind lighttpd on 127.0.0.1, allowed over
 *   plain http with REPOSIT_IMPORT_ALLOW_HTTP), whole and as one branch to a depth, compared object
 *   by object with what `git clone --depth` makes of the source; and the import errors;
 * - read-only repositories refusing pushes, and last_push_at / updated_at following pushes.
 *
 * Reposit-to-Reposit import is not tested here: imports are public and carry no credentials,
 * while every Reposit git endpoint wants a token, so such an import can only fail with
 * REMOTE_AUTH_REQUIRED (tests/unit/http/rest-contract.test.ts checks that, and a successful
 * in-process copy with a forwarded token). Expired tokens need a 60-second wait here; the unit
 * contract test covers them with a controlled clock.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, commitFile, git, refsOf, tempDir, withToken } from "../helpers/git.ts";
import { buildSampleHistory, type SampleHistory } from "../helpers/sample-history.ts";
import { startCGitServer, type CGitServer } from "../helpers/cgit-server.ts";

let server: TestServer;
let cgit: CGitServer;
let rest: Rest;
let sample: SampleHistory;
/** A port nothing listens on (an unreachable import source). */
let closedPort = 0;
const dirs: string[] = [];

function scratch(): string {
  const d = tempDir("reposit-control-plane-");
  dirs.push(d);
  return d;
}

/** A port the OS just reported free; nothing listens on it afterwards. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

before(async () => {
  const repos = scratch();
  sample = buildSampleHistory(scratch());
  git(["clone", "-q", "--bare", sample.dir, join(repos, "sample.git")]);
  cgit = await startCGitServer(repos);
  closedPort = await freePort();
  server = await startServer({ env: { REPOSIT_IMPORT_ALLOW_HTTP: `${cgit.host},127.0.0.1:${closedPort}` } });
  rest = new Rest(server.url, server.apiToken);
});

after(async () => {
  await server?.stop();
  server?.cleanup();
  await cgit?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The result of a call that must succeed with `status`. */
async function okCall(method: string, path: string, status = 200, body?: unknown): Promise<{ result: any; info: any }> {
  const { status: got, body: envelope } = await rest.call(method, path, body);
  assert.equal(got, status, `${method} ${path}: ${JSON.stringify(envelope)}`);
  assert.equal(envelope.success, true);
  return { result: envelope.result, info: envelope.result_info };
}

/** Asserts a failed call: status, code, message (equal or matching) and pointer. */
async function failCall(method: string, path: string, status: number, code: number, message: string | RegExp, pointer?: string, body?: unknown): Promise<void> {
  const { status: got, body: envelope, response } = await rest.call(method, path, body);
  assert.equal(got, status, `${method} ${path}: ${JSON.stringify(envelope)}`);
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(envelope.success, false);
  const [error] = envelope.errors;
  assert.equal(error?.code, code, JSON.stringify(envelope));
  if (typeof message === "string") assert.equal(error.message, message);
  else assert.match(error.message, message);
  assert.deepEqual(error.source, pointer === undefined ? undefined : { pointer });
}

/** A local repository with a couple of commits on main, ready to push anywhere. */
function localRepo(label: string): string {
  const dir = join(scratch(), label);
  git(["init", "-q", "-b", "main", dir]);
  commitFile(dir, "README.md", `${label}\n`);
  commitFile(dir, "src/a.txt", `${label} a\n`);
  return dir;
}

type Sort = "created_at" | "updated_at" | "last_push_at" | "name";
const SORTS: Sort[] = ["created_at", "updated_at", "last_push_at", "name"];
const field: Record<Sort, (r: any) => string> = {
  created_at: (r) => r.created_at,
  updated_at: (r) => r.updated_at,
  last_push_at: (r) => r.last_push_at ?? "",
  name: (r) => r.name.toLowerCase(),
};

describe("repository list paging", () => {
  /** Names in a scrambled order, so that name order differs from creation order. */
  const names = Array.from({ length: 20 }, (_, i) => `repo-${String((i * 7) % 20).padStart(2, "0")}`);
  const pushedSource = () => localRepo("pushed");

  /** Creates the 20 repositories of `ns`; pushes to a few so the push times differ. */
  async function populate(ns: string, pushes: number): Promise<void> {
    const tokens: string[] = [];
    for (const name of names) tokens.push((await rest.createRepo(ns, name)).token);
    const source = pushes > 0 ? pushedSource() : "";
    for (let i = 0; i < pushes; i++) {
      const index = (i * 3 + 1) % names.length;
      const { result } = await okCall("GET", `/namespaces/${ns}/repos/${names[index]}`);
      git(["push", "-q", withToken(result.remote, tokens[index]!), "main"], { cwd: source });
    }
  }

  for (const sort of SORTS) {
    for (const direction of ["asc", "desc"] as const) {
      it(`walks limit=3 by ${sort} ${direction} while repositories are created between pages`, async () => {
        const ns = `walk-${sort.replace(/_/g, "-")}-${direction}`;
        await populate(ns, sort === "updated_at" || sort === "last_push_at" ? 5 : 0);
        const seen: any[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: string = `limit=3&sort=${sort}&direction=${direction}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
          const { result, info } = await okCall("GET", `/namespaces/${ns}/repos?${query}`);
          assert.ok(result.length <= 3);
          assert.equal(info.count, result.length);
          assert.equal(info.per_page, 3);
          seen.push(...result);
          cursor = info.cursor;
          pages++;
          // New repositories arrive mid-walk; each sorts somewhere in the order (before or after the cursor).
          if (pages <= 5) await rest.createRepo(ns, `new-${pages}-${direction}`);
          assert.ok(pages < 40, "the walk does not end");
        } while (cursor !== null);
        const seenNames = seen.map((r) => r.name);
        assert.equal(new Set(seenNames).size, seenNames.length, `duplicates in ${seenNames.join(",")}`);
        for (const name of names) assert.ok(seenNames.includes(name), `${name} missing from the ${sort} ${direction} walk`);
        const keys = seen.map(field[sort]);
        const sorted = [...keys].sort();
        assert.deepEqual(keys, direction === "asc" ? sorted : sorted.reverse());
        if (sort === "last_push_at") assert.equal(seen.filter((r) => r.last_push_at !== null).length, 5);
      });
    }
  }

  it("walks a search the same way and refuses cursors reused with other parameters, forged or garbled", async () => {
    const ns = "walk-search";
    await populate(ns, 0);
    const path = `/namespaces/${ns}/repos`;
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const extra: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const { result, info } = await okCall("GET", `${path}?limit=3&sort=name&direction=asc&search=REPO-1${extra}`);
      walked.push(...result.map((r: any) => r.name));
      cursor = info.cursor;
      if (cursor !== null) await rest.createRepo(ns, `repo-1${walked.length}x`);
    } while (cursor !== null);
    const original = names.filter((n) => n.startsWith("repo-1")).sort();
    for (const name of original) assert.ok(walked.includes(name), `${name} missing`);
    assert.deepEqual(walked, [...walked].sort());
    assert.equal(new Set(walked).size, walked.length);

    const { info } = await okCall("GET", `${path}?limit=2&sort=name&direction=asc`);
    const issued = info.cursor as string;
    const other = "Invalid cursor: it belongs to a listing with a different sort, direction or search";
    const use = (query: string, cursorText = issued) => `${path}?limit=2&${query}&cursor=${encodeURIComponent(cursorText)}`;
    for (const query of ["sort=created_at&direction=asc", "sort=updated_at&direction=asc", "sort=last_push_at&direction=asc", "sort=name&direction=desc", "sort=name&direction=asc&search=repo"]) {
      await failCall("GET", use(query), 400, 10100, other, "/cursor");
    }
    // Forged: the same signature over a body that says something else.
    const [body, tag] = issued.split(".") as [string, string];
    const decoded = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    const forgedBody = Buffer.from(JSON.stringify({ ...decoded, n: "a" })).toString("base64url");
    const notIssued = "Invalid cursor: it was not issued by this server";
    await failCall("GET", use("sort=name&direction=asc", `${forgedBody}.${tag}`), 400, 10100, notIssued, "/cursor");
    await failCall("GET", use("sort=name&direction=asc", `${body}.${tag.slice(0, -2)}`), 400, 10100, notIssued, "/cursor");
    await failCall("GET", use("sort=name&direction=asc", "%%%garbled%%%"), 400, 10100, notIssued, "/cursor");
    await failCall("GET", use("sort=name&direction=asc", ""), 400, 10100, notIssued, "/cursor");
    // The genuine cursor still works with its own parameters.
    await okCall("GET", use("sort=name&direction=asc"));
  });

  it("pages by offset without limit: page, per_page, total_pages, count, total_count", async () => {
    const ns = "offset-pages";
    await populate(ns, 0);
    const path = `/namespaces/${ns}/repos`;
    const all = await okCall("GET", path);
    assert.deepEqual(all.info, { page: 1, per_page: 50, total_pages: 1, count: 20, total_count: 20 });
    const order = all.result.map((r: any) => r.name);
    // created_at desc by default (repositories created in the same millisecond: name desc).
    const expected = [...all.result].sort((a: any, b: any) => (a.created_at === b.created_at ? (a.name < b.name ? 1 : -1) : a.created_at < b.created_at ? 1 : -1));
    assert.deepEqual(order, expected.map((r: any) => r.name));
    assert.deepEqual([...order].sort(), [...names].sort());
    const pages: string[] = [];
    for (const page of [1, 2, 3]) {
      const { result, info } = await okCall("GET", `${path}?per_page=7&page=${page}`);
      assert.deepEqual(info, { page, per_page: 7, total_pages: 3, count: page < 3 ? 7 : 6, total_count: 20 });
      pages.push(...result.map((r: any) => r.name));
    }
    assert.deepEqual(pages, order);
    const beyond = await okCall("GET", `${path}?per_page=7&page=4`);
    assert.deepEqual(beyond.result, []);
    assert.deepEqual(beyond.info, { page: 4, per_page: 7, total_pages: 3, count: 0, total_count: 20 });
    const byName = await okCall("GET", `${path}?per_page=5&page=2&sort=name&direction=asc`);
    assert.deepEqual(byName.result.map((r: any) => r.name), [...names].sort().slice(5, 10));
    const searched = await okCall("GET", `${path}?per_page=2&search=repo-1`);
    assert.equal(searched.info.total_count, 10);
    assert.equal(searched.info.total_pages, 5);
  });
});

describe("token list", () => {
  it("filters by state and pages by offset", async () => {
    const ns = "tokens";
    await rest.createRepo(ns, "t");
    const minted: string[] = [];
    for (let i = 0; i < 5; i++) minted.push((await okCall("POST", `/namespaces/${ns}/tokens`, 201, { repo: "t", scope: i % 2 === 0 ? "read" : "write", ttl: 600 + i })).result.id);
    for (const id of minted.slice(0, 2)) assert.deepEqual((await okCall("DELETE", `/namespaces/${ns}/tokens/${id}`)).result, { id });
    const list = (query: string) => okCall("GET", `/namespaces/${ns}/repos/t/tokens${query}`);
    const active = await list("");
    assert.equal(active.result.length, 4);
    assert.ok(active.result.every((t: any) => t.state === "active"));
    assert.deepEqual(active.info, { page: 1, per_page: 30, total_pages: 1, count: 4, total_count: 4 });
    const revoked = await list("?state=revoked");
    assert.deepEqual(revoked.result.map((t: any) => t.id).sort(), minted.slice(0, 2).sort());
    assert.ok(revoked.result.every((t: any) => t.state === "revoked"));
    assert.deepEqual((await list("?state=expired")).result, []);
    const all = await list("?state=all");
    assert.equal(all.result.length, 6);
    const walked: string[] = [];
    for (const page of [1, 2, 3]) {
      const { result, info } = await list(`?state=all&per_page=2&page=${page}`);
      assert.deepEqual(info, { page, per_page: 2, total_pages: 3, count: 2, total_count: 6 });
      walked.push(...result.map((t: any) => t.id));
    }
    assert.deepEqual(walked, all.result.map((t: any) => t.id));
    assert.deepEqual((await list("?state=all&per_page=2&page=4")).result, []);
    await failCall("GET", `/namespaces/${ns}/repos/t/tokens?state=gone`, 400, 10100, /^Invalid state: Invalid option/, "/state");
  });
});

describe("fork end to end", () => {
  const ns = "forks";
  let source: string;
  let parent: { remote: string; token: string };
  let forkAll: { remote: string; token: string };
  let newCommit = "";

  before(async () => {
    source = localRepo("fork-source");
    git(["checkout", "-q", "-b", "dev"], { cwd: source });
    commitFile(source, "dev.txt", "dev\n");
    git(["checkout", "-q", "main"], { cwd: source });
    git(["tag", "-a", "v1", "-m", "version one"], { cwd: source });
    parent = await rest.createRepo(ns, "parent");
    git(["push", "-q", withToken(parent.remote, parent.token), "--all"], { cwd: source });
    git(["push", "-q", withToken(parent.remote, parent.token), "--tags"], { cwd: source });
  });

  const lsRemote = (remote: string, token: string) => git(["ls-remote", withToken(remote, token)]).stdout.trim().split("\n").sort();

  it("default_branch_only false copies every ref; source is artifacts:<ns>/<parent>", async () => {
    const { result } = await okCall("POST", `/namespaces/${ns}/repos/parent/fork`, 201, { name: "fork-all", default_branch_only: false });
    forkAll = { remote: result.remote, token: result.token };
    assert.equal(result.objects, allObjects(source).length);
    assert.deepEqual(lsRemote(forkAll.remote, forkAll.token), lsRemote(parent.remote, parent.token));
    const got = await okCall("GET", `/namespaces/${ns}/repos/fork-all`);
    assert.equal(got.result.source, `artifacts:${ns}/parent`);
    assert.equal(got.result.default_branch, "main");
  });

  it("default_branch_only true copies only the default branch", async () => {
    const { result } = await okCall("POST", `/namespaces/${ns}/repos/parent/fork`, 201, { name: "fork-main", default_branch_only: true });
    assert.equal(result.objects, allObjects(source, "main").length);
    const main = git(["rev-parse", "main"], { cwd: source }).stdout.trim();
    assert.deepEqual(lsRemote(result.remote, result.token), [`${main}\tHEAD`, `${main}\trefs/heads/main`]);
    const clone = join(scratch(), "fork-main-clone");
    git(["clone", "-q", withToken(result.remote, result.token), clone]);
    assert.deepEqual(allObjects(clone), allObjects(source, "main"));
  });

  it("a push to the fork leaves the parent unchanged and unable to serve the fork's new objects", async () => {
    const before = lsRemote(parent.remote, parent.token);
    const clone = join(scratch(), "fork-work");
    git(["clone", "-q", withToken(forkAll.remote, forkAll.token), clone]);
    newCommit = commitFile(clone, "fork-only.txt", "only in the fork\n");
    git(["push", "-q", "origin", "main"], { cwd: clone });
    assert.deepEqual(lsRemote(parent.remote, parent.token), before);
    assert.ok(lsRemote(forkAll.remote, forkAll.token).includes(`${newCommit}\trefs/heads/main`));

    const probe = join(scratch(), "probe");
    git(["clone", "-q", withToken(parent.remote, parent.token), probe]);
    for (const version of ["2", "0"]) {
      const fetched = git(["-c", `protocol.version=${version}`, "fetch", "origin", newCommit], { cwd: probe, allowFail: true });
      assert.notEqual(fetched.status, 0, `protocol v${version} fetched the fork's commit from the parent`);
      assert.match(fetched.stderr, /not our ref/, `v${version}: ${fetched.stderr}`);
    }
    assert.equal(git(["cat-file", "-t", newCommit], { cwd: probe, allowFail: true }).status, 128);
    await failCall("GET", `/namespaces/${ns}/repos/parent/commit/${newCommit}`, 404, 10200, "Commit not found");
    const blob = git(["rev-parse", `${newCommit}:fork-only.txt`], { cwd: clone }).stdout.trim();
    await failCall("GET", `/namespaces/${ns}/repos/parent/blob/${blob}`, 404, 10200, "Blob not found");
    assert.equal((await okCall("GET", `/namespaces/${ns}/repos/fork-all/commit/${newCommit}`)).result.hash, newCommit);
    // A parent token does not open the fork, nor the fork's the parent.
    assert.notEqual(git(["ls-remote", withToken(forkAll.remote, parent.token)], { allowFail: true }).status, 0);
    assert.notEqual(git(["ls-remote", withToken(parent.remote, forkAll.token)], { allowFail: true }).status, 0);
  });

  it("the fork keeps working after the parent is deleted", async () => {
    assert.equal((await okCall("DELETE", `/namespaces/${ns}/repos/parent`, 202)).result.id.length, 16);
    await failCall("GET", `/namespaces/${ns}/repos/parent`, 404, 10200, "Repository not found");
    const clone = join(scratch(), "orphan");
    git(["clone", "-q", withToken(forkAll.remote, forkAll.token), clone]);
    git(["fsck", "--strict"], { cwd: clone });
    assert.equal(git(["rev-parse", "HEAD"], { cwd: clone }).stdout.trim(), newCommit);
    const inSource = new Set(allObjects(source));
    // The fork's own commit, its root tree and its one new blob.
    assert.equal(allObjects(clone, "--all").filter((id) => !inSource.has(id)).length, 3);
    const more = commitFile(clone, "after.txt", "after the parent\n");
    git(["push", "-q", "origin", "main"], { cwd: clone });
    const log = await okCall("GET", `/namespaces/${ns}/repos/fork-all/log?limit=2`);
    assert.deepEqual(log.result.map((c: any) => c.hash), [more, newCommit]);
    assert.equal((await okCall("GET", `/namespaces/${ns}/repos/fork-all`)).result.source, `artifacts:${ns}/parent`);
  });
});

describe("import through REST (R6) from C git", () => {
  const ns = "imports";
  const sampleUrl = () => `${cgit.url}/sample.git`;

  it("imports every branch and tag; source git:<url>; the clone matches the source object for object", async () => {
    const { result } = await okCall("POST", `/namespaces/${ns}/repos/full/import`, 201, { url: sampleUrl().replace(/\.git$/, "") });
    assert.equal(result.default_branch, "main");
    const got = await okCall("GET", `/namespaces/${ns}/repos/full`);
    assert.equal(got.result.source, `git:${sampleUrl()}`);
    assert.equal(got.result.read_only, false);
    const clone = join(scratch(), "full.git");
    git(["clone", "-q", "--mirror", withToken(result.remote, result.token), clone]);
    assert.deepEqual(refsOf(clone), refsOf(sample.dir).filter((line) => /refs\/(heads|tags)\//.test(line)));
    assert.deepEqual(allObjects(clone), allObjects(sample.dir, "--branches", "--tags"));
    git(["fsck", "--strict"], { cwd: clone });
  });

  it("imports one branch to a depth: a shallow repository identical to git clone --depth", async () => {
    const { result } = await okCall("POST", `/namespaces/${ns}/repos/shallow/import`, 201, { url: sampleUrl(), branch: "feature", depth: 2, read_only: true });
    assert.equal(result.default_branch, "feature");
    assert.equal((await okCall("GET", `/namespaces/${ns}/repos/shallow`)).result.read_only, true);
    const clone = join(scratch(), "shallow-clone");
    git(["clone", "-q", withToken(result.remote, result.token), clone]);
    const expected = join(scratch(), "expected");
    git(["clone", "-q", "--depth", "2", "--single-branch", "--no-tags", "--branch", "feature", `file://${sample.dir}`, expected]);
    assert.equal(git(["rev-parse", "HEAD"], { cwd: clone }).stdout, git(["rev-parse", "HEAD"], { cwd: expected }).stdout);
    assert.equal(git(["rev-parse", "--is-shallow-repository"], { cwd: clone }).stdout.trim(), "true");
    assert.deepEqual(allObjects(clone, "HEAD"), allObjects(expected, "HEAD"));
    const shallowOf = (dir: string) => git(["rev-parse", "--git-path", "shallow"], { cwd: dir }).stdout.trim();
    assert.deepEqual(
      readLines(join(clone, shallowOf(clone))),
      readLines(join(expected, shallowOf(expected))),
    );
    assert.deepEqual(refsOf(clone, "refs/remotes/"), [`${sample.commits["f1"]} refs/remotes/origin/HEAD`, `${sample.commits["f1"]} refs/remotes/origin/feature`]);
    const log = await okCall("GET", `/namespaces/${ns}/repos/shallow/log`);
    assert.equal(log.result.length, 2);
    // Read-only: the import's own write token cannot push.
    commitFile(clone, "x.txt", "x\n");
    const push = git(["push", "origin", "feature"], { cwd: clone, allowFail: true });
    assert.notEqual(push.status, 0);
    assert.match(push.stderr, /Repository is read-only/);
  });

  it("errors: http to a host not allowed 400, unreachable 502, missing 404, existing 409; nothing left behind", async () => {
    const port = new URL(cgit.url).port;
    await failCall("POST", `/namespaces/${ns}/repos/e1/import`, 400, 10100, "Must be an HTTPS URL", "/url", { url: `http://localhost:${port}/git/sample.git` });
    await failCall("POST", `/namespaces/${ns}/repos/e1/import`, 502, 10401, "The upstream service is unavailable. Please retry.", undefined, { url: `http://127.0.0.1:${closedPort}/x.git` });
    await failCall("POST", `/namespaces/${ns}/repos/e1/import`, 404, 10200, `Repository not found at ${cgit.url}/missing.git`, undefined, { url: `${cgit.url}/missing.git` });
    await failCall("POST", `/namespaces/${ns}/repos/e1/import`, 400, 10104, /^url must be an HTTPS git remote URL/, "/url", { url: "not a url" });
    await failCall("POST", `/namespaces/${ns}/repos/full/import`, 409, 10201, "repo already exists: full", "/name", { url: sampleUrl() });
    await failCall("GET", `/namespaces/${ns}/repos/e1`, 404, 10200, "Repository not found");
    const listed = await okCall("GET", `/namespaces/${ns}/repos`);
    assert.deepEqual(listed.result.map((r: any) => r.name).sort(), ["full", "shallow"]);
  });
});

/** The sorted non-empty lines of a file (a shallow file: one commit id a line). */
function readLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).sort();
}

describe("read-only repositories and push times", () => {
  it("a read_only repository can be cloned but refuses pushes with 403 \"Repository is read-only\"", async () => {
    const repo = await rest.createRepo("pushes", "frozen", { read_only: true });
    const clone = join(scratch(), "frozen");
    git(["clone", "-q", withToken(repo.remote, repo.token), clone]);
    commitFile(clone, "a.txt", "a\n");
    const push = git(["push", "origin", "HEAD:main"], { cwd: clone, allowFail: true });
    assert.notEqual(push.status, 0);
    assert.match(push.stderr, /Repository is read-only/);
    assert.match(push.stderr, /403/);
    const got = await okCall("GET", "/namespaces/pushes/repos/frozen");
    assert.equal(got.result.read_only, true);
    assert.equal(got.result.last_push_at, null);
    assert.equal(git(["ls-remote", withToken(repo.remote, repo.token)]).stdout, "");
  });

  it("last_push_at and updated_at follow pushes (spec §9 item 4)", async () => {
    const repo = await rest.createRepo("pushes", "live");
    const created = (await okCall("GET", "/namespaces/pushes/repos/live")).result;
    assert.equal(created.last_push_at, null);
    assert.equal(created.updated_at, created.created_at);
    const source = localRepo("pushes-live");
    git(["push", "-q", withToken(repo.remote, repo.token), "main"], { cwd: source });
    const first = (await okCall("GET", "/namespaces/pushes/repos/live")).result;
    assert.ok(first.last_push_at > created.created_at, `${first.last_push_at} after ${created.created_at}`);
    assert.equal(first.updated_at, first.last_push_at);
    assert.equal(first.created_at, created.created_at);
    await new Promise((r) => setTimeout(r, 20));
    commitFile(source, "more.txt", "more\n");
    git(["push", "-q", withToken(repo.remote, repo.token), "main"], { cwd: source });
    const second = (await okCall("GET", "/namespaces/pushes/repos/live")).result;
    assert.ok(second.last_push_at > first.last_push_at);
    assert.equal(second.updated_at, second.last_push_at);
    const listed = (await okCall("GET", "/namespaces/pushes/repos?sort=last_push_at&direction=desc")).result;
    assert.equal(listed[0].name, "live");
  });
});
