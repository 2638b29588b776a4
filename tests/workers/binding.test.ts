/**
 * The Artifacts binding over Workers RPC in workerd: a second Worker (tests/workers/artifacts-client-
 * worker.ts) binds the Reposit worker's ArtifactsEntrypoint as a service and calls create, get (an
 * RpcTarget handle used with `using`), createToken, listTokens, log, readTree, readFile, readBlob,
 * fork, revokeToken, list and delete exactly as with Cloudflare's binding; git then clones and pushes
 * with the remotes and tokens it got. Also: the namespace comes from the binding's props, else from
 * ARTIFACTS_NAMESPACE, and errors keep their ArtifactsError name, code and numericCode across RPC.
 * Node only: `node --import tsx --test tests/workers/binding.test.ts`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { bundleWorker, COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, REPOSIT_WORKER, settle, startWorkerd, WorkerdRest, type WorkerdServer } from "../helpers/workerd.ts";
import { allObjects, commitFile, git, tempDir, withToken } from "../helpers/git.ts";

const CLIENT = "artifacts-client";
let server: WorkerdServer;
let rest: WorkerdRest;
const dirs: string[] = [];

before(async () => {
  const entrypoint = { name: REPOSIT_WORKER, entrypoint: "ArtifactsEntrypoint" };
  server = await startWorkerd({
    vars: { ARTIFACTS_NAMESPACE: "fromvar" },
    extraWorkers: [
      {
        name: CLIENT,
        modules: true,
        scriptPath: await bundleWorker("tests/workers/artifacts-client-worker.ts", CLIENT),
        compatibilityDate: COMPATIBILITY_DATE,
        compatibilityFlags: COMPATIBILITY_FLAGS,
        serviceBindings: { ARTIFACTS: { ...entrypoint, props: { namespace: "bound" } }, ARTIFACTS_DEFAULT: entrypoint },
      },
    ],
  });
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

/** Calls a route of the consumer worker; fails the test on a non-200 answer. */
async function client(path: string, method = "GET"): Promise<any> {
  await settle();
  const worker = await server.miniflare().getWorker(CLIENT);
  const response = await worker.fetch(`http://client${path}`, { method });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

describe("ArtifactsEntrypoint through a service binding", () => {
  let created: { id: string; remote: string; token: string; name: string; description: string };
  let source: string;
  let readToken: { id: string; plaintext: string };

  it("creates a repository in the binding's namespace; git pushes with the returned remote and token", async () => {
    created = await client("/create?name=app", "POST");
    assert.equal(created.name, "app");
    assert.equal(created.description, "made through the binding");
    assert.equal(created.remote, `${server.url}/git/bound/app.git`);
    assert.match(created.token, /\?expires=\d+$/);
    source = join(scratch(), "src");
    git(["init", "-q", "-b", "main", source]);
    commitFile(source, "README.md", "# app\n");
    commitFile(source, "src/main.ts", "export const x = 1;\n");
    git(["push", withToken(created.remote, created.token), "main"], { cwd: source });
    const listed = await rest.call("GET", "/namespaces/bound/repos/app");
    assert.equal(listed.status, 200);
    assert.equal(listed.body.result.id, created.id);
  });

  it("reads through a `using` handle: info, properties, tokens, log, tree, file, blob", async () => {
    const seen = await client("/inspect?name=app&path=README.md");
    assert.equal(seen.info.id, created.id);
    assert.equal(seen.info.remote, created.remote);
    assert.deepEqual(seen.properties, { remote: created.remote, name: "app", defaultBranch: "main" });
    assert.equal(seen.read.scope, "read");
    readToken = seen.read;
    assert.equal(seen.tokens.total, 2);
    assert.deepEqual(seen.tokens.tokens.map((t: { scope: string }) => t.scope).sort(), ["read", "write"]);
    assert.deepEqual(seen.log, git(["rev-list", "main"], { cwd: source }).stdout.trim().split("\n"));
    assert.equal(seen.file.text, "# app\n");
    assert.equal(seen.file.type, "text/plain;charset=utf-8");
    assert.ok(seen.file.kind === "Blob" || seen.file.kind === "Response");
    assert.equal(seen.missingFile, null);
    assert.equal(seen.blob.text, "# app\n");
  });

  it("clones with the read token, which cannot push", () => {
    const remote = withToken(created.remote, readToken.plaintext);
    const clone = join(scratch(), "read");
    git(["clone", remote, clone]);
    assert.deepEqual(allObjects(clone), allObjects(source));
    commitFile(clone, "nope.txt", "nope\n");
    const push = git(["push", remote, "main"], { cwd: clone, allowFail: true });
    assert.notEqual(push.status, 0);
  });

  it("forks through the handle; git clones and pushes the fork without touching the parent", async () => {
    const fork = await client("/fork?name=app&to=app-fork", "POST");
    assert.equal(fork.remote, `${server.url}/git/bound/app-fork.git`);
    assert.ok(fork.objects >= 6, String(fork.objects));
    const remote = withToken(fork.remote, fork.token);
    const clone = join(scratch(), "fork");
    git(["clone", remote, clone]);
    assert.deepEqual(allObjects(clone), allObjects(source));
    commitFile(clone, "fork.txt", "only in the fork\n");
    git(["push", remote, "main"], { cwd: clone });
    const parent = join(scratch(), "parent");
    git(["clone", withToken(created.remote, created.token), parent]);
    assert.deepEqual(allObjects(parent), allObjects(source));
  });

  it("revokes a token: git is refused with it afterwards", async () => {
    const result = await client(`/revoke?name=app&token=${readToken.id}`, "POST");
    assert.equal(result.revoked, true);
    assert.deepEqual(result.tokens.tokens.map((t: { scope: string }) => t.scope), ["write"]);
    const clone = git(["clone", withToken(created.remote, readToken.plaintext), join(scratch(), "revoked")], { allowFail: true });
    assert.notEqual(clone.status, 0);
  });

  it("throws ArtifactsError with code and numericCode across RPC", async () => {
    const { error } = await client("/error?name=missing");
    assert.deepEqual({ name: error.name, code: error.code, numericCode: error.numericCode }, { name: "ArtifactsError", code: "NOT_FOUND", numericCode: 10200 });
    assert.equal(error.message, "Repository not found");
  });

  it("uses ARTIFACTS_NAMESPACE when the binding passes no props", async () => {
    const plain = await client("/default?name=plain", "POST");
    assert.equal(plain.remote, `${server.url}/git/fromvar/plain.git`);
    assert.equal((await rest.call("GET", "/namespaces/fromvar/repos/plain")).status, 200);
    assert.deepEqual(await client("/list"), ["app", "app-fork"]);
  });

  it("deletes the fork; the parent still clones", async () => {
    const result = await client("/delete?name=app-fork", "POST");
    assert.equal(result.deleted, true);
    assert.equal(result.after.code, "NOT_FOUND");
    assert.deepEqual(await client("/list"), ["app"]);
    const clone = join(scratch(), "after-delete");
    git(["clone", withToken(created.remote, created.token), clone]);
    assert.deepEqual(allObjects(clone), allObjects(source));
    git(["fsck", "--strict"], { cwd: clone });
  });
});
