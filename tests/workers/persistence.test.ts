/**
 * Durable Object storage survives a restart of workerd: Miniflare is disposed and started again on the
 * same persistence directory, and repositories, refs, packs, forks and tokens (active and revoked)
 * are all as they were; the repository then takes new pushes.
 * Node only: `node --import tsx --test tests/workers/persistence.test.ts`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startWorkerd, WorkerdRest, type WorkerdServer } from "../helpers/workerd.ts";
import { allObjects, commitFile, git, refsOf, tempDir, withToken } from "../helpers/git.ts";

let server: WorkerdServer;
let rest: WorkerdRest;
const dirs: string[] = [];

before(async () => {
  server = await startWorkerd();
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

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("persistence across a workerd restart", () => {
  let source: string;
  let repo: { id: string; remote: string; token: string };
  let fork: { id: string; remote: string; token: string };
  let readToken: string;
  let revoked: { id: string; plaintext: string };

  it("stores a repository, a fork and tokens", async () => {
    repo = await rest.createRepo("keep", "app");
    source = join(scratch(), "src");
    git(["init", "-q", "-b", "main", source]);
    for (let i = 0; i < 5; i++) commitFile(source, `f${i}.txt`, `file ${i}\n`.repeat(100));
    git(["tag", "-a", "v1", "-m", "one"], { cwd: source });
    git(["push", withToken(repo.remote, repo.token), "main", "v1"], { cwd: source });
    readToken = await rest.token("keep", "app", "read", 3600);
    const made = await rest.call("POST", "/namespaces/keep/tokens", { repo: "app", scope: "read", ttl: 3600 });
    revoked = made.body.result;
    assert.equal((await rest.call("DELETE", `/namespaces/keep/tokens/${revoked.id}`)).status, 200);
    const forked = await rest.call("POST", "/namespaces/keep/repos/app/fork", { name: "app-fork" });
    assert.equal(forked.status, 201, JSON.stringify(forked.body));
    fork = forked.body.result;
  });

  it("restarts on the same storage with everything intact", async () => {
    await server.restart();
    const sqlite = filesUnder(join(server.persistDir, "do")).filter((f) => f.endsWith(".sqlite"));
    // The registry, the repository, the fork and the shared pool each have their own database.
    assert.ok(sqlite.length >= 4, sqlite.join("\n"));
    const got = await rest.call("GET", "/namespaces/keep/repos/app");
    assert.equal(got.status, 200);
    assert.equal(got.body.result.id, repo.id);
    const tokens = await rest.call("GET", "/namespaces/keep/repos/app/tokens?state=all");
    assert.deepEqual(tokens.body.result.map((t: { state: string }) => t.state).sort(), ["active", "active", "revoked"]);
    const clone = join(scratch(), "after");
    git(["clone", "--mirror", withToken(repo.remote, readToken), clone]);
    assert.deepEqual(refsOf(clone), refsOf(source));
    assert.deepEqual(allObjects(clone), allObjects(source));
    git(["fsck", "--strict"], { cwd: clone });
    const refused = git(["clone", withToken(repo.remote, revoked.plaintext), join(scratch(), "revoked")], { allowFail: true });
    assert.notEqual(refused.status, 0);
    const forkClone = join(scratch(), "fork");
    git(["clone", withToken(fork.remote, fork.token), forkClone]);
    assert.deepEqual(allObjects(forkClone), allObjects(source));
  });

  it("takes a push after the restart and serves it", async () => {
    const head = commitFile(source, "after.txt", "after restart\n");
    git(["push", withToken(repo.remote, repo.token), "main"], { cwd: source });
    const clone = join(scratch(), "pushed");
    git(["clone", withToken(repo.remote, repo.token), clone]);
    assert.equal(git(["rev-parse", "HEAD"], { cwd: clone }).stdout.trim(), head);
    git(["fsck"], { cwd: clone });
  });
});
