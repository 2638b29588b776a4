/**
 * git CLI end to end against the Cloudflare Worker in workerd (Miniflare, Durable Object SQLite):
 * create a repository over REST, push, clone with protocol v0 and v2, fetch incrementally, shallow
 * clone and deepen, blob:none partial clone with lazy blob fetches, force push, delete. Results are
 * checked with `git fsck` and by comparing object ids with the source; a probe worker bound to the
 * same Durable Objects checks that refs, packs and records landed in the objects the routing store
 * names, and that deletion empties them.
 * Node only: `node --import tsx --test tests/workers/git-e2e.test.ts`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startWorkerd, WorkerdRest, type WorkerdServer } from "../helpers/workerd.ts";
import { allObjects, commitFile, git, refsOf, tempDir, withToken } from "../helpers/git.ts";
import { listAll } from "../../src/storage/storage.ts";
import { probeWorkerOptions, remoteStore } from "./kv-probe.ts";

let server: WorkerdServer;
let rest: WorkerdRest;
const dirs: string[] = [];

before(async () => {
  server = await startWorkerd({ extraWorkers: [await probeWorkerOptions()] });
  rest = new WorkerdRest(server.url, server.apiToken);
});
after(async () => {
  await server.dispose();
  server.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

/** A source repository with 12 commits on main, a side branch and an annotated tag. */
function buildSource(): string {
  const source = join(scratch(), "src");
  git(["init", "-q", "-b", "main", source]);
  for (let i = 0; i < 12; i++) {
    commitFile(source, `dir${i % 3}/file${i}.txt`, `content ${i}\n`.repeat(200 + i));
    commitFile(source, "README.md", `version ${i}\n`);
  }
  git(["tag", "-a", "v1", "-m", "release one", "HEAD~4"], { cwd: source });
  git(["checkout", "-q", "-b", "side", "HEAD~6"], { cwd: source });
  commitFile(source, "side.txt", "side\n");
  git(["checkout", "-q", "main"], { cwd: source });
  return source;
}

/** Keys of one Durable Object, read directly (not through the routing store). */
async function objectKeys(object: string): Promise<string[]> {
  return (await listAll(remoteStore(server, object), { prefix: "" })).map((e) => e.key);
}

for (const protocol of ["0", "2"]) {
  describe(`git protocol v${protocol} against workerd`, () => {
    const cfg = ["-c", `protocol.version=${protocol}`];
    let remote: string;
    let repoId: string;
    let source: string;

    it("pushes every branch and tag and clones them back identical", async () => {
      const repo = await rest.createRepo("cf", `e2e-v${protocol}`);
      repoId = repo.id;
      remote = withToken(repo.remote, repo.token);
      source = buildSource();
      const pushed = git([...cfg, "push", remote, "main", "side", "v1"], { cwd: source });
      assert.match(pushed.stderr, /\[new branch\]\s+main -> main/);
      const clone = join(scratch(), "clone");
      git([...cfg, "clone", "--mirror", remote, clone]);
      assert.deepEqual(refsOf(clone), refsOf(source).filter((line) => !line.includes("refs/remotes/")));
      assert.deepEqual(allObjects(clone), allObjects(source));
      git(["fsck", "--strict"], { cwd: clone });
    });

    it("keeps refs in the repository's object, packs in its pool's object and records in the registry", async () => {
      const repoKeys = await objectKeys(`repo:${repoId}`);
      assert.ok(repoKeys.includes(`repo/${repoId}/ref/refs/heads/main`));
      assert.ok(repoKeys.every((k) => k.startsWith(`repo/${repoId}/`)));
      const poolKeys = await objectKeys(`pool:${repoId}`);
      assert.ok(poolKeys.some((k) => k.startsWith(`pool/${repoId}/pack/`)));
      assert.ok(poolKeys.some((k) => k.startsWith(`packdata/${repoId}/`)));
      const registry = await objectKeys("registry");
      assert.ok(registry.includes(`repoid/${repoId}`));
      assert.ok(registry.includes(`pool/${repoId}/member/${repoId}`));
      assert.ok(!registry.some((k) => k.startsWith(`repo/`) || k.startsWith("packdata/")));
    });

    it("fetches incrementally into an existing clone", () => {
      const clone = join(scratch(), "inc");
      git([...cfg, "clone", remote, clone]);
      for (let i = 0; i < 3; i++) commitFile(source, "README.md", `more ${i}\n`);
      git([...cfg, "push", remote, "main"], { cwd: source });
      const fetched = git([...cfg, "fetch", "origin"], { cwd: clone });
      assert.match(fetched.stderr, /main\s+->\s+origin\/main/);
      assert.equal(git(["rev-parse", "origin/main"], { cwd: clone }).stdout, git(["rev-parse", "main"], { cwd: source }).stdout);
      git(["fsck"], { cwd: clone });
    });

    it("clones --depth 1 and deepens", () => {
      const dir = join(scratch(), "shallow");
      git([...cfg, "clone", "--depth", "1", remote, dir]);
      assert.equal(git(["rev-list", "--count", "HEAD"], { cwd: dir }).stdout.trim(), "1");
      assert.equal(git(["rev-parse", "--is-shallow-repository"], { cwd: dir }).stdout.trim(), "true");
      git([...cfg, "fetch", "--deepen", "4"], { cwd: dir });
      assert.equal(git(["rev-list", "--count", "HEAD"], { cwd: dir }).stdout.trim(), "5");
      git([...cfg, "fetch", "--unshallow"], { cwd: dir });
      assert.equal(git(["rev-list", "--count", "HEAD"], { cwd: dir }).stdout, git(["rev-list", "--count", "main"], { cwd: source }).stdout);
      git(["fsck"], { cwd: dir });
    });

    it("force-pushes a rewritten history", () => {
      git(["reset", "-q", "--hard", "HEAD~2"], { cwd: source });
      const rewritten = commitFile(source, "rewritten.txt", "rewritten\n");
      const rejected = git([...cfg, "push", remote, "main"], { cwd: source, allowFail: true });
      assert.notEqual(rejected.status, 0);
      assert.match(rejected.stderr, /rejected|non-fast-forward/);
      git([...cfg, "push", "--force", remote, "main"], { cwd: source });
      const clone = join(scratch(), "forced");
      git([...cfg, "clone", remote, clone]);
      assert.equal(git(["rev-parse", "HEAD"], { cwd: clone }).stdout.trim(), rewritten);
      git(["fsck", "--strict"], { cwd: clone });
    });
  });
}

describe("partial clone and delete against workerd", () => {
  let remote: string;
  let source: string;

  it("clones --filter=blob:none and fetches blobs lazily on checkout", async () => {
    const repo = await rest.createRepo("cf", "partial");
    remote = withToken(repo.remote, repo.token);
    source = buildSource();
    git(["push", remote, "main"], { cwd: source });
    const dir = join(scratch(), "partial");
    git(["-c", "protocol.version=2", "clone", "--filter=blob:none", "--no-checkout", remote, dir]);
    const missing = git(["rev-list", "--objects", "--all", "--missing=print"], { cwd: dir }).stdout;
    assert.ok(missing.split("\n").filter((l) => l.startsWith("?")).length > 10);
    git(["checkout", "-q", "main"], { cwd: dir });
    assert.equal(git(["show", "HEAD:README.md"], { cwd: dir }).stdout, "version 11\n");
    git(["fsck"], { cwd: dir });
  });

  it("deletes a repository: git gets 404, and its objects are emptied", async () => {
    const { body } = await rest.call("GET", "/namespaces/cf/repos/partial");
    const id: string = body.result.id;
    assert.ok((await objectKeys(`pool:${id}`)).length > 0);
    const deleted = await rest.call("DELETE", "/namespaces/cf/repos/partial");
    assert.ok(deleted.status === 200 || deleted.status === 202, String(deleted.status));
    const clone = git(["clone", remote, join(scratch(), "gone")], { allowFail: true });
    assert.notEqual(clone.status, 0);
    assert.match(clone.stderr, /not found|404/i);
    assert.deepEqual(await objectKeys(`repo:${id}`), []);
    assert.deepEqual(await objectKeys(`pool:${id}`), []);
    const registry = await objectKeys("registry");
    assert.ok(!registry.some((k) => k.includes(id) && !k.startsWith("tomb/")));
  });
});
