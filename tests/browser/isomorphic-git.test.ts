/**
 * Browser git over CORS (run by Node: `node --import tsx --test tests/browser/isomorphic-git.test.ts`).
 * A Reposit server allows exactly one origin (REPOSIT_CORS_ORIGINS), a static page server on another
 * 127.0.0.1 port. A page from that origin runs isomorphic-git in Chromium: it clones (the first
 * request gets 401 and onAuth supplies the token as the Basic password), commits with a fixed author
 * and time, and pushes. The git CLI then clones and must find that commit under the same id, the id
 * `git commit-tree` gives the same tree, parent, author and message. A page from a second origin,
 * not allowed, can read nothing: its requests fail in the browser with a CORS error, and the server
 * sends that origin no CORS headers. Screenshots go to .cache/test-results/.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ROOT, startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, tempDir, withToken } from "../helpers/git.ts";
import { bundlePage, corsHeaderNames, launchChromium, screenshot, startStatic, type StaticServer } from "./helpers.ts";
import type { CloneCommitPushOptions, CloneCommitPushResult, ProbeResult } from "./page/app.ts";

interface PageApi {
  cloneCommitPush(options: CloneCommitPushOptions): Promise<CloneCommitPushResult>;
  probe(url: string, token: string): Promise<ProbeResult>;
  fetchWithAuth(url: string, token: string): Promise<ProbeResult>;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>isomorphic-git against Reposit</title></head>
<body><h1>isomorphic-git against Reposit</h1><p id="status">loading</p><pre id="log"></pre>
<script src="/app.js"></script></body></html>`;

const AUTHOR = { name: "Browser Author", email: "browser@example.com", timestamp: 1_700_000_000 };
const MESSAGE = "Commit from the browser\n\nMade by isomorphic-git in Chromium.";

let server: TestServer;
let allowed: StaticServer;
let refused: StaticServer;
let browser: Browser;
let rest: Rest;
let remote: string;
let token: string;
let seed: string;
const temps: string[] = [];

async function openPage(site: StaticServer): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("ready"));
  return page;
}

before(async () => {
  const files: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", PAGE],
    "/app.js": ["text/javascript; charset=utf-8", await bundlePage(join(ROOT, "tests/browser/page/app.ts"), "isomorphic-git-page")],
  };
  allowed = await startStatic(files);
  refused = await startStatic(files);
  server = await startServer({ env: { REPOSIT_CORS_ORIGINS: allowed.origin } });
  rest = new Rest(server.url, server.apiToken);
  const created = await rest.createRepo("browser", "iso");
  remote = created.remote;
  token = created.token;
  // Seed the repository with the git CLI, so the browser clones real history.
  const dir = tempDir();
  temps.push(dir);
  git(["init", "-q", "-b", "main", dir]);
  seed = commitFile(dir, "README.md", "seeded by git\n", "seed");
  git(["push", "-q", withToken(remote, token), "main"], { cwd: dir });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  await allowed?.close();
  await refused?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("isomorphic-git in Chromium, cross-origin", () => {
  it("clones, commits and pushes from an allowed origin; git finds the same commit", async () => {
    assert.notEqual(new URL(remote).origin, allowed.origin, "the page must be cross-origin");
    const page = await openPage(allowed);
    const result = await page.evaluate(
      (options) => (window as unknown as { reposit: PageApi }).reposit.cloneCommitPush(options),
      { url: remote, token, file: "from-browser.txt", content: "written in Chromium\n", message: MESSAGE, author: AUTHOR },
    );
    await screenshot(page, "isomorphic-git-allowed");
    await page.close();
    assert.equal(result.pushError, null);
    assert.equal(result.pushed, true);
    assert.equal(result.parent, seed);
    assert.match(result.oid, /^[0-9a-f]{40}$/);
    assert.ok(result.authCalls >= 1, "the first request is refused with 401 and onAuth supplies the token");

    const dir = tempDir();
    temps.push(dir);
    git(["clone", "-q", withToken(remote, token), dir]);
    assert.equal(git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim(), result.oid);
    assert.equal(git(["rev-parse", "HEAD^"], { cwd: dir }).stdout.trim(), seed);
    assert.equal(readFileSync(join(dir, "from-browser.txt"), "utf8"), "written in Chromium\n");
    git(["fsck", "--strict"], { cwd: dir });
    // The commit is exactly what was asked for, and git itself makes the same one under the same id.
    const when = `${AUTHOR.timestamp} +0000`;
    const ident = `${AUTHOR.name} <${AUTHOR.email}> ${when}`;
    const tree = git(["rev-parse", "HEAD^{tree}"], { cwd: dir }).stdout.trim();
    assert.equal(git(["cat-file", "commit", "HEAD"], { cwd: dir }).stdout, `tree ${tree}\nparent ${seed}\nauthor ${ident}\ncommitter ${ident}\n\n${MESSAGE}\n`);
    const again = git(["commit-tree", tree, "-p", seed, "-F", "-"], {
      cwd: dir,
      input: `${MESSAGE}\n`,
      env: { GIT_AUTHOR_NAME: AUTHOR.name, GIT_AUTHOR_EMAIL: AUTHOR.email, GIT_AUTHOR_DATE: when, GIT_COMMITTER_NAME: AUTHOR.name, GIT_COMMITTER_EMAIL: AUTHOR.email, GIT_COMMITTER_DATE: when },
    });
    assert.equal(again.stdout.trim(), result.oid);
  });

  it("answers the allowed origin with CORS headers", async () => {
    const response = await fetch(`${remote}/info/refs?service=git-upload-pack`, { headers: { Origin: allowed.origin, Authorization: `Basic ${btoa(`x:${token}`)}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), allowed.origin);
    assert.match(response.headers.get("vary") ?? "", /Origin/);
    const preflight = await fetch(`${remote}/git-receive-pack`, {
      method: "OPTIONS",
      headers: { Origin: allowed.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), allowed.origin);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization, Content-Type/);
  });

  it("lets a page from another origin read nothing", async () => {
    const page = await openPage(refused);
    const failed: string[] = [];
    page.on("requestfailed", (request) => failed.push(`${request.method()} ${new URL(request.url()).pathname} ${request.failure()?.errorText ?? ""}`));
    const logs: string[] = [];
    page.on("console", (message) => logs.push(message.text()));
    const api = (fn: "probe" | "fetchWithAuth", url: string) =>
      page.evaluate(([f, u, t]) => (window as unknown as { reposit: PageApi }).reposit[f as "probe"](u!, t!), [fn, url, token] as const);
    const probed = await api("probe", remote);
    const fetched = await api("fetchWithAuth", `${remote}/info/refs?service=git-upload-pack`);
    await screenshot(page, "isomorphic-git-refused");
    await page.close();

    // isomorphic-git's first request is a simple GET (no preflight): the server answers 401 but
    // without CORS headers, so the browser hides even the status and fetch rejects.
    assert.equal(probed.ok, false);
    assert.match(probed.error ?? "", /Failed to fetch/);
    assert.equal(fetched.ok, false);
    assert.match(fetched.error ?? "", /Failed to fetch/);
    assert.ok(failed.some((f) => f.startsWith("GET /git/browser/iso.git/info/refs")), failed.join("\n"));
    assert.ok(logs.some((l) => /CORS policy/.test(l)), logs.join("\n"));

    // What the server sent that origin: no CORS headers on the answer, 403 on the preflight.
    const simple = await fetch(`${remote}/info/refs?service=git-upload-pack`, { headers: { Origin: refused.origin } });
    assert.equal(simple.status, 401);
    assert.deepEqual(corsHeaderNames(simple), []);
    const authed = await fetch(`${remote}/info/refs?service=git-upload-pack`, { headers: { Origin: refused.origin, Authorization: `Basic ${btoa(`x:${token}`)}` } });
    assert.equal(authed.status, 200);
    assert.deepEqual(corsHeaderNames(authed), []);
    const preflight = await fetch(`${remote}/info/refs?service=git-upload-pack`, {
      method: "OPTIONS",
      headers: { Origin: refused.origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    assert.equal(preflight.status, 403);
    assert.deepEqual(corsHeaderNames(preflight), []);
  });
});
