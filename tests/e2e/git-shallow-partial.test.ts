/**
 * Shallow and partial clones against a live server, protocol v0 and v2: `--depth 1` then
 * `--deepen` and `--unshallow`, `--shallow-since`, `--shallow-exclude`, and `--filter=blob:none`
 * with lazy blob fetches on checkout (v2).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, commitFile, git, scratchDirs, withToken } from "../helpers/git.ts";

let server: TestServer;
let rest: Rest;
let remote: string;
let source: string;
const { scratch, removeAll: removeScratch } = scratchDirs();

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
  const repo = await rest.createRepo("e2e", "history");
  remote = withToken(repo.remote, repo.token);
  source = join(scratch(), "src");
  git(["init", "-q", "-b", "main", source]);
  // Ten commits, one day apart, each touching a file, so depth and date cuts are easy to check.
  for (let i = 0; i < 10; i++) {
    const date = `${1_700_000_000 + i * 86_400} +0000`;
    commitFile(source, `f${i % 3}.txt`, `version ${i}\n`.repeat(20 + i), `commit ${i}`);
    git(["commit", "-q", "--amend", "--no-edit", `--date=${date}`], { cwd: source, env: { GIT_COMMITTER_DATE: date } });
  }
  git(["tag", "-a", "mid", "-m", "middle", "HEAD~5"], { cwd: source });
  git(["push", remote, "main", "mid"], { cwd: source });
});
after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

const count = (dir: string) => Number(git(["rev-list", "--count", "HEAD"], { cwd: dir }).stdout.trim());
const shallowFile = (dir: string) => git(["rev-parse", "--is-shallow-repository"], { cwd: dir }).stdout.trim();

for (const protocol of ["0", "2"]) {
  describe(`protocol v${protocol}`, () => {
    const cfg = ["-c", `protocol.version=${protocol}`];

    it("clones --depth 1, then --deepen 3, then --unshallow", () => {
      const dir = join(scratch(), "shallow");
      git([...cfg, "clone", "--depth", "1", remote, dir]);
      assert.equal(count(dir), 1);
      assert.equal(shallowFile(dir), "true");
      git(["fsck"], { cwd: dir });
      git([...cfg, "fetch", "--deepen", "3"], { cwd: dir });
      assert.equal(count(dir), 4);
      git([...cfg, "fetch", "--unshallow"], { cwd: dir });
      assert.equal(shallowFile(dir), "false");
      assert.equal(count(dir), 10);
      git(["fsck", "--strict"], { cwd: dir });
      // Only main's history: over HTTP, git (as with C git's http-backend) does not create the ref of
      // an annotated tag that arrived through include-tag during --unshallow.
      assert.deepEqual(allObjects(dir, "HEAD"), allObjects(source, "HEAD"));
    });

    it("--deepen also deepens the history under a tag that the fetch does not want again", () => {
      // git fetch --deepen sends wants only for the branches it updates; the shallow commit under the
      // tag "mid" must deepen too, as upload-pack deepens every client shallow commit a ref reaches.
      const dir = join(scratch(), "deepen-tags");
      git([...cfg, "clone", "--depth", "1", "--no-single-branch", remote, dir]);
      const commits = (rev: string) => Number(git(["rev-list", "--count", rev], { cwd: dir }).stdout.trim());
      assert.deepEqual([commits("main"), commits("mid")], [1, 1]);
      git([...cfg, "fetch", "--deepen", "2"], { cwd: dir });
      assert.deepEqual([commits("main"), commits("mid")], [3, 3]);
      git(["fsck"], { cwd: dir });
    });

    it("clones --shallow-since a date", () => {
      const dir = join(scratch(), "since");
      // Commits 6..9 are on or after this date.
      git([...cfg, "clone", `--shallow-since=${1_700_000_000 + 6 * 86_400}`, remote, dir]);
      assert.equal(count(dir), 4);
      git(["fsck"], { cwd: dir });
    });

    it("clones --shallow-exclude a tag", () => {
      const dir = join(scratch(), "exclude");
      git([...cfg, "clone", "--shallow-exclude=mid", "--branch", "main", remote, dir]);
      assert.equal(count(dir), 5);
    });
  });
}

describe("partial clone (protocol v2)", () => {
  it("clones --filter=blob:none and fetches blobs lazily on checkout", () => {
    const dir = join(scratch(), "blobless");
    const result = git(["-c", "protocol.version=2", "clone", "--filter=blob:none", "--no-checkout", remote, dir]);
    assert.doesNotMatch(result.stderr, /filtering not recognized/);
    const missing = git(["rev-list", "--objects", "--all", "--missing=print"], { cwd: dir }).stdout;
    const missingCount = missing.split("\n").filter((l) => l.startsWith("?")).length;
    assert.ok(missingCount > 0, "blobs should be missing after a blobless clone");
    git(["checkout", "main"], { cwd: dir });
    const content = git(["show", "HEAD:f0.txt"], { cwd: dir }).stdout;
    assert.equal(content, git(["show", "HEAD:f0.txt"], { cwd: source }).stdout);
    // History checks out too, fetching more blobs on demand.
    git(["log", "-p", "-3"], { cwd: dir });
    git(["fsck", "--connectivity-only"], { cwd: dir });
  });

  it("honours blob:limit and tree:0", () => {
    const limited = join(scratch(), "limited");
    git(["-c", "protocol.version=2", "clone", "--filter=blob:limit=100", "--no-checkout", remote, limited]);
    const missing = git(["rev-list", "--objects", "--all", "--missing=print"], { cwd: limited }).stdout.split("\n").filter((l) => l.startsWith("?"));
    assert.ok(missing.length > 0);
    for (const line of missing) {
      const id = line.slice(1);
      const size = Number(git(["cat-file", "-s", id], { cwd: source }).stdout.trim());
      assert.ok(size >= 100, `blob ${id} of ${size} bytes should have been sent`);
    }
    const treeless = join(scratch(), "treeless");
    git(["-c", "protocol.version=2", "clone", "--filter=tree:0", "--no-checkout", remote, treeless]);
    git(["checkout", "main"], { cwd: treeless });
    assert.equal(git(["show", "HEAD:f1.txt"], { cwd: treeless }).stdout, git(["show", "HEAD:f1.txt"], { cwd: source }).stdout);
  });
});
