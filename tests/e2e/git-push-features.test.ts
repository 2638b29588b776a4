/**
 * Push features against a live server: `--atomic` with one failing ref, push options, a thin pack,
 * a stale old value rejected with `ng`, and a repository with 1,000 refs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, commitFile, git, gitBytes, refsOf, scratchDirs, withToken } from "../helpers/git.ts";
import { encodePktLines } from "../../src/git/pkt-line.ts";

let server: TestServer;
let rest: Rest;
const { scratch, removeAll: removeScratch } = scratchDirs();

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
});
after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

async function seeded(name: string): Promise<{ remote: string; source: string; token: string; plainRemote: string }> {
  const repo = await rest.createRepo("push", name);
  const remote = withToken(repo.remote, repo.token);
  const source = join(scratch(), name);
  git(["init", "-q", "-b", "main", source]);
  commitFile(source, "a.txt", "one\n");
  git(["push", remote, "main"], { cwd: source });
  return { remote, source, token: repo.token, plainRemote: repo.remote };
}

/** Sends one receive-pack request by hand and returns the response text. */
async function rawPush(remote: string, command: string, pack: Uint8Array): Promise<string> {
  const url = new URL(remote);
  const auth = "Basic " + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
  url.username = "";
  url.password = "";
  const response = await fetch(`${url.toString()}/git-receive-pack`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/x-git-receive-pack-request" },
    body: Buffer.concat([encodePktLines([command, "flush"]), pack]),
  });
  assert.equal(response.status, 200);
  return response.text();
}

describe("push", () => {
  it("--atomic: one failing ref fails them all and changes nothing", async () => {
    const { remote, source } = await seeded("atomic");
    git(["checkout", "-q", "-b", "side"], { cwd: source });
    commitFile(source, "b.txt", "side\n");
    git(["push", remote, "side"], { cwd: source });
    const before = git(["ls-remote", remote]).stdout;
    // main moves forward; side is rewound (non-fast-forward) and so refused client-side... make the server refuse it:
    git(["checkout", "-q", "main"], { cwd: source });
    commitFile(source, "c.txt", "main moves\n");
    git(["tag", "ok-tag"], { cwd: source });
    // refs/foo is a "funny refname" the server refuses; with --atomic nothing else may land.
    const result = git(["push", "--atomic", remote, "main", "ok-tag", "HEAD:refs/foo"], { cwd: source, allowFail: true });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /funny refname/);
    assert.match(result.stderr, /atomic push failure/);
    assert.equal(git(["ls-remote", remote]).stdout, before);
    // The same push without the bad ref succeeds atomically.
    git(["push", "--atomic", remote, "main", "ok-tag"], { cwd: source });
    assert.match(git(["ls-remote", remote]).stdout, /refs\/tags\/ok-tag/);
  });

  it("receives push options", async () => {
    const { remote, source } = await seeded("options");
    commitFile(source, "a.txt", "two\n");
    const result = git(["push", "-o", "ci.skip", "-o", "reviewer=alice", remote, "main"], { cwd: source });
    assert.match(result.stderr, /remote: Received push option: ci\.skip/);
    assert.match(result.stderr, /remote: Received push option: reviewer=alice/);
  });

  it("accepts a thin pack whose delta bases are only on the server", async () => {
    const { remote, source } = await seeded("thin");
    // A large file, then a small edit: git sends the edit as a REF_DELTA against the stored blob.
    commitFile(source, "big.txt", Array.from({ length: 4000 }, (_, i) => `line ${i} of a big file\n`).join(""));
    git(["push", remote, "main"], { cwd: source });
    commitFile(source, "big.txt", Array.from({ length: 4000 }, (_, i) => (i === 2000 ? "changed\n" : `line ${i} of a big file\n`)).join(""));
    const old = git(["rev-parse", "HEAD~1"], { cwd: source }).stdout.trim();
    const next = git(["rev-parse", "HEAD"], { cwd: source }).stdout.trim();
    const thin = gitBytes(["pack-objects", "--thin", "--stdout", "--revs"], { cwd: source, input: `${next}\n^${old}\n` });
    // The pack must really be thin: git's own indexer cannot complete it without the stored base.
    const empty = join(scratch(), "empty-for-index");
    git(["init", "-q", empty]);
    const indexed = git(["index-pack", "--stdin"], { cwd: empty, input: thin, allowFail: true });
    assert.notEqual(indexed.status, 0);
    assert.match(indexed.stderr, /unresolved delta/);
    const result = await rawPush(remote, `${old} ${next} refs/heads/main\0report-status\n`, thin);
    assert.match(result, /unpack ok/);
    assert.match(result, /ok refs\/heads\/main/);
    const clone = join(scratch(), "thin-clone");
    git(["clone", remote, clone]);
    git(["fsck", "--strict"], { cwd: clone });
    assert.deepEqual(allObjects(clone), allObjects(source));
  });

  it("rejects a stale old value with ng and keeps the ref", async () => {
    const { source, token, plainRemote } = await seeded("stale");
    const current = git(["rev-parse", "HEAD"], { cwd: source }).stdout.trim();
    commitFile(source, "a.txt", "newer\n");
    const next = git(["rev-parse", "HEAD"], { cwd: source }).stdout.trim();
    const pack = gitBytes(["pack-objects", "--stdout", "--revs"], { cwd: source, input: `${next}\n^${current}\n` });
    const stale = "1".repeat(40);
    const text = await rawPush(withToken(plainRemote, token), `${stale} ${next} refs/heads/main\0report-status\n`, pack);
    assert.match(text, /unpack ok/);
    assert.match(text, /ng refs\/heads\/main incorrect old value provided/);
    const remoteHead = git(["ls-remote", withToken(plainRemote, token), "refs/heads/main"]).stdout.split("\t")[0];
    assert.equal(remoteHead, current);
  });

  it("serves a repository with 1,000 refs", async () => {
    const { remote, source } = await seeded("many-refs");
    const head = git(["rev-parse", "HEAD"], { cwd: source }).stdout.trim();
    const lines = Array.from({ length: 1000 }, (_, i) => `create refs/heads/b/${String(i).padStart(4, "0")} ${head}`).join("\n");
    git(["update-ref", "--stdin"], { cwd: source, input: lines + "\n" });
    git(["push", remote, "refs/heads/b/*:refs/heads/b/*"], { cwd: source });
    for (const protocol of ["0", "2"]) {
      const clone = join(scratch(), `many-${protocol}`);
      git(["-c", `protocol.version=${protocol}`, "clone", "--mirror", remote, clone]);
      assert.equal(refsOf(clone, "refs/heads/b/").length, 1000);
    }
    const listed = git(["ls-remote", remote, "refs/heads/b/*"]).stdout.split("\n").filter(Boolean);
    assert.equal(listed.length, 1000);
  });
});
