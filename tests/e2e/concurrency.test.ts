/**
 * Concurrent pushes against a live server: racing pushes to one branch from the same old value have
 * exactly one winner, pushes to different branches all land, and nothing is lost or corrupted.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, gitAsync, tempDir, withToken } from "../helpers/git.ts";

let server: TestServer;
let rest: Rest;
const dirs: string[] = [];
const scratch = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
});
after(async () => {
  await server.stop();
  server.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function clones(name: string, count: number): Promise<{ remote: string; dirs: string[] }> {
  const repo = await rest.createRepo("race", name);
  const remote = withToken(repo.remote, repo.token);
  const seed = join(scratch(), "seed");
  git(["init", "-q", "-b", "main", seed]);
  commitFile(seed, "base.txt", "base\n");
  git(["push", "-q", remote, "main"], { cwd: seed });
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = join(scratch(), `c${i}`);
    git(["clone", "-q", remote, dir]);
    out.push(dir);
  }
  return { remote, dirs: out };
}

describe("concurrent pushes", () => {
  it("to one branch from the same old value: exactly one wins", async () => {
    const { remote, dirs: workers } = await clones("one-branch", 8);
    const commits = workers.map((dir, i) => commitFile(dir, `w${i}.txt`, `worker ${i}\n`.repeat(200 + i)));
    const results = await Promise.all(workers.map((dir) => gitAsync(["push", "--porcelain", remote, "main"], { cwd: dir })));
    const winners = results.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 0);
    assert.equal(winners.length, 1, results.map((r) => r.stdout + r.stderr).join("\n---\n"));
    for (const { r } of results.filter((r) => r.status !== 0).map((r) => ({ r }))) {
      assert.match(r.stdout + r.stderr, /incorrect old value provided|fetch first|rejected/);
    }
    const head = git(["ls-remote", remote, "refs/heads/main"]).stdout.split("\t")[0];
    assert.equal(head, commits[winners[0]!.i]);
    const check = join(scratch(), "check-one");
    git(["clone", "-q", remote, check]);
    git(["fsck", "--strict"], { cwd: check });
    assert.equal(git(["rev-parse", "HEAD"], { cwd: check }).stdout.trim(), head);
  });

  it("to different branches: every push lands", async () => {
    const { remote, dirs: workers } = await clones("many-branches", 8);
    const commits = workers.map((dir, i) => commitFile(dir, `b${i}.txt`, `branch ${i}\n`.repeat(100)));
    const results = await Promise.all(workers.map((dir, i) => gitAsync(["push", remote, `HEAD:refs/heads/branch-${i}`], { cwd: dir })));
    for (const r of results) assert.equal(r.status, 0, r.stderr);
    const listed = git(["ls-remote", remote, "refs/heads/branch-*"]).stdout;
    workers.forEach((_, i) => assert.match(listed, new RegExp(`${commits[i]}\\trefs/heads/branch-${i}\\n`)));
    const check = join(scratch(), "check-many");
    git(["clone", "-q", "--mirror", remote, check]);
    git(["fsck", "--strict"], { cwd: check });
  });

  it("keeps serving clones while pushes run", async () => {
    const { remote, dirs: workers } = await clones("read-while-write", 4);
    const pushes = workers.map((dir, i) => {
      commitFile(dir, `r${i}.txt`, "x\n".repeat(5000));
      return gitAsync(["push", remote, `HEAD:refs/heads/r-${i}`], { cwd: dir });
    });
    const reads = Array.from({ length: 6 }, (_, i) => gitAsync(["clone", "-q", remote, join(scratch(), `reader-${i}`)]));
    const all = await Promise.all([...pushes, ...reads]);
    for (const r of all) assert.equal(r.status, 0, r.stderr);
  });
});
