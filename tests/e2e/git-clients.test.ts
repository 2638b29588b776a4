/**
 * Independent git implementations against a live server: dulwich (pure Python), pygit2 (libgit2) and
 * isomorphic-git (JavaScript, in this Node process). Each one clones with the token as its Basic
 * password, commits and pushes; the git CLI then clones and must see the same commit id and content
 * (and `git fsck --strict` must pass); each client then fetches a commit pushed by the git CLI.
 * isomorphic-git also makes a `depth: 1` clone (protocol v1 with `deepen`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import isogit from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, python, tempDir, withToken } from "../helpers/git.ts";

const NS = "clients";

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
  for (const d of dirs) rmDir(d);
});

function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A repository seeded by the git CLI with two commits. */
interface Seeded {
  /** Remote URL without credentials (what the non-CLI clients are given). */
  plain: string;
  /** Remote URL with the token as Basic password (what the git CLI uses). */
  remote: string;
  token: string;
  head: string;
}

async function seeded(name: string): Promise<Seeded> {
  const repo = await rest.createRepo(NS, name);
  const remote = withToken(repo.remote, repo.token);
  const source = join(scratch(), `${name}-seed`);
  git(["init", "-q", "-b", "main", source]);
  commitFile(source, "README.md", `seeded by git for ${name}\n`);
  const head = commitFile(source, "src/lib.txt", "library\n".repeat(40));
  git(["push", "-q", remote, "main"], { cwd: source });
  return { plain: repo.remote, remote, token: repo.token, head };
}

/** Runs a Python script that prints one JSON line last; throws with its stderr when it fails. */
function runPython<T>(script: string, args: string[]): T {
  const result = python(script, args);
  if (result.status !== 0) {
    throw new Error(`python exited with ${result.status}:\n${result.stderr}\n${result.stdout}`);
  }
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`python printed no JSON result:\n${result.stdout}\n${result.stderr}`);
  }
}

/** Clones with the git CLI, checks the repository with fsck, and returns the clone's directory. */
function cliClone(remote: string, name: string): string {
  const dir = join(scratch(), name);
  git(["clone", "-q", remote, dir]);
  git(["fsck", "--strict", "--no-dangling"], { cwd: dir });
  return dir;
}

/** Asserts the git CLI clone at `dir` has `commit` at HEAD with `parent`, `file` holding `content`. */
function assertCommit(dir: string, commit: string, parent: string, file: string, content: string, subject: string): void {
  assert.equal(git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim(), commit);
  assert.equal(git(["rev-parse", "HEAD^"], { cwd: dir }).stdout.trim(), parent);
  assert.equal(git(["cat-file", "blob", `HEAD:${file}`], { cwd: dir }).stdout, content);
  assert.equal(fs.readFileSync(join(dir, file), "utf8"), content);
  assert.equal(git(["log", "-1", "--format=%s"], { cwd: dir }).stdout.trim(), subject);
}

/** The git CLI commits `file` in its clone `dir` and pushes; returns the new commit id. */
function cliPush(dir: string, file: string, content: string): string {
  const id = commitFile(dir, file, content, `git CLI adds ${file}`);
  git(["push", "-q", "origin", "main"], { cwd: dir });
  return id;
}

const DULWICH_PUSH = `
import io, json, os, sys
from dulwich import porcelain
url, token, target = sys.argv[1:4]
err = io.BytesIO()
repo = porcelain.clone(url, target, username="x", password=token, errstream=err)
cloned = repo.head().decode()
path = os.path.join(target, "dulwich", "notes.txt")
os.makedirs(os.path.dirname(path))
with open(path, "w") as f:
    f.write("written by dulwich\\n")
porcelain.add(repo, [path])
ident = b"Dulwich Client <dulwich@example.com>"
commit = porcelain.commit(repo, message=b"dulwich commit", author=ident, committer=ident).decode()
porcelain.push(repo, url, "refs/heads/main", username="x", password=token, errstream=err)
remote = porcelain.ls_remote(url, username="x", password=token)
print(json.dumps({"cloned": cloned, "commit": commit, "log": err.getvalue().decode(),
                  "remoteMain": remote[b"refs/heads/main"].decode()}))
`;

const DULWICH_FETCH = `
import io, json, sys
from dulwich import porcelain
from dulwich.object_store import tree_lookup_path
from dulwich.repo import Repo
token, target, file = sys.argv[1:4]
repo = Repo(target)
result = porcelain.fetch(repo, "origin", username="x", password=token, errstream=io.BytesIO())
main = result.refs[b"refs/heads/main"]
tracking = repo.refs[b"refs/remotes/origin/main"]
commit = repo[tracking]
mode, blob = tree_lookup_path(repo.__getitem__, commit.tree, file.encode())
print(json.dumps({"advertised": main.decode(), "tracking": tracking.decode(),
                  "parent": commit.parents[0].decode(), "content": repo[blob].data.decode()}))
`;

describe("dulwich", () => {
  let repo: Seeded;
  let cli: string;
  let pushed: string;
  let target: string;

  it("clones, commits and pushes with Basic auth; the git CLI sees the same commit", async () => {
    repo = await seeded("dulwich");
    target = join(scratch(), "dulwich-clone");
    const out = runPython<{ cloned: string; commit: string; log: string; remoteMain: string }>(DULWICH_PUSH, [repo.plain, repo.token, target]);
    assert.equal(out.cloned, repo.head);
    assert.match(out.commit, /^[0-9a-f]{40}$/);
    // dulwich reports a refused ref only in its log, so check the log and the remote ref.
    assert.match(out.log, /Ref refs\/heads\/main updated/);
    assert.doesNotMatch(out.log, /failed/);
    assert.equal(out.remoteMain, out.commit);
    pushed = out.commit;

    cli = cliClone(repo.remote, "dulwich-cli");
    assertCommit(cli, pushed, repo.head, "dulwich/notes.txt", "written by dulwich\n", "dulwich commit");
    assert.equal(git(["log", "-1", "--format=%an <%ae>"], { cwd: cli }).stdout.trim(), "Dulwich Client <dulwich@example.com>");
  });

  it("fetches a commit pushed by the git CLI", () => {
    const next = cliPush(cli, "cli.txt", "pushed by git for dulwich\n");
    const out = runPython<{ advertised: string; tracking: string; parent: string; content: string }>(DULWICH_FETCH, [repo.token, target, "cli.txt"]);
    assert.deepEqual(out, { advertised: next, tracking: next, parent: pushed, content: "pushed by git for dulwich\n" });
  });
});

const PYGIT2_PUSH = `
import json, os, sys
import pygit2
url, token, target = sys.argv[1:4]

class Callbacks(pygit2.RemoteCallbacks):
    def __init__(self):
        super().__init__(credentials=pygit2.UserPass("x", token))
        self.updates = {}
    def push_update_reference(self, refname, message):
        self.updates[refname] = message

repo = pygit2.clone_repository(url, target, callbacks=Callbacks())
cloned = str(repo.head.target)
path = os.path.join(target, "pygit2", "notes.txt")
os.makedirs(os.path.dirname(path))
with open(path, "w") as f:
    f.write("written by pygit2\\n")
repo.index.add("pygit2/notes.txt")
repo.index.write()
tree = repo.index.write_tree()
sig = pygit2.Signature("Pygit2 Client", "pygit2@example.com", 1700000000, 60)
commit = repo.create_commit("refs/heads/main", sig, sig, "pygit2 commit\\n", tree, [repo.head.target])
callbacks = Callbacks()
repo.remotes["origin"].push(["refs/heads/main"], callbacks=callbacks)
print(json.dumps({"cloned": cloned, "commit": str(commit), "updates": callbacks.updates}))
`;

const PYGIT2_FETCH = `
import json, sys
import pygit2
token, target, file = sys.argv[1:4]
repo = pygit2.Repository(target)
callbacks = pygit2.RemoteCallbacks(credentials=pygit2.UserPass("x", token))
stats = repo.remotes["origin"].fetch(callbacks=callbacks)
commit = repo.revparse_single("refs/remotes/origin/main")
print(json.dumps({"tracking": str(commit.id), "parent": str(commit.parent_ids[0]),
                  "received": stats.received_objects, "content": commit.tree[file].data.decode()}))
`;

describe("pygit2 (libgit2)", () => {
  let repo: Seeded;
  let cli: string;
  let pushed: string;
  let target: string;

  it("clones, commits and pushes with Basic auth; the git CLI sees the same commit", async () => {
    repo = await seeded("pygit2");
    target = join(scratch(), "pygit2-clone");
    const out = runPython<{ cloned: string; commit: string; updates: Record<string, string | null> }>(PYGIT2_PUSH, [repo.plain, repo.token, target]);
    assert.equal(out.cloned, repo.head);
    // libgit2 reports each ref the server accepted with a null message.
    assert.deepEqual(out.updates, { "refs/heads/main": null });
    pushed = out.commit;

    cli = cliClone(repo.remote, "pygit2-cli");
    assertCommit(cli, pushed, repo.head, "pygit2/notes.txt", "written by pygit2\n", "pygit2 commit");
    assert.equal(git(["log", "-1", "--format=%an <%ae> %at %ai"], { cwd: cli }).stdout.trim(), "Pygit2 Client <pygit2@example.com> 1700000000 2023-11-14 23:13:20 +0100");
  });

  it("fetches a commit pushed by the git CLI", () => {
    const next = cliPush(cli, "cli.txt", "pushed by git for pygit2\n");
    const out = runPython<{ tracking: string; parent: string; received: number; content: string }>(PYGIT2_FETCH, [repo.token, target, "cli.txt"]);
    assert.equal(out.tracking, next);
    assert.equal(out.parent, pushed);
    assert.equal(out.content, "pushed by git for pygit2\n");
    // The new commit, its root tree and the new blob: nothing already fetched is sent again.
    assert.equal(out.received, 3);
  });
});

describe("isomorphic-git (Node)", () => {
  const author = { name: "Iso Client", email: "iso@example.com", timestamp: 1_700_000_000, timezoneOffset: -120 };
  let repo: Seeded;
  let onAuth: () => { username: string; password: string };
  let dir: string;
  let cli: string;
  let pushed: string;

  it("clones, commits and pushes; the git CLI sees the same commit", async () => {
    repo = await seeded("isomorphic");
    onAuth = () => ({ username: "x", password: repo.token });
    dir = join(scratch(), "iso-clone");
    await isogit.clone({ fs, http, dir, url: repo.plain, onAuth });
    assert.equal(await isogit.resolveRef({ fs, dir, ref: "HEAD" }), repo.head);
    assert.equal(fs.readFileSync(join(dir, "README.md"), "utf8"), "seeded by git for isomorphic\n");

    fs.mkdirSync(join(dir, "iso"));
    fs.writeFileSync(join(dir, "iso/notes.txt"), "written by isomorphic-git\n");
    await isogit.add({ fs, dir, filepath: "iso/notes.txt" });
    pushed = await isogit.commit({ fs, dir, message: "isomorphic-git commit", author, committer: author });
    const result = await isogit.push({ fs, http, dir, url: repo.plain, ref: "main", onAuth });
    assert.equal(result.ok, true);
    assert.deepEqual(result.refs, { "refs/heads/main": { ok: true, error: "" } });

    cli = cliClone(repo.remote, "iso-cli");
    assertCommit(cli, pushed, repo.head, "iso/notes.txt", "written by isomorphic-git\n", "isomorphic-git commit");
    assert.equal(git(["log", "-1", "--format=%an <%ae> %ai"], { cwd: cli }).stdout.trim(), "Iso Client <iso@example.com> 2023-11-15 00:13:20 +0200");
  });

  it("fetches a commit pushed by the git CLI", async () => {
    const next = cliPush(cli, "cli.txt", "pushed by git for isomorphic-git\n");
    const fetched = await isogit.fetch({ fs, http, dir, url: repo.plain, ref: "main", singleBranch: true, onAuth });
    assert.equal(fetched.fetchHead, next);
    assert.equal(await isogit.resolveRef({ fs, dir, ref: "refs/remotes/origin/main" }), next);
    const commit = await isogit.readCommit({ fs, dir, oid: next });
    assert.deepEqual(commit.commit.parent, [pushed]);
    const { blob } = await isogit.readBlob({ fs, dir, oid: next, filepath: "cli.txt" });
    assert.equal(new TextDecoder().decode(blob), "pushed by git for isomorphic-git\n");
  });

  it("makes a depth 1 clone that holds only the tip commit", async () => {
    const tip = git(["rev-parse", "HEAD"], { cwd: cli }).stdout.trim();
    const shallow = join(scratch(), "iso-shallow");
    await isogit.clone({ fs, http, dir: shallow, url: repo.plain, onAuth, depth: 1, singleBranch: true, ref: "main" });
    assert.equal(await isogit.resolveRef({ fs, dir: shallow, ref: "HEAD" }), tip);
    assert.equal(fs.readFileSync(join(shallow, ".git/shallow"), "utf8").trim(), tip);
    const log = await isogit.log({ fs, dir: shallow });
    assert.deepEqual(log.map((entry) => entry.oid), [tip]);
    assert.deepEqual(log[0]!.commit.parent, [pushed]);
    // The parent commit was not sent.
    await assert.rejects(isogit.readCommit({ fs, dir: shallow, oid: pushed }), { code: "NotFoundError" });
    assert.equal(fs.readFileSync(join(shallow, "cli.txt"), "utf8"), "pushed by git for isomorphic-git\n");
  });
});
