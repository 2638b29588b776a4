/**
 * The web console's routes (src/http/console-routes.ts) and assets (src/console/): off unless
 * enabled, the right content types, a strict CSP with nothing inline for it to forbid, a script
 * that parses and never writes markup, base path and account id carried (escaped) in the page; and
 * the server configuration that turns the console on for loopback hosts only.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { CONSOLE_CSP } from "../../../src/http/console-routes.ts";
import { CONSOLE_SCRIPT } from "../../../src/console/console-script.ts";
import { consolePage, escapeHtml } from "../../../src/console/console-page.ts";
import { isLoopbackHost, loadServerConfig } from "../../../adapters/shared/server-config.ts";

const base = { store: createMemoryStore(), signingKey: new Uint8Array(32).fill(5), apiToken: "t", log: () => {} };

describe("console routes", () => {
  it("are absent unless enabled", async () => {
    const off = createHandler(base);
    for (const path of ["/console", "/console/app.js", "/console/app.css"]) {
      assert.equal((await off.fetch(new Request(`http://127.0.0.1/${path.slice(1)}`))).status, 404, path);
    }
  });

  it("serve the page, script and stylesheet with their types and the CSP", async () => {
    const on = createHandler({ ...base, console: true, corsOrigins: ["http://127.0.0.1:9"] });
    const expected: [string, string][] = [
      ["/console", "text/html; charset=utf-8"],
      ["/console/", "text/html; charset=utf-8"],
      ["/console/app.js", "text/javascript; charset=utf-8"],
      ["/console/app.css", "text/css; charset=utf-8"],
    ];
    for (const [path, type] of expected) {
      const response = await on.fetch(new Request(`http://127.0.0.1${path}`, { headers: { Origin: "http://127.0.0.1:9" } }));
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), type, path);
      assert.equal(response.headers.get("content-security-policy"), CONSOLE_CSP, path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      // Same-origin pages: no CORS headers even for a configured origin.
      assert.equal(response.headers.get("access-control-allow-origin"), null, path);
      assert.ok((await response.text()).length > 100, path);
    }
    assert.equal((await on.fetch(new Request("http://127.0.0.1/console/other.js"))).status, 404);
  });

  it("use a CSP without inline code, and a page with nothing inline", () => {
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
    assert.match(CONSOLE_CSP, /style-src 'self'(;|$)/);
    assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe/);
    const page = consolePage({ basePath: "", accountId: "default" });
    assert.deepEqual(page.match(/<script[^>]*>/g), ['<script src="/console/app.js" defer>']);
    assert.match(page, /<script src="\/console\/app.js" defer><\/script>/);
    assert.doesNotMatch(page, /<style|\sstyle=|\son[a-z]+=/i);
  });

  it("carry the base path and account id, escaped", async () => {
    const mounted = createHandler({ ...base, console: true, basePath: "/svc", accountId: 'a"<b>' });
    const html = await (await mounted.fetch(new Request("http://127.0.0.1/svc/console"))).text();
    assert.match(html, /<html lang="en" data-base-path="\/svc" data-account="a&quot;&lt;b&gt;">/);
    assert.match(html, /href="\/svc\/console\/app.css"/);
    assert.match(html, /src="\/svc\/console\/app.js"/);
    assert.equal(escapeHtml(`<&>"'`), "&lt;&amp;&gt;&quot;&#39;");
  });

  it("serve a script that parses and never builds markup from strings", () => {
    assert.doesNotThrow(() => new Function(CONSOLE_SCRIPT));
    assert.doesNotMatch(CONSOLE_SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    assert.match(CONSOLE_SCRIPT, /^\(function \(\) \{\n"use strict";/);
    assert.match(CONSOLE_SCRIPT, /\nstart\(\);\n\}\)\(\);\n$/);
    // Every REST path the console calls exists under the Artifacts base.
    assert.match(CONSOLE_SCRIPT, /"\/client\/v4\/accounts\/" \+ enc\(s\.account\) \+ "\/artifacts"/);
  });
});

describe("console configuration", () => {
  const dirs: string[] = [];
  const load = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "reposit-console-"));
    dirs.push(dir);
    return loadServerConfig({ REPOSIT_DATA: dir, REPOSIT_API_TOKEN: "t", REPOSIT_SIGNING_KEY: "k".repeat(43) + "A", ...env });
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("knows loopback hosts", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com", "127.0.0.1.example.com", "localhost.example"]) assert.equal(isLoopbackHost(host), false, host);
  });

  it("turns the console on for loopback hosts and off otherwise, unless REPOSIT_CONSOLE says", () => {
    assert.equal(load({}).console, true);
    assert.equal(load({ HOST: "0.0.0.0" }).console, false);
    assert.equal(load({ HOST: "0.0.0.0", REPOSIT_CONSOLE: "1" }).console, true);
    assert.equal(load({ HOST: "localhost", REPOSIT_CONSOLE: "0" }).console, false);
    assert.throws(() => load({ REPOSIT_CONSOLE: "yes" }), /^Error: Invalid REPOSIT_CONSOLE "yes": expected 1 or 0$/);
  });

  it("reads REPOSIT_CORS_ORIGINS", () => {
    assert.deepEqual(load({}).corsOrigins, []);
    assert.deepEqual(load({ REPOSIT_CORS_ORIGINS: "http://127.0.0.1:5173/, https://app.example" }).corsOrigins, ["http://127.0.0.1:5173", "https://app.example"]);
    assert.throws(() => load({ REPOSIT_CORS_ORIGINS: "app.example" }), /Invalid CORS origin "app.example"/);
  });
});
