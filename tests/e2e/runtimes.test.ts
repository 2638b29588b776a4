/**
 * Every runtime's server entry point (adapters/<runtime>/main.ts) runs the same compact end-to-end
 * sequence with the git CLI, protocol v0 and v2: empty clone, push, clone back (object ids + fsck),
 * incremental fetch, shallow clone and unshallow, blobless partial clone with lazy checkout (v2),
 * force push, branch create and delete; then a REST round (create, get, list, token mint and revoke,
 * delete). Finally the server is stopped with SIGTERM and started again on the same data directory,
 * and every repository, ref and token must have survived.
 *
 * Adding a runtime is one entry in RUNTIMES (tests/helpers/server.ts knows how to start each one).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, type Runtime, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, commitFile, git, refsOf, tempDir, withToken } from "../helpers/git.ts";

const RUNTIMES: readonly Runtime[] = ["bun", "deno", "node"];
const PROTOCOLS = ["0", "2"] as const;
const NS = "runtimes";

/** A repository the restart check must find again exactly as it was. */
interface Kept {
  readonly name: string;
  readonly id: string;
  /** The write token handed out when the repository was created. */
  readonly token: string;
  /** A source repository holding every object the server should have. */
  readonly source: string;
}

function lsRemote(remote: string, token: string): string[] {
  return git(["ls-remote", withToken(remote, token)]).stdout.split("\n").filter(Boolean).sort();
}

function countCommits(dir: string, rev = "HEAD"): number {
  return Number(git(["rev-list", "--count", rev], { cwd: dir }).stdout.trim());
}

function missingObjects(dir: string): number {
  return git(["rev-list", "--objects", "--all", "--missing=print"], { cwd: dir }).stdout.split("\n").filter((l) => l.startsWith("?")).length;
}

for (const runtime of RUNTIMES) {
  describe(`${runtime} server`, () => {
    let server: TestServer;
    let rest: Rest;
    const dirs: string[] = [];
    const kept: Kept[] = [];
    const scratch = () => {
      const d = tempDir(`reposit-rt-${runtime}-`);
      dirs.push(d);
      return d;
    };
    const remoteOf = (name: string) => `${server.url}/git/${NS}/${name}.git`;

    before(async () => {
      server = await startServer({ runtime });
      rest = new Rest(server.url, server.apiToken);
    });
    after(async () => {
      await server.stop();
      server.cleanup();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    for (const protocol of PROTOCOLS) {
      describe(`git protocol v${protocol}`, () => {
        const cfg = ["-c", `protocol.version=${protocol}`];
        const name = `git-v${protocol}`;
        let remote = "";
        let source = "";
        let clone = "";

        it("clones the empty repository", async () => {
          const repo = await rest.createRepo(NS, name);
          assert.equal(repo.remote, remoteOf(name));
          remote = withToken(repo.remote, repo.token);
          source = join(scratch(), "src");
          kept.push({ name, id: repo.id, token: repo.token, source });
          const empty = join(scratch(), "empty");
          assert.match(git([...cfg, "clone", remote, empty]).stderr, /empty repository/);
          assert.deepEqual(refsOf(empty), []);
        });

        it("pushes several commits and a tag (chunked), and clones them back identical", () => {
          git(["init", "-q", "-b", "main", source]);
          for (let i = 0; i < 4; i++) commitFile(source, `dir${i % 2}/file${i}.txt`, `line ${i}\n`.repeat(200 + i));
          // Incompressible, and larger than http.postBuffer: git sends the pack with chunked encoding.
          writeFileSync(join(source, "random.bin"), randomBytes(256 * 1024));
          git(["add", "random.bin"], { cwd: source });
          git(["commit", "-q", "-m", "random bytes"], { cwd: source });
          git(["tag", "-a", "v1", "-m", "release 1"], { cwd: source });
          const trace = { GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1" };
          const pushed = git([...cfg, "-c", "http.postBuffer=65536", "push", remote, "main", "v1"], { cwd: source, env: trace });
          assert.match(pushed.stderr, /POST \S+git-receive-pack[^]*Transfer-Encoding: chunked/);
          clone = join(scratch(), "clone");
          git([...cfg, "clone", remote, clone]);
          assert.deepEqual(allObjects(clone), allObjects(source));
          assert.equal(git(["rev-parse", "HEAD"], { cwd: clone }).stdout, git(["rev-parse", "HEAD"], { cwd: source }).stdout);
          assert.deepEqual(refsOf(clone, "refs/tags/"), refsOf(source, "refs/tags/"));
          git(["fsck", "--strict"], { cwd: clone });
        });

        it("fetches new commits incrementally", () => {
          for (let i = 0; i < 3; i++) commitFile(source, "dir0/file0.txt", `changed ${i}\n`.repeat(150));
          git([...cfg, "push", remote, "main"], { cwd: source });
          const fetched = git([...cfg, "fetch", "origin"], { cwd: clone });
          assert.match(fetched.stderr, /main\s+->\s+origin\/main/);
          assert.equal(git(["rev-parse", "origin/main"], { cwd: clone }).stdout, git(["rev-parse", "main"], { cwd: source }).stdout);
          assert.deepEqual(allObjects(clone, "origin/main"), allObjects(source, "main"));
          git(["fsck"], { cwd: clone });
        });

        it("clones with --depth 1 and then unshallows", () => {
          const shallow = join(scratch(), "shallow");
          git([...cfg, "clone", "--depth", "1", remote, shallow]);
          assert.equal(git(["rev-parse", "--is-shallow-repository"], { cwd: shallow }).stdout.trim(), "true");
          assert.equal(countCommits(shallow), 1);
          git([...cfg, "fetch", "--unshallow"], { cwd: shallow });
          assert.equal(git(["rev-parse", "--is-shallow-repository"], { cwd: shallow }).stdout.trim(), "false");
          assert.equal(countCommits(shallow), countCommits(source));
          assert.deepEqual(allObjects(shallow, "HEAD"), allObjects(source, "main"));
          git(["fsck"], { cwd: shallow });
        });

        if (protocol === "2") {
          it("clones with --filter=blob:none and fetches blobs lazily on checkout", () => {
            const partial = join(scratch(), "partial");
            git([...cfg, "clone", "--filter=blob:none", "--no-checkout", remote, partial]);
            const missingBefore = missingObjects(partial);
            assert.ok(missingBefore > 0, "a blobless clone must start without blobs");
            git([...cfg, "checkout", "-q", "main"], { cwd: partial });
            assert.equal(readFileSync(join(partial, "dir0/file0.txt"), "utf8"), readFileSync(join(source, "dir0/file0.txt"), "utf8"));
            assert.equal(git(["status", "--porcelain"], { cwd: partial }).stdout, "");
            const missingAfter = missingObjects(partial);
            // Checkout fetched the blobs of HEAD's tree only; older versions stay on the server.
            assert.ok(missingAfter > 0 && missingAfter < missingBefore, `missing blobs went from ${missingBefore} to ${missingAfter}`);
            git(["fsck"], { cwd: partial });
          });
        }

        it("refuses a non-fast-forward push and accepts it forced", () => {
          git(["reset", "-q", "--hard", "HEAD~2"], { cwd: source });
          const rewritten = commitFile(source, "rewritten.txt", "rewritten\n");
          const refused = git([...cfg, "push", remote, "main"], { cwd: source, allowFail: true });
          assert.notEqual(refused.status, 0);
          assert.match(refused.stderr, /rejected|non-fast-forward/);
          git([...cfg, "push", "--force", remote, "main"], { cwd: source });
          assert.ok(lsRemote(remoteOf(name), kept.find((k) => k.name === name)!.token).includes(`${rewritten}\trefs/heads/main`));
        });

        it("creates and deletes a branch", () => {
          const head = git(["rev-parse", "HEAD"], { cwd: source }).stdout.trim();
          git([...cfg, "push", remote, "main:refs/heads/feature", "main:refs/heads/stays"], { cwd: source });
          const token = kept.find((k) => k.name === name)!.token;
          assert.ok(lsRemote(remoteOf(name), token).includes(`${head}\trefs/heads/feature`));
          git([...cfg, "push", remote, ":refs/heads/feature"], { cwd: source });
          const refs = lsRemote(remoteOf(name), token);
          assert.ok(!refs.some((l) => l.endsWith("refs/heads/feature")), refs.join("\n"));
          assert.ok(refs.includes(`${head}\trefs/heads/stays`));
          git(["branch", "-q", "stays", "main"], { cwd: source });
        });
      });
    }

    /** Tokens minted over REST for the restart check: one live, one revoked. */
    let readToken = "";
    let revokedToken = "";

    it("REST: creates, gets, lists, mints and revokes tokens, deletes", async () => {
      const created = await rest.createRepo(NS, "rest-only", { description: "made over REST" });
      const got = await rest.call("GET", `/namespaces/${NS}/repos/rest-only`);
      assert.equal(got.status, 200);
      assert.equal(got.body.result.id, created.id);
      assert.equal(got.body.result.description, "made over REST");
      const listed = await rest.call("GET", `/namespaces/${NS}/repos`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.result.map((r: { name: string }) => r.name).sort(), ["git-v0", "git-v2", "rest-only"]);

      // A read token for a git repository: it reads, it cannot write.
      readToken = await rest.token(NS, "git-v2", "read");
      const target = kept.find((k) => k.name === "git-v2")!;
      assert.deepEqual(lsRemote(remoteOf("git-v2"), readToken), lsRemote(remoteOf("git-v2"), target.token));
      const denied = git(["push", withToken(remoteOf("git-v2"), readToken), "main:refs/heads/denied"], { cwd: target.source, allowFail: true });
      assert.notEqual(denied.status, 0);

      const minted = await rest.call("POST", `/namespaces/${NS}/tokens`, { repo: "git-v2", scope: "read" });
      assert.equal(minted.status, 201);
      revokedToken = minted.body.result.plaintext;
      const revoked = await rest.call("DELETE", `/namespaces/${NS}/tokens/${minted.body.result.id}`);
      assert.equal(revoked.status, 200);
      assert.notEqual(git(["ls-remote", withToken(remoteOf("git-v2"), revokedToken)], { allowFail: true }).status, 0);

      const deleted = await rest.call("DELETE", `/namespaces/${NS}/repos/rest-only`);
      assert.equal(deleted.status, 202);
      assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/rest-only`)).status, 404);
    });

    it("survives a push cut off mid-pack, which changes nothing", async () => {
      const target = kept.find((k) => k.name === "git-v0")!;
      const before = lsRemote(remoteOf(target.name), target.token);
      const command = `${"0".repeat(40)} ${"1".repeat(40)} refs/heads/cut-off\0report-status\n`;
      const start = new TextEncoder().encode(`${(command.length + 4).toString(16).padStart(4, "0")}${command}0000PACK`);
      const controller = new AbortController();
      let started!: () => void;
      const sent = new Promise<void>((resolve) => (started = resolve));
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          // The pack header promises 100 objects, then the client goes away.
          c.enqueue(start);
          c.enqueue(new Uint8Array([0, 0, 0, 2, 0, 0, 0, 100]));
          started();
        },
      });
      const push = fetch(`${remoteOf(target.name)}/git-receive-pack`, {
        method: "POST",
        body,
        duplex: "half",
        headers: { Authorization: `Bearer ${target.token}`, "Content-Type": "application/x-git-receive-pack-request" },
        signal: controller.signal,
      } as RequestInit);
      await sent;
      await new Promise((r) => setTimeout(r, 300));
      controller.abort();
      await assert.rejects(push);
      assert.deepEqual(lsRemote(remoteOf(target.name), target.token), before);
      assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/${target.name}`)).status, 200);
    });

    it("keeps every repository, ref and token across a restart", async () => {
      assert.equal(kept.length, PROTOCOLS.length);
      const refsBefore = new Map(kept.map((k) => [k.name, lsRemote(remoteOf(k.name), k.token)]));
      const listBefore = (await rest.call("GET", `/namespaces/${NS}/repos`)).body.result.map((r: { id: string; name: string }) => `${r.id} ${r.name}`).sort();
      const tokensBefore = (await rest.call("GET", `/namespaces/${NS}/repos/git-v2/tokens?state=all`)).body.result.map((t: { id: string; state: string }) => `${t.id} ${t.state}`).sort();

      await server.stop();
      server = await startServer({ runtime, dataDir: server.dataDir });
      rest = new Rest(server.url, server.apiToken);

      const listAfter = (await rest.call("GET", `/namespaces/${NS}/repos`)).body.result.map((r: { id: string; name: string }) => `${r.id} ${r.name}`).sort();
      assert.deepEqual(listAfter, listBefore);
      const tokensAfter = (await rest.call("GET", `/namespaces/${NS}/repos/git-v2/tokens?state=all`)).body.result.map((t: { id: string; state: string }) => `${t.id} ${t.state}`).sort();
      assert.deepEqual(tokensAfter, tokensBefore);
      for (const k of kept) {
        const got = await rest.call("GET", `/namespaces/${NS}/repos/${k.name}`);
        assert.equal(got.status, 200);
        assert.equal(got.body.result.id, k.id);
        assert.deepEqual(lsRemote(remoteOf(k.name), k.token), refsBefore.get(k.name));
        const clone = join(scratch(), `after-${k.name}`);
        git(["clone", "-q", withToken(remoteOf(k.name), k.token), clone]);
        assert.deepEqual(allObjects(clone, "--remotes", "--tags"), allObjects(k.source, "--branches", "--tags"));
        git(["fsck", "--strict"], { cwd: clone });
      }
      // Tokens: the REST-minted read token still reads, the revoked one is still refused.
      assert.deepEqual(lsRemote(remoteOf("git-v2"), readToken), refsBefore.get("git-v2"));
      assert.notEqual(git(["ls-remote", withToken(remoteOf("git-v2"), revokedToken)], { allowFail: true }).status, 0);
      assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/rest-only`)).status, 404);
      // The reopened store takes writes.
      const k = kept[0]!;
      const next = commitFile(k.source, "after-restart.txt", "written after the restart\n");
      git(["push", withToken(remoteOf(k.name), k.token), "main"], { cwd: k.source });
      assert.ok(lsRemote(remoteOf(k.name), k.token).includes(`${next}\trefs/heads/main`));
    });
  });
}
