/**
 * Rate limits against a live server: a flood of requests without valid credentials (none, garbage,
 * another repository's token, a wrong API token) must not lock a repository's or namespace's real
 * users out. Floods are throttled in a budget of their own (429 for bad credentials); git, which
 * sends credentials only after a 401 challenge, still gets its challenge and then gets through.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, scratchDirs, withToken } from "../helpers/git.ts";

const NS = "flood";
/** Small enough to flood quickly, a window long enough not to roll over during the test. */
const LIMIT = 30;

let server: TestServer;
let rest: Rest;
let repo: { remote: string; token: string };
let foreignToken: string;
const { scratch, removeAll: removeScratch } = scratchDirs();

before(async () => {
  server = await startServer({ env: { REPOSIT_RATE_LIMIT: `${LIMIT}/600` } });
  rest = new Rest(server.url, server.apiToken);
  repo = await rest.createRepo(NS, "B");
  foreignToken = (await rest.createRepo(NS, "C")).token;
  const source = join(scratch(), "src");
  git(["init", "-q", "-b", "main", source]);
  commitFile(source, "README.md", "flooded\n");
  git(["push", "-q", withToken(repo.remote, repo.token), "main"], { cwd: source });
});

after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

async function statusOf(url: string, authorization?: string): Promise<number> {
  const response = await fetch(url, authorization ? { headers: { Authorization: authorization } } : {});
  await response.arrayBuffer();
  return response.status;
}

const basic = (password: string) => "Basic " + Buffer.from(`x:${password}`).toString("base64");

/** git with the token from a credential helper: it asks only after the server's 401 challenge. */
function helperArgs(token: string): string[] {
  return ["-c", "credential.helper=", "-c", `credential.helper=!f() { echo username=x; echo password=${token}; }; f`];
}

describe("rate limits under a flood of unauthenticated requests", () => {
  it("git users still clone and push after floods without credentials and with bad or foreign tokens", async () => {
    const infoRefs = `${repo.remote}/info/refs?service=git-upload-pack`;
    const none: number[] = [];
    const bad: number[] = [];
    for (let i = 0; i < LIMIT * 2; i++) none.push(await statusOf(infoRefs));
    for (let i = 0; i < LIMIT; i++) bad.push(await statusOf(infoRefs, basic(i % 2 ? "garbage" : foreignToken)));
    assert.deepEqual(new Set(none), new Set([401]), "requests without credentials always get the challenge");
    assert.ok(bad.every((s) => s === 429), `bad tokens are throttled once the anonymous budget is used: ${bad.join(",")}`);

    const clone = join(scratch(), "clone");
    const cloned = git([...helperArgs(repo.token), "clone", "-q", repo.remote, clone], { allowFail: true });
    assert.equal(cloned.status, 0, cloned.stderr);
    commitFile(clone, "more.txt", "still here\n");
    const pushed = git([...helperArgs(repo.token), "push", "-q", "origin", "main"], { cwd: clone, allowFail: true });
    assert.equal(pushed.status, 0, pushed.stderr);
    const listed = git(["ls-remote", withToken(repo.remote, repo.token), "refs/heads/main"], { allowFail: true });
    assert.equal(listed.status, 0, listed.stderr);
  });

  it("the control plane still answers the API token after a flood of wrong API tokens", async () => {
    const list = `${rest.base}/namespaces/${NS}/repos`;
    const wrong: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) wrong.push(await statusOf(list, "Bearer not-the-api-token"));
    assert.deepEqual(wrong.slice(0, LIMIT), Array(LIMIT).fill(401));
    assert.deepEqual(wrong.slice(LIMIT), Array(5).fill(429));
    const { status, body } = await rest.call("GET", `/namespaces/${NS}/repos`);
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.ok(await rest.token(NS, "B", "read"));
  });
});
