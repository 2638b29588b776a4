/**
 * Import from C git: bare repositories served by `git http-backend` behind lighttpd are imported
 * with `importInto` (over the real network stack and Node's global fetch, protocol v2 and v0) into
 * an in-process Reposit served on 127.0.0.1, then cloned back with git and compared with the
 * source: refs, every object id, the shallow boundary of depth imports, and `git fsck --strict`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createHandler, type Handler } from "../../src/http/handler.ts";
import { createMemoryStore } from "../../src/storage/memory.ts";
import { nodePlatform } from "../../adapters/shared/node-platform.ts";
import { ArtifactsError } from "../../src/errors.ts";
import { importInto, type ImportOptions, type ImportResult, type ImportSource } from "../../src/api/import.ts";
import type { FetchFunction } from "../../src/repo/remote/transport.ts";
import { allObjects, git, gitAsync, refsOf, tempDir, withToken } from "../helpers/git.ts";
import { buildSampleHistory } from "../helpers/sample-history.ts";
import { startCGitServer, type CGitServer } from "../helpers/cgit-server.ts";

const dirs: string[] = [];
const scratch = () => {
  const dir = tempDir("reposit-import-e2e-");
  dirs.push(dir);
  return dir;
};

/** Serves `handler` on 127.0.0.1 with node:http (request → Request → handler.fetch → streamed Response). */
async function serveHandler(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    respond(handler, req, res).catch((error) => res.destroy(error as Error));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function respond(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = { method: req.method!, headers };
  if (hasBody) {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  const response = await handler.fetch(new Request(`http://${req.headers.host}${req.url}`, init));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!res.write(chunk)) await once(res, "drain");
    }
  }
  res.end();
}

/** A bare repository of ~200 commits editing a 90 KB file plus an incompressible blob: many deltas, several side-band frames. */
function buildLargeRepo(path: string): void {
  git(["init", "-q", "--bare", "-b", "main", path]);
  const parts: Buffer[] = [];
  const lines = Array.from({ length: 1500 }, (_, i) => `line ${i} ${"abcdefghij".repeat(5)}`);
  const random = Buffer.alloc(600_000);
  let x = 2463534242; // xorshift32: incompressible, so zlib stores it in stored blocks
  for (let i = 0; i < random.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    random[i] = x & 0xff;
  }
  for (let c = 0; c < 200; c++) {
    lines[(c * 37) % lines.length] = `changed in commit ${c}`;
    const content = Buffer.from(lines.join("\n") + "\n");
    const message = `commit ${c}\n`;
    parts.push(Buffer.from(`commit refs/heads/main\nmark :${c + 1}\ncommitter T <t@example.com> ${1_700_000_000 + c * 60} +0000\ndata ${message.length}\n${message}`));
    if (c > 0) parts.push(Buffer.from(`from :${c}\n`));
    parts.push(Buffer.from(`M 644 inline big.txt\ndata ${content.length}\n`), content, Buffer.from("\n"));
    if (c === 100) parts.push(Buffer.from(`M 644 inline random.bin\ndata ${random.length}\n`), random, Buffer.from("\n"));
  }
  git(["fast-import", "--quiet"], { cwd: path, input: Buffer.concat(parts) });
}

/** What `git fetch --depth` makes of `src` (branches and tags): its shallow file and objects. */
function gitShallowFetch(src: string, depth: number, refspecs: string[]): { shallow: string[]; objects: string[] } {
  const dir = join(scratch(), "expected.git");
  git(["init", "-q", "--bare", dir]);
  git(["fetch", "-q", "--no-tags", "--depth", String(depth), `file://${src}`, ...refspecs], { cwd: dir });
  return { shallow: readShallow(dir), objects: allObjects(dir) };
}

function readShallow(gitDir: string): string[] {
  try {
    return readFileSync(join(gitDir, "shallow"), "utf8").split("\n").filter(Boolean).sort();
  } catch {
    return [];
  }
}

const HEADS_AND_TAGS = ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"];

describe("import from C git (git http-backend behind lighttpd)", () => {
  let cgit: CGitServer;
  let handler: Handler;
  let server: { url: string; close(): Promise<void> };
  let repos: string;
  let sample: string;
  let large: string;
  let n = 0;

  before(async () => {
    repos = scratch();
    const work = buildSampleHistory(scratch());
    sample = join(repos, "sample.git");
    git(["clone", "-q", "--mirror", work.dir, sample]); // with refs/notes/commits, which an import skips
    git(["clone", "-q", "--mirror", work.dir, join(repos, "master.git")]);
    git(["branch", "-m", "main", "master"], { cwd: join(repos, "master.git") });
    git(["init", "-q", "--bare", "-b", "trunk", join(repos, "empty.git")]);
    large = join(repos, "large.git");
    buildLargeRepo(large);
    cgit = await startCGitServer(repos);
    handler = createHandler({ store: createMemoryStore(), signingKey: new Uint8Array(32).fill(9), apiToken: "api-token", platform: nodePlatform, log: () => {} });
    server = await serveHandler(handler);
  });

  after(async () => {
    await server?.close();
    await cgit?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Imports into a new repository and clones it back (mirror) with git; returns the clone's git dir. */
  async function importAndClone(source: ImportSource, options: ImportOptions = {}): Promise<{ result: ImportResult; clone: string }> {
    const name = `r${n++}`;
    const { record } = await handler.reposit.createRepo("imp", name);
    const result = await importInto(handler.reposit, record, source, { allowHttpHosts: [cgit.host], ...options });
    const token = await handler.reposit.createToken("imp", name, "read");
    const clone = join(scratch(), `${name}.git`);
    const cloned = await gitAsync(["clone", "-q", "--mirror", withToken(`${server.url}/git/imp/${name}.git`, token.plaintext), clone]);
    assert.equal(cloned.status, 0, cloned.stderr);
    return { result, clone };
  }

  function assertSameAsSource(clone: string, src: string): void {
    assert.deepEqual(refsOf(clone), [...refsOf(src, "refs/heads/"), ...refsOf(src, "refs/tags/")]);
    assert.deepEqual(allObjects(clone), allObjects(src, "--branches", "--tags"));
    const fsck = git(["fsck", "--strict", "--no-progress"], { cwd: clone, allowFail: true });
    assert.equal(fsck.status, 0, fsck.stderr);
  }

  /** Global fetch that records whether discovery was answered with protocol v2. */
  function spyingFetch(versions: string[], strip = false): FetchFunction {
    return async (request) => {
      if (strip) request.headers.delete("Git-Protocol");
      const response = await fetch(request);
      if (request.method === "GET") versions.push((await response.clone().text()).includes("version 2") ? "v2" : "v0");
      return response;
    };
  }

  it("v2: copies every branch and tag (not notes) with every object", async () => {
    const versions: string[] = [];
    const { result, clone } = await importAndClone({ url: `${cgit.url}/sample.git` }, { fetch: spyingFetch(versions) });
    assert.deepEqual(versions, ["v2"]);
    assert.equal(result.defaultBranch, "main");
    assert.equal(result.refs, 7);
    assert.equal(result.source, `git:${cgit.url}/sample.git`);
    assertSameAsSource(clone, sample);
    assert.deepEqual(readShallow(clone), []);
  });

  it("v0: the same when the server speaks v0", async () => {
    const versions: string[] = [];
    const { result, clone } = await importAndClone({ url: `${cgit.url}/sample.git` }, { fetch: spyingFetch(versions, true) });
    assert.deepEqual(versions, ["v0"]);
    assert.equal(result.defaultBranch, "main");
    assertSameAsSource(clone, sample);
  });

  it("accepts the URL without .git", async () => {
    const { result, clone } = await importAndClone({ url: `${cgit.url}/sample` });
    assert.equal(result.source, `git:${cgit.url}/sample.git`);
    assertSameAsSource(clone, sample);
  });

  it("imports a large history (deltas, an incompressible blob, many side-band frames)", async () => {
    for (const strip of [false, true]) {
      const started = performance.now();
      const { result, clone } = await importAndClone({ url: `${cgit.url}/large.git` }, { fetch: spyingFetch([], strip) });
      const ms = performance.now() - started;
      assert.equal(result.objects, allObjects(large).length);
      assertSameAsSource(clone, large);
      console.log(`large import (${strip ? "v0" : "v2"}): ${result.objects} objects, import + clone ${ms.toFixed(0)} ms`);
    }
  });

  it("imports one branch", async () => {
    const { result, clone } = await importAndClone({ url: `${cgit.url}/sample.git`, branch: "side" });
    assert.equal(result.defaultBranch, "side");
    assert.deepEqual(refsOf(clone), refsOf(sample, "refs/heads/side"));
    assert.deepEqual(allObjects(clone), allObjects(sample, "side"));
  });

  for (const depth of [1, 3]) {
    for (const protocol of ["v2", "v0"] as const) {
      it(`${protocol}: depth ${depth} clones shallow at the commits git fetch --depth ${depth} gets`, async () => {
        const expected = gitShallowFetch(sample, depth, HEADS_AND_TAGS);
        const { clone } = await importAndClone({ url: `${cgit.url}/sample.git`, depth }, { fetch: spyingFetch([], protocol === "v0") });
        assert.deepEqual(readShallow(clone), expected.shallow);
        assert.ok(expected.shallow.length > 0);
        assert.deepEqual(allObjects(clone), expected.objects);
        const fsck = git(["fsck", "--strict", "--no-progress"], { cwd: clone, allowFail: true });
        assert.equal(fsck.status, 0, fsck.stderr);
      });
    }
  }

  it("depth with a branch", async () => {
    const expected = gitShallowFetch(sample, 4, ["refs/heads/main:refs/heads/main"]);
    const { clone } = await importAndClone({ url: `${cgit.url}/sample.git`, branch: "main", depth: 4 });
    assert.deepEqual(readShallow(clone), expected.shallow);
    assert.equal(expected.shallow.length, 2);
    assert.deepEqual(allObjects(clone), expected.objects);
  });

  it("reports the remote's master default branch", async () => {
    const { result } = await importAndClone({ url: `${cgit.url}/master.git` });
    assert.equal(result.defaultBranch, "master");
  });

  it("an empty remote gives an empty repository", async () => {
    const { record } = await handler.reposit.createRepo("imp", "empty-target");
    const result = await importInto(handler.reposit, record, { url: `${cgit.url}/empty.git` }, { allowHttpHosts: [cgit.host] });
    // v2 ls-refs reports the unborn HEAD (`unborn HEAD symref-target:refs/heads/trunk`).
    assert.deepEqual(result, { defaultBranch: "trunk", refs: 0, objects: 0, source: `git:${cgit.url}/empty.git` });
  });

  it("maps a missing repository, a missing branch and a refused http host", async () => {
    const { record } = await handler.reposit.createRepo("imp", "failing");
    const attempt = async (source: ImportSource, options: ImportOptions = { allowHttpHosts: [cgit.host] }) => {
      try {
        await importInto(handler.reposit, record, source, options);
      } catch (error) {
        assert.ok(error instanceof ArtifactsError, String(error));
        return `${error.code}: ${error.message}`;
      }
      return "no error";
    };
    assert.equal(await attempt({ url: `${cgit.url}/missing` }), `NOT_FOUND: Repository not found at ${cgit.url}/missing`);
    assert.equal(await attempt({ url: `${cgit.url}/sample.git`, branch: "nope" }), `NOT_FOUND: Branch nope not found in ${cgit.url}/sample.git`);
    assert.equal(await attempt({ url: `${cgit.url}/sample.git` }, {}), "INVALID_INPUT: Must be an HTTPS URL");
    // Nothing listens on this port: a network failure.
    assert.equal(await attempt({ url: "http://127.0.0.1:9/x.git" }, { allowHttpHosts: ["127.0.0.1:9"] }), "UPSTREAM_UNAVAILABLE: The upstream service is unavailable. Please retry.");
  });
});
