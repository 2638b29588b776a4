/**
 * Reposit mounted inside another application: an itty-router host app with routes of its own serves
 * Reposit's handler (basePath "/git-service") under `/git-service/*`, over the node:http bridge. The
 * REST API and git smart HTTP work through the mount, `remote` URLs carry the mount path, and the
 * host's own routes and 404s are untouched.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Router, error, json } from "itty-router";
import { createHandler } from "../../src/http/handler.ts";
import type { KvStore } from "../../src/storage/types.ts";
import { nodePlatform } from "../../adapters/shared/node-platform.ts";
import { openNodeSqliteStore } from "../../adapters/node/sqlite-store.ts";
import { serveFetch, type RunningServer } from "../../adapters/node/serve.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, commitFile, git, gitAsync, refsOf, tempDir, withToken } from "../helpers/git.ts";

const API_TOKEN = "host-app-api-token-0123456789";
const MOUNT = "/git-service";

let dir: string;
let store: KvStore;
let server: RunningServer;
let rest: Rest;
const hostHits: string[] = [];

/** git over the network, run asynchronously: the server lives in this process's event loop. */
async function gitNet(args: string[], cwd?: string): Promise<void> {
  const result = await gitAsync(args, cwd === undefined ? {} : { cwd });
  assert.equal(result.status, 0, `git ${args.join(" ")} failed:\n${result.stderr}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "reposit-embed-"));
  store = openNodeSqliteStore(join(dir, "host.sqlite"));
  const reposit = createHandler({
    store,
    platform: nodePlatform,
    signingKey: crypto.getRandomValues(new Uint8Array(32)),
    apiToken: API_TOKEN,
    basePath: MOUNT,
  });
  // The host application: its own routes, Reposit under one prefix, its own 404.
  const app = Router();
  app.get("/health", () => {
    hostHits.push("/health");
    return json({ status: "ok", from: "host" });
  });
  app.all(`${MOUNT}/*`, (request) => reposit.fetch(request));
  app.all("*", () => error(404, "Not a host route"));
  server = await serveFetch(app, { host: "127.0.0.1" });
  rest = new Rest(server.url + MOUNT, API_TOKEN, "host-account");
});

after(async () => {
  await server.close({ force: true });
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Reposit mounted in an itty-router app", () => {
  let remote = "";
  let token = "";
  let source = "";

  it("serves the host's own route", async () => {
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok", from: "host" });
  });

  it("creates a repository through the mount and hands out a remote under it", async () => {
    const created = await rest.createRepo("apps", "site");
    assert.equal(created.remote, `${server.url}${MOUNT}/git/apps/site.git`);
    remote = created.remote;
    token = created.token;
    const got = await rest.call("GET", "/namespaces/apps/repos/site");
    assert.equal(got.status, 200);
    assert.equal(got.body.result.id, created.id);
    assert.equal(got.body.result.remote, remote);
  });

  it("leaves paths outside the mount to the host", async () => {
    const unmounted = await fetch(`${server.url}/client/v4/accounts/host-account/artifacts/namespaces/apps/repos/site`, {
      headers: { Authorization: `Bearer ${API_TOKEN}` },
    });
    assert.equal(unmounted.status, 404);
    assert.deepEqual(await unmounted.json(), { status: 404, error: "Not a host route" });
    const gitOutside = await fetch(`${server.url}/git/apps/site.git/info/refs?service=git-upload-pack`);
    assert.equal(gitOutside.status, 404);
    assert.equal((await gitOutside.json()).error, "Not a host route");
  });

  it("pushes over git through the mount and clones back identical (protocol v2 and v0)", async () => {
    const scratch = tempDir("reposit-embed-git-");
    source = join(scratch, "src");
    git(["init", "-q", "-b", "main", source]);
    for (let i = 0; i < 4; i++) commitFile(source, `pages/p${i}.html`, `<p>page ${i}</p>\n`.repeat(20 + i));
    await gitNet(["push", "-q", withToken(remote, token), "main"], source);
    for (const protocol of ["2", "0"]) {
      const clone = join(scratch, `clone-v${protocol}`);
      await gitNet(["-c", `protocol.version=${protocol}`, "clone", "-q", withToken(remote, token), clone]);
      assert.deepEqual(allObjects(clone), allObjects(source));
      assert.deepEqual(refsOf(clone, "refs/remotes/origin/main"), refsOf(source, "refs/heads/main").map((l) => l.replace("refs/heads/", "refs/remotes/origin/")));
      git(["fsck", "--strict"], { cwd: clone });
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it("still serves the host's own route afterwards", async () => {
    const before = hostHits.length;
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.equal(hostHits.length, before + 1);
  });
});
