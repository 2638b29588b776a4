/**
 * git CLI against a live Bun server, protocol v0 and v2: empty clone, first push, clone, incremental
 * fetch, pull, force push, branches and tags, annotated tags with include-tag. Results are checked
 * with `git fsck` and by comparing object ids with the source repository.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, commitFile, git, refsOf, tempDir, withToken } from "../helpers/git.ts";

let server: TestServer;
let rest: Rest;
const dirs: string[] = [];

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
});
after(async () => {
  await server.stop();
  server.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

for (const protocol of ["0", "2"]) {
  describe(`git protocol v${protocol}`, () => {
    const cfg = ["-c", `protocol.version=${protocol}`];
    let remote: string;
    let source: string;

    it("clones an empty repository", async () => {
      const repo = await rest.createRepo("e2e", `basic-v${protocol}`);
      remote = withToken(repo.remote, repo.token);
      const dir = join(scratch(), "empty");
      const result = git([...cfg, "clone", remote, dir]);
      assert.match(result.stderr, /empty repository/);
      assert.deepEqual(refsOf(dir), []);
    });

    it("pushes a first commit and clones it back identical", () => {
      source = join(scratch(), "src");
      git(["init", "-q", "-b", "main", source]);
      commitFile(source, "README.md", "hello\n");
      commitFile(source, "src/a.txt", "a\n".repeat(100));
      git([...cfg, "push", remote, "main"], { cwd: source });
      const clone = join(scratch(), "clone");
      git([...cfg, "clone", remote, clone]);
      assert.deepEqual(allObjects(clone), allObjects(source));
      assert.equal(git(["rev-parse", "HEAD"], { cwd: clone }).stdout, git(["rev-parse", "HEAD"], { cwd: source }).stdout);
      git(["fsck", "--strict"], { cwd: clone });
    });

    it("fetches incrementally and pulls", () => {
      const clone = join(scratch(), "inc");
      git([...cfg, "clone", remote, clone]);
      for (let i = 0; i < 3; i++) commitFile(source, "src/a.txt", `line ${i}\n`.repeat(50 + i));
      git([...cfg, "push", remote, "main"], { cwd: source });
      const fetched = git([...cfg, "fetch", "origin"], { cwd: clone });
      assert.match(fetched.stderr, /main\s+->\s+origin\/main/);
      git([...cfg, "pull", "--ff-only", "origin", "main"], { cwd: clone });
      assert.deepEqual(allObjects(clone), allObjects(source));
      git(["fsck"], { cwd: clone });
      // Nothing new: a no-op fetch succeeds and changes nothing.
      const again = git([...cfg, "fetch", "origin"], { cwd: clone });
      assert.equal(again.stderr.trim(), "");
    });

    it("force-pushes a rewritten history", () => {
      git(["reset", "-q", "--hard", "HEAD~2"], { cwd: source });
      const rewritten = commitFile(source, "other.txt", "rewritten\n");
      const rejected = git([...cfg, "push", remote, "main"], { cwd: source, allowFail: true });
      assert.notEqual(rejected.status, 0);
      git([...cfg, "push", "--force", remote, "main"], { cwd: source });
      const remoteHead = git([...cfg, "ls-remote", remote, "refs/heads/main"]).stdout.split("\t")[0];
      assert.equal(remoteHead, rewritten);
    });

    it("creates and deletes branches and tags, with annotated tags following include-tag", () => {
      git(["branch", "feature"], { cwd: source });
      git(["tag", "light"], { cwd: source });
      git(["tag", "-a", "v1.0", "-m", "release 1.0"], { cwd: source });
      git([...cfg, "push", remote, "feature", "light", "v1.0"], { cwd: source });
      const listed = git([...cfg, "ls-remote", remote]).stdout;
      const tagId = git(["rev-parse", "v1.0"], { cwd: source }).stdout.trim();
      const peeled = git(["rev-parse", "v1.0^{}"], { cwd: source }).stdout.trim();
      assert.match(listed, new RegExp(`${tagId}\\trefs/tags/v1.0\\n`));
      if (protocol === "0") assert.match(listed, new RegExp(`${peeled}\\trefs/tags/v1.0\\^\\{\\}`));
      assert.match(listed, /refs\/heads\/feature/);

      // A clone of one branch only gets the annotated tag through include-tag.
      const clone = join(scratch(), "tags");
      git([...cfg, "clone", "--single-branch", "--branch", "main", remote, clone]);
      assert.equal(git(["cat-file", "-t", "v1.0"], { cwd: clone }).stdout.trim(), "tag");
      assert.equal(git(["rev-parse", "v1.0"], { cwd: clone }).stdout.trim(), tagId);

      git([...cfg, "push", remote, "--delete", "feature", "light"], { cwd: source });
      const after = git([...cfg, "ls-remote", remote]).stdout;
      assert.doesNotMatch(after, /refs\/heads\/feature/);
      assert.doesNotMatch(after, /refs\/tags\/light/);
      assert.match(after, /refs\/tags\/v1.0/);
    });

    it("refuses to delete the branch HEAD points at", () => {
      const result = git([...cfg, "push", remote, "--delete", "main"], { cwd: source, allowFail: true });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /deletion of the current branch prohibited/);
    });
  });
}
