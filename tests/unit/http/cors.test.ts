/**
 * CORS (src/http/cors.ts) on its own and wired into the fetch handler: preflights from allowed and
 * refused origins, headers on actual responses (including errors and unknown paths), "*", the
 * base path, paths outside git and REST, and origin parsing for REPOSIT_CORS_ORIGINS.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createCors, normalizeOrigin, parseCorsOrigins } from "../../../src/http/cors.ts";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";

const APP = "http://127.0.0.1:5173";
const OTHER = "http://127.0.0.1:6000";
const INFO_REFS = "http://127.0.0.1:8787/git/ns/repo.git/info/refs?service=git-upload-pack";
const REPOS = "http://127.0.0.1:8787/client/v4/accounts/a/artifacts/namespaces/ns/repos";

function preflight(url: string, origin: string | null, method = "GET", headers = "authorization"): Request {
  const h: Record<string, string> = {};
  if (origin !== null) h["Origin"] = origin;
  if (method) h["Access-Control-Request-Method"] = method;
  if (headers) h["Access-Control-Request-Headers"] = headers;
  return new Request(url, { method: "OPTIONS", headers: h });
}

function corsHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((k) => k.startsWith("access-control-")).sort();
}

describe("normalizeOrigin and parseCorsOrigins", () => {
  it("normalizes scheme and host case, default ports and one trailing slash", () => {
    assert.equal(normalizeOrigin("HTTPS://App.Example/"), "https://app.example");
    assert.equal(normalizeOrigin("http://127.0.0.1:80"), "http://127.0.0.1");
    assert.equal(normalizeOrigin("http://[::1]:8080"), "http://[::1]:8080");
    assert.equal(normalizeOrigin(" * "), "*");
  });

  it("refuses anything that is not exactly an origin", () => {
    for (const bad of ["", "null", "app.example", "ftp://a.example", "http://a.example/path", "http://a.example/?q", "http://a.example#x", "http://u:p@a.example", "https://*.example"]) {
      assert.throws(() => normalizeOrigin(bad), (e: unknown) => e instanceof TypeError && /^Invalid CORS origin ".*": expected "\*" or scheme:\/\/host\[:port\]/.test(e.message), bad);
    }
  });

  it("splits a comma-separated list, dropping blanks and duplicates", () => {
    assert.deepEqual(parseCorsOrigins(undefined), []);
    assert.deepEqual(parseCorsOrigins(""), []);
    assert.deepEqual(parseCorsOrigins(` ${APP}, ,https://a.example,${APP}/ `), [APP, "https://a.example"]);
    assert.throws(() => parseCorsOrigins(`${APP},bad`), TypeError);
  });

  it("round-trips every http(s) origin a URL can serialize", () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: false, withFragments: false }), (url) => {
        const origin = new URL(url).origin;
        assert.equal(normalizeOrigin(origin), origin);
        assert.equal(normalizeOrigin(origin + "/"), origin);
      }),
      { numRuns: 100 },
    );
  });
});

describe("createCors", () => {
  const cors = createCors({ origins: [APP] });

  it("answers a preflight from an allowed origin with 204 and the allow headers", () => {
    const response = cors.preflight(preflight(INFO_REFS, APP, "GET", "authorization,git-protocol"))!;
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), APP);
    assert.equal(response.headers.get("access-control-allow-methods"), "GET, POST, DELETE, OPTIONS");
    assert.equal(response.headers.get("access-control-allow-headers"), "Authorization, Content-Type, Git-Protocol, User-Agent, Accept");
    assert.equal(response.headers.get("access-control-max-age"), "600");
    assert.equal(response.headers.get("vary"), "Origin");
    assert.equal(response.headers.get("access-control-allow-credentials"), null);
  });

  it("refuses a preflight from another origin with 403 and no CORS headers", async () => {
    for (const url of [INFO_REFS, REPOS]) {
      const response = cors.preflight(preflight(url, OTHER, "POST"))!;
      assert.equal(response.status, 403);
      assert.deepEqual(corsHeaders(response), []);
      assert.equal(await response.text(), `Origin "${OTHER}" is not allowed: expected one of the configured CORS origins (REPOSIT_CORS_ORIGINS)\n`);
    }
  });

  it("answers a plain OPTIONS (no Origin) with Allow and leaves other methods and paths alone", () => {
    const plain = cors.preflight(preflight(INFO_REFS, null, ""))!;
    assert.equal(plain.status, 204);
    assert.equal(plain.headers.get("allow"), "GET, POST, DELETE, OPTIONS");
    assert.deepEqual(corsHeaders(plain), []);
    assert.equal(cors.preflight(new Request(INFO_REFS, { headers: { Origin: APP } })), null);
    assert.equal(cors.preflight(preflight("http://127.0.0.1:8787/console", APP)), null);
    assert.equal(cors.preflight(preflight("http://127.0.0.1:8787/gitx/ns", APP)), null);
  });

  it("decorates actual responses for an allowed origin only", () => {
    const allowed = cors.apply(new Request(INFO_REFS, { headers: { Origin: APP } }), new Response("x", { status: 401, headers: { "WWW-Authenticate": "Basic" } }));
    assert.equal(allowed.headers.get("access-control-allow-origin"), APP);
    assert.equal(allowed.headers.get("access-control-expose-headers"), "Content-Type, Content-Length, WWW-Authenticate, Retry-After, X-Content-Type-Options");
    assert.equal(allowed.headers.get("vary"), "Origin");
    const refused = cors.apply(new Request(REPOS, { headers: { Origin: OTHER } }), new Response("x"));
    assert.deepEqual(corsHeaders(refused), []);
    assert.equal(refused.headers.get("vary"), "Origin");
    const sameOrigin = cors.apply(new Request(REPOS), new Response("x", { headers: { Vary: "Accept" } }));
    assert.deepEqual(corsHeaders(sameOrigin), []);
    assert.equal(sameOrigin.headers.get("vary"), "Accept, Origin");
    const consolePage = cors.apply(new Request("http://127.0.0.1:8787/console", { headers: { Origin: APP } }), new Response("x"));
    assert.deepEqual(corsHeaders(consolePage), []);
    assert.equal(consolePage.headers.get("vary"), null);
  });

  it("copies a response whose headers are immutable", async () => {
    const immutable = Response.redirect("http://127.0.0.1:8787/elsewhere", 302);
    const out = cors.apply(new Request(INFO_REFS, { headers: { Origin: APP } }), immutable);
    assert.equal(out.status, 302);
    assert.equal(out.headers.get("location"), "http://127.0.0.1:8787/elsewhere");
    assert.equal(out.headers.get("access-control-allow-origin"), APP);
  });

  it("answers \"*\" literally for any origin, without Vary", () => {
    const any = createCors({ origins: ["*"] });
    const pre = any.preflight(preflight(REPOS, "https://anything.example", "DELETE"))!;
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    const actual = any.apply(new Request(REPOS, { headers: { Origin: "https://x.example" } }), new Response("x"));
    assert.equal(actual.headers.get("access-control-allow-origin"), "*");
    assert.equal(actual.headers.get("vary"), null);
  });

  it("with no origins configured, refuses every preflight and adds nothing", () => {
    const none = createCors({ origins: [] });
    assert.equal(none.preflight(preflight(INFO_REFS, APP))!.status, 403);
    const response = new Response("x");
    assert.equal(none.apply(new Request(INFO_REFS, { headers: { Origin: APP } }), response), response);
    assert.deepEqual(corsHeaders(response), []);
    assert.equal(response.headers.get("vary"), null);
  });

  it("covers only the paths under the base path", () => {
    const mounted = createCors({ origins: [APP], basePath: "/svc/" });
    assert.equal(mounted.preflight(preflight("http://h/svc/git/ns/r.git/info/refs", APP))!.status, 204);
    assert.equal(mounted.preflight(preflight("http://h/svc/client/v4/accounts/a/artifacts/namespaces", APP))!.status, 204);
    assert.equal(mounted.preflight(preflight("http://h/git/ns/r.git/info/refs", APP)), null);
  });
});

describe("CORS through createHandler", () => {
  const handler = createHandler({ store: createMemoryStore(), signingKey: new Uint8Array(32).fill(3), apiToken: "t", corsOrigins: [APP], log: () => {} });

  it("answers the preflight before routing and exposes error responses to the allowed origin", async () => {
    const pre = await handler.fetch(preflight(INFO_REFS, APP, "GET", "authorization"));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), APP);
    const challenged = await handler.fetch(new Request(INFO_REFS, { headers: { Origin: APP } }));
    assert.equal(challenged.status, 401); // no credentials: the challenge, whether or not the repository exists
    assert.equal(challenged.headers.get("access-control-allow-origin"), APP);
    const unauthorized = await handler.fetch(new Request(REPOS, { headers: { Origin: APP } }));
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get("access-control-allow-origin"), APP);
    assert.match(unauthorized.headers.get("access-control-expose-headers")!, /WWW-Authenticate/);
    const unknown = await handler.fetch(new Request("http://127.0.0.1:8787/git/nothing", { headers: { Origin: APP } }));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get("access-control-allow-origin"), APP);
  });

  it("sends no CORS headers to a refused origin", async () => {
    const response = await handler.fetch(new Request(REPOS, { headers: { Origin: OTHER, Authorization: "Bearer t" } }));
    assert.equal(response.status, 200);
    assert.deepEqual(corsHeaders(response), []);
    assert.equal((await handler.fetch(preflight(REPOS, OTHER))).status, 403);
  });

  it("refuses preflights when no origin is configured (the default)", async () => {
    const plain = createHandler({ store: createMemoryStore(), signingKey: new Uint8Array(32).fill(3), apiToken: "t", log: () => {} });
    const pre = await plain.fetch(preflight(REPOS, APP));
    assert.equal(pre.status, 403);
    assert.deepEqual(corsHeaders(pre), []);
    const actual = await plain.fetch(new Request(REPOS, { headers: { Origin: APP, Authorization: "Bearer t" } }));
    assert.equal(actual.status, 200);
    assert.deepEqual(corsHeaders(actual), []);
    assert.equal(actual.headers.get("vary"), null);
  });
});
