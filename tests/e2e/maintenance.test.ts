/**
 * Garbage collection and compaction online: maintenance runs again and again while several pushers
 * push and readers clone. Nothing reachable may be lost, pushes and clones never fail, the packs get
 * merged into one, and unreachable objects are not served. (That garbage older than the grace period
 * is deleted is tested with a controlled clock in tests/unit/repo/repack.test.ts.)
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

describe("maintenance alongside git traffic", () => {
  it("repacks and collects garbage while pushes and clones run, losing nothing reachable", async () => {
    const rest = new Rest(server.url, server.apiToken);
    const repo = await rest.createRepo("gc", "busy");
    const remote = withToken(repo.remote, repo.token);
    const seed = join(scratch(), "seed");
    git(["init", "-q", "-b", "main", seed]);
    commitFile(seed, "base.txt", "base\n".repeat(1000));
    git(["push", "-q", remote, "main"], { cwd: seed });
    // Garbage: a branch pushed, then deleted.
    git(["checkout", "-q", "-b", "doomed"], { cwd: seed });
    const doomed = commitFile(seed, "doomed.txt", "to be collected\n".repeat(500));
    git(["push", "-q", remote, "doomed"], { cwd: seed });
    git(["push", "-q", remote, "--delete", "doomed"], { cwd: seed });

    const pushers = [0, 1, 2].map((p) => {
      const dir = join(scratch(), `p${p}`);
      git(["clone", "-q", remote, dir]);
      return dir;
    });
    const tips: string[] = [];
    let stop = false;
    const maintenance = (async () => {
      const reports: { status: number; body: { result: Record<string, unknown> } }[] = [];
      while (!stop) {
        reports.push(await rest.call("POST", "/namespaces/gc/repos/busy/maintenance"));
        await new Promise((r) => setTimeout(r, 50));
      }
      return reports;
    })();
    const pushing = pushers.map(async (dir, p) => {
      for (let round = 0; round < 5; round++) {
        const id = commitFile(dir, `p${p}-${round}.txt`, `pusher ${p} round ${round}\n`.repeat(400));
        const result = await gitAsync(["push", "-q", remote, `HEAD:refs/heads/p${p}`], { cwd: dir });
        assert.equal(result.status, 0, result.stderr);
        if (round === 4) tips[p] = id;
        const clone = await gitAsync(["clone", "-q", "--mirror", remote, join(scratch(), `r${p}-${round}`)]);
        assert.equal(clone.status, 0, clone.stderr);
      }
    });
    await Promise.all(pushing);
    stop = true;
    const reports = await maintenance;
    assert.ok(reports.length >= 2);
    for (const r of reports) assert.equal(r.status, 200);
    assert.ok(reports.some((r) => r.body.result["skipped"] === undefined), "at least one repack went through");

    // A final, quiet repack, then everything reachable is there and the garbage is gone.
    const last = await rest.call("POST", "/namespaces/gc/repos/busy/maintenance");
    assert.equal(last.status, 200);
    assert.equal(last.body.result["packs_after"], 1);
    const mirror = join(scratch(), "final");
    git(["clone", "-q", "--mirror", remote, mirror]);
    git(["fsck", "--strict", "--no-dangling"], { cwd: mirror });
    tips.forEach((id, p) => assert.equal(git(["rev-parse", `refs/heads/p${p}`], { cwd: mirror }).stdout.trim(), id));
    // The deleted branch's commit is younger than the grace period, so it is still stored, but it is
    // unreachable and must not be served.
    const fetch = git(["fetch", remote, doomed], { cwd: mirror, allowFail: true });
    assert.notEqual(fetch.status, 0);
  });

  it("deltifies a push that arrived without deltas, so clones get the smaller pack", async () => {
    const rest = new Rest(server.url, server.apiToken);
    const repo = await rest.createRepo("gc", "undeltified");
    const remote = withToken(repo.remote, repo.token);
    const seed = join(scratch(), "undeltified");
    git(["init", "-q", "-b", "main", seed]);
    const lines = Array.from({ length: 600 }, (_, k) => `line ${k}: ${"lorem ipsum ".repeat(3)}\n`);
    for (let c = 0; c < 20; c++) {
      lines[(c * 37) % lines.length] = `changed in commit ${c}\n`;
      commitFile(seed, "notes.txt", lines.join(""));
    }
    // Loose objects and no delta window: the pushed pack holds every version whole, as
    // isomorphic-git's pushes do.
    git(["-c", "pack.window=0", "push", "-q", remote, "main"], { cwd: seed });
    const report = await rest.call("POST", "/namespaces/gc/repos/undeltified/maintenance");
    assert.equal(report.status, 200);
    const result = report.body.result as Record<string, number>;
    assert.ok(result["new_deltas"]! >= 15, `new deltas: ${result["new_deltas"]}`);
    assert.ok(result["bytes_after"]! * 4 < result["bytes_before"]!, `${result["bytes_before"]} → ${result["bytes_after"]} bytes`);
    const mirror = join(scratch(), "undeltified-clone");
    git(["clone", "-q", "--mirror", remote, mirror]);
    git(["fsck", "--strict", "--no-dangling"], { cwd: mirror });
    assert.equal(git(["rev-parse", "refs/heads/main"], { cwd: mirror }).stdout.trim(), git(["rev-parse", "HEAD"], { cwd: seed }).stdout.trim());
    const packBytes = git(["count-objects", "-v"], { cwd: mirror }).stdout.match(/size-pack: (\d+)/)![1]!;
    assert.ok(Number(packBytes) * 1024 < result["bytes_before"]! / 2, `the clone's pack is ${packBytes} KiB`);
  });
});
