/**
 * Crash safety: the server is killed with SIGKILL at random moments during pushes, forks, deletes and
 * maintenance, then restarted on the same data. Every acknowledged push must be present, every ref
 * must point at objects that exist (a fresh clone passes git fsck), and an interrupted push is either
 * wholly visible (its refs committed before the kill) or not at all. Runs on Bun + SQLite and on
 * Deno + Deno KV, a bounded number of rounds each.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, type Runtime, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { startCGitServer } from "../helpers/cgit-server.ts";
import { commitFile, git, gitAsync, scratchDirs, withToken } from "../helpers/git.ts";

const { scratch, removeAll: removeScratch } = scratchDirs();
after(() => {
  removeScratch();
});

/** Deterministic pseudo-random delays so a failing run can be reproduced. */
function delays(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % 900;
  };
}

const ROUNDS: Record<string, number> = { bun: 6, deno: 4 };

for (const runtime of ["bun", "deno"] as Runtime[]) {
  describe(`crash safety on ${runtime}`, () => {
    it("keeps every acknowledged push and never shows a half-done one", async () => {
      const dataDir = scratch();
      let server: TestServer = await startServer({ runtime, dataDir });
      const rest = () => new Rest(server.url, server.apiToken);
      const repo = await rest().createRepo("crash", "target");
      const token = repo.token;
      const remoteOf = () => withToken(`${server.url}/git/crash/target.git`, token);
      const work = join(scratch(), "work");
      git(["init", "-q", "-b", "main", work]);
      commitFile(work, "base.txt", "base\n");
      git(["push", "-q", remoteOf(), "main"], { cwd: work });
      let acknowledged = git(["rev-parse", "HEAD"], { cwd: work }).stdout.trim();
      const next = delays(runtime === "bun" ? 7 : 11);
      try {
        for (let round = 0; round < ROUNDS[runtime]!; round++) {
          // A push big enough to be in flight when the kill lands.
          commitFile(work, `file-${round}.txt`, `round ${round}\n`.repeat(20_000 + round));
          const attempted = git(["rev-parse", "HEAD"], { cwd: work }).stdout.trim();
          const push = gitAsync(["push", "-q", "--force", remoteOf(), "HEAD:main"], { cwd: work });
          await new Promise((r) => setTimeout(r, next()));
          await server.kill();
          const result = await push;
          server = await startServer({ runtime, dataDir });
          const head = git(["ls-remote", remoteOf(), "refs/heads/main"]).stdout.split("\t")[0];
          if (result.status === 0) {
            assert.equal(head, attempted, `round ${round}: an acknowledged push must be present`);
          } else {
            assert.ok(head === attempted || head === acknowledged, `round ${round}: main is ${head}, neither the old nor the new tip`);
          }
          if (head === attempted) acknowledged = attempted;
          else git(["reset", "-q", "--hard", acknowledged], { cwd: work });
          const check = join(scratch(), `check-${runtime}-${round}`);
          git(["clone", "-q", "--mirror", remoteOf(), check]);
          git(["fsck", "--strict", "--no-dangling"], { cwd: check });
        }
      } finally {
        await server.stop();
      }
    });

    it("survives kills during fork, import, delete and maintenance", async () => {
      const dataDir = scratch();
      // A C git server to import from (git http-backend behind lighttpd).
      const reposDir = scratch();
      const upstream = join(reposDir, "upstream.git");
      git(["init", "-q", "--bare", "-b", "main", upstream]);
      const cgit = await startCGitServer(reposDir);
      const importEnv = { REPOSIT_IMPORT_ALLOW_HTTP: new URL(cgit.url).host };
      let server: TestServer = await startServer({ runtime, dataDir, env: importEnv });
      const first = new Rest(server.url, server.apiToken);
      const repo = await first.createRepo("crash", "ops");
      const work = join(scratch(), "ops");
      git(["init", "-q", "-b", "main", work]);
      for (let i = 0; i < 12; i++) {
        commitFile(work, `f${i}.txt`, `content ${i}\n`.repeat(2000));
        git(["push", "-q", withToken(repo.remote, repo.token), "main"], { cwd: work });
      }
      const head = git(["rev-parse", "HEAD"], { cwd: work }).stdout.trim();
      git(["push", "-q", upstream, "main"], { cwd: work });
      const next = delays(runtime === "bun" ? 3 : 5);
      try {
        const operations: [string, (rest: Rest) => Promise<unknown>][] = [
          ["fork", (r) => r.call("POST", "/namespaces/crash/repos/ops/fork", { name: "ops-fork" })],
          ["import", (r) => r.call("POST", "/namespaces/crash/repos/imported/import", { url: `${cgit.url}/upstream.git` })],
          ["maintenance", (r) => r.call("POST", "/namespaces/crash/repos/ops/maintenance")],
          ["delete fork", (r) => r.call("DELETE", "/namespaces/crash/repos/ops-fork")],
        ];
        for (const [name, run] of operations) {
          const pending = run(new Rest(server.url, server.apiToken)).catch(() => null);
          await new Promise((r) => setTimeout(r, next() / 3));
          await server.kill();
          await pending;
          server = await startServer({ runtime, dataDir, env: importEnv });
          const rest = new Rest(server.url, server.apiToken);
          // The parent is intact whatever happened.
          const token = await rest.token("crash", "ops", "read");
          const remote = withToken(`${server.url}/git/crash/ops.git`, token);
          assert.equal(git(["ls-remote", remote, "refs/heads/main"]).stdout.split("\t")[0], head, `after ${name}`);
          const check = join(scratch(), `ops-${runtime}-${name.replace(" ", "-")}`);
          git(["clone", "-q", "--mirror", remote, check]);
          git(["fsck", "--strict", "--no-dangling"], { cwd: check });
          // The fork is either usable, still marked in progress, or absent — never half there.
          const fork = await rest.call("GET", "/namespaces/crash/repos/ops-fork");
          if (fork.status === 200) {
            const forkToken = await rest.token("crash", "ops-fork", "read");
            const forkClone = join(scratch(), `fork-${runtime}-${name.replace(" ", "-")}`);
            git(["clone", "-q", "--mirror", withToken(`${server.url}/git/crash/ops-fork.git`, forkToken), forkClone]);
            git(["fsck", "--strict", "--no-dangling"], { cwd: forkClone });
          } else {
            assert.ok(fork.status === 404 || fork.status === 409, `fork answered ${fork.status}`);
          }
          // The import likewise: complete and identical to its source, in progress, or absent.
          const imported = await rest.call("GET", "/namespaces/crash/repos/imported");
          if (imported.status === 200) {
            const importToken = await rest.token("crash", "imported", "read");
            assert.equal(git(["ls-remote", withToken(`${server.url}/git/crash/imported.git`, importToken), "refs/heads/main"]).stdout.split("\t")[0], head);
          } else {
            assert.ok(imported.status === 404 || imported.status === 409, `import answered ${imported.status}`);
          }
        }
        // Maintenance and imports still work after all that, and lose nothing.
        const rest = new Rest(server.url, server.apiToken);
        const again = await rest.call("POST", "/namespaces/crash/repos/imported-again/import", { url: `${cgit.url}/upstream.git` });
        assert.equal(again.status, 201, JSON.stringify(again.body));
        const againToken = await rest.token("crash", "imported-again", "read");
        assert.equal(git(["ls-remote", withToken(`${server.url}/git/crash/imported-again.git`, againToken), "refs/heads/main"]).stdout.split("\t")[0], head);
        const report = await rest.call("POST", "/namespaces/crash/repos/ops/maintenance");
        assert.equal(report.status, 200);
        const token = await rest.token("crash", "ops", "read");
        const final = join(scratch(), `final-${runtime}`);
        git(["clone", "-q", withToken(`${server.url}/git/crash/ops.git`, token), final]);
        assert.equal(git(["rev-parse", "HEAD"], { cwd: final }).stdout.trim(), head);
        git(["fsck", "--strict"], { cwd: final });
      } finally {
        await server.stop();
        await cgit.stop();
      }
    });
  });
}
