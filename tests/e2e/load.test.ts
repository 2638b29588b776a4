/**
 * A bounded load test on one repository: 32 concurrent clones while 8 pushers each push several
 * commits to their own branch. Zero clones may fail, and every pushed commit must be present and
 * intact at the end (writers are serialized per repository; readers never wait for them).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, gitAsync, scratchDirs, withToken } from "../helpers/git.ts";

let server: TestServer;
const { scratch, removeAll: removeScratch } = scratchDirs();

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

describe("load on one repository", () => {
  it("serves 32 concurrent clones while 8 pushers push, losing and corrupting nothing", async () => {
    const rest = new Rest(server.url, server.apiToken);
    const repo = await rest.createRepo("load", "busy");
    const remote = withToken(repo.remote, repo.token);
    const seed = join(scratch(), "seed");
    git(["init", "-q", "-b", "main", seed]);
    for (let i = 0; i < 20; i++) commitFile(seed, `dir${i % 4}/f${i}.txt`, `seed ${i}\n`.repeat(500));
    git(["push", "-q", remote, "main"], { cwd: seed });

    const pushers = Array.from({ length: 8 }, (_, p) => {
      const dir = join(scratch(), `pusher-${p}`);
      git(["clone", "-q", remote, dir]);
      return dir;
    });
    const pushed: string[][] = pushers.map(() => []);
    const pushing = pushers.map(async (dir, p) => {
      for (let round = 0; round < 3; round++) {
        const id = commitFile(dir, `p${p}/r${round}.txt`, `pusher ${p} round ${round}\n`.repeat(300));
        const result = await gitAsync(["push", "-q", remote, `HEAD:refs/heads/pusher-${p}`], { cwd: dir });
        assert.equal(result.status, 0, `pusher ${p} round ${round}: ${result.stderr}`);
        pushed[p]!.push(id);
      }
    });
    const cloning = Array.from({ length: 32 }, (_, c) => gitAsync(["clone", "-q", "--no-checkout", remote, join(scratch(), `clone-${c}`)]));
    const clones = await Promise.all(cloning);
    await Promise.all(pushing);
    const failed = clones.filter((r) => r.status !== 0);
    assert.equal(failed.length, 0, failed.map((r) => r.stderr).join("\n"));

    const mirror = join(scratch(), "mirror");
    git(["clone", "-q", "--mirror", remote, mirror]);
    git(["fsck", "--strict", "--no-dangling"], { cwd: mirror });
    pushed.forEach((ids, p) => {
      assert.equal(git(["rev-parse", `refs/heads/pusher-${p}`], { cwd: mirror }).stdout.trim(), ids[ids.length - 1]);
      for (const id of ids) assert.equal(git(["cat-file", "-t", id], { cwd: mirror }).stdout.trim(), "commit");
    });
  });
});
