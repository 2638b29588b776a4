import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RateLimiter, rateLimitKey } from "../../../src/http/rate-limit.ts";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";

describe("RateLimiter", () => {
  it("allows the limit per window and key, then asks to wait until the window ends", () => {
    let now = 10_000;
    const limiter = new RateLimiter({ requests: 3, windowMs: 10_000 }, () => now);
    assert.deepEqual([0, 1, 2].map(() => limiter.take("a")), [0, 0, 0]);
    assert.equal(limiter.take("a"), 10);
    assert.equal(limiter.take("b"), 0, "another key has its own budget");
    now += 9_500;
    assert.equal(limiter.take("a"), 1);
  });

  it("weights the previous window so a burst at a boundary cannot double the rate", () => {
    let now = 0;
    const limiter = new RateLimiter({ requests: 10, windowMs: 1000 }, () => now);
    now = 999;
    for (let i = 0; i < 10; i++) assert.equal(limiter.take("k"), 0);
    now = 1000; // new window, but the previous one still counts fully
    assert.ok(limiter.take("k") > 0);
    now = 1900; // 10% of the previous window still overlaps: one request's worth is left... nine allowed
    let allowed = 0;
    while (limiter.take("k") === 0) allowed++;
    assert.equal(allowed, 9);
  });
});

describe("rateLimitKey", () => {
  it("limits git routes per repository and REST per namespace", () => {
    assert.equal(rateLimitKey("/git/NS/Repo.git/info/refs", ""), "git:ns/repo");
    assert.equal(rateLimitKey("/git/ns/repo/git-upload-pack", ""), "git:ns/repo");
    assert.equal(rateLimitKey("/client/v4/accounts/a/artifacts/namespaces/team/repos", ""), "ns:team");
    assert.equal(rateLimitKey("/client/v4/accounts/a/artifacts/namespaces", ""), "control");
    assert.equal(rateLimitKey("/svc/git/ns/r.git/info/refs", "/svc"), "git:ns/r");
    assert.equal(rateLimitKey("/console", ""), null);
  });

  it("gives every spelling of one repository or namespace the same key: percent-encoded, any case", () => {
    for (const path of ["/git/ns1/B.git/info/refs", "/git/ns1/%42.git/info/refs", "/git/%6es1/b.git/info/refs", "/git/NS1/b/git-upload-pack", "/git/%4E%53%31/%62%2Egit/info/refs", "/git/ns1/B%2egit/info/refs"]) {
      assert.equal(rateLimitKey(path, ""), "git:ns1/b", path);
    }
    assert.equal(rateLimitKey("/client/v4/accounts/a/artifacts/namespaces/%6Es1/repos", ""), "ns:ns1");
    assert.equal(rateLimitKey("/client/v4/accounts/a/artifacts/namespaces/NS1", ""), "ns:ns1");
  });

  it("does not throw on bad percent-encoding, and gives such paths one key of their own", () => {
    const git = rateLimitKey("/git/%ZZ/A.git/info/refs", "");
    assert.equal(rateLimitKey("/git/ns1/%E0%A4%A.git/info/refs", ""), git);
    assert.ok(git !== null && git.startsWith("git:") && !/^git:[a-z0-9._-]+\/[a-z0-9._-]+$/.test(git), String(git));
    const ns = rateLimitKey("/client/v4/accounts/a/artifacts/namespaces/%ZZ/repos", "");
    assert.ok(ns !== null && ns.startsWith("ns:") && ns !== "ns:%zz", String(ns));
  });
});

const SIGNING_KEY = new Uint8Array(32).fill(7);
const API_TOKEN = "the-api-token";
const REST = "http://x/client/v4/accounts/a/artifacts/namespaces";

/** A handler with a small limit and a clock the test moves; `ns1/B` exists with a write token. */
async function limitedHandler(requests: number) {
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const logged: string[] = [];
  const handler = createHandler({
    store: createMemoryStore(),
    signingKey: SIGNING_KEY,
    apiToken: API_TOKEN,
    rateLimit: { requests, windowMs: 10_000 },
    now: () => clock.ms,
    log: (level, message) => logged.push(`${level} ${message}`),
  });
  const { token } = await handler.reposit.createRepo("ns1", "B");
  return { handler, clock, logged, token: token.plaintext };
}

function basic(secret: string): Record<string, string> {
  return { Authorization: `Basic ${btoa(`x:${secret}`)}` };
}

function infoRefs(handler: { fetch(r: Request): Promise<Response> }, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return handler.fetch(new Request(`http://x/git/${path}/info/refs?service=git-upload-pack`, { headers }));
}

describe("handler rate limiting: authenticated and anonymous budgets", () => {
  it("a flood without credentials does not make the repository's owner wait (git)", async () => {
    const { handler, token } = await limitedHandler(5);
    for (let i = 0; i < 50; i++) await (await infoRefs(handler, "ns1/B.git")).arrayBuffer();
    const owner = await infoRefs(handler, "ns1/B.git", basic(token));
    assert.equal(owner.status, 200, "a valid token is served after 50 anonymous requests");
    await owner.arrayBuffer();
  });

  it("a flood of bad tokens is throttled with 429 + Retry-After, the owner is not (git)", async () => {
    const { handler, token } = await limitedHandler(5);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await infoRefs(handler, "ns1/B.git", basic(`${token.slice(0, 20)}x${token.slice(21)}`));
      statuses.push(response.status);
      if (response.status === 429) {
        assert.ok(Number(response.headers.get("retry-after")) >= 1);
        assert.match(await response.text(), /^Too many requests: retry in \d+ s\n$/);
      } else await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429, 429, 429]);
    // Garbage and another repository's valid token count as anonymous too.
    assert.equal((await infoRefs(handler, "ns1/B.git", basic("garbage"))).status, 429);
    const { token: foreign } = await handler.reposit.createRepo("ns1", "C");
    assert.equal((await infoRefs(handler, "ns1/B.git", basic(foreign.plaintext))).status, 429);
    const owner = await infoRefs(handler, "ns1/B.git", basic(token));
    assert.equal(owner.status, 200);
    await owner.arrayBuffer();
  });

  it("counts authenticated requests in the repository's budget: 429 + Retry-After over it, and a new window serves again", async () => {
    const { handler, clock, token } = await limitedHandler(3);
    for (let i = 0; i < 3; i++) {
      const ok = await infoRefs(handler, "ns1/B.git", basic(token));
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
    }
    const limited = await infoRefs(handler, "ns1/B.git", basic(token));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    clock.ms += 20_000;
    const again = await infoRefs(handler, "ns1/B.git", basic(token));
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  });

  it("every spelling of a repository draws from one budget (percent-encoding, case)", async () => {
    const { handler, token } = await limitedHandler(4);
    for (const path of ["ns1/B.git", "ns1/%42.git", "%6es1/b.git", "NS1/%62"]) {
      const ok = await infoRefs(handler, path, basic(token));
      assert.equal(ok.status, 200, path);
      await ok.arrayBuffer();
    }
    assert.equal((await infoRefs(handler, "Ns1/%42%2Egit", basic(token))).status, 429);
  });

  it("over the anonymous budget, a request without credentials still gets the 401 challenge git needs", async () => {
    const { handler } = await limitedHandler(2);
    for (let i = 0; i < 5; i++) await (await infoRefs(handler, "ns1/B.git")).arrayBuffer();
    const challenged = await infoRefs(handler, "ns1/B.git");
    assert.equal(challenged.status, 401);
    assert.match(challenged.headers.get("www-authenticate") ?? "", /^Basic /);
    await challenged.arrayBuffer();
  });

  it("anonymous requests of one repository do not use up another's anonymous budget", async () => {
    const { handler } = await limitedHandler(2);
    await handler.reposit.createRepo("ns1", "C");
    for (let i = 0; i < 5; i++) await (await infoRefs(handler, "ns1/B.git", basic("bad"))).arrayBuffer();
    assert.equal((await infoRefs(handler, "ns1/B.git", basic("bad"))).status, 429);
    assert.equal((await infoRefs(handler, "ns1/C.git", basic("bad"))).status, 403);
  });

  it("a flood with wrong API tokens does not make the control plane wait; it is throttled itself (REST)", async () => {
    const { handler } = await limitedHandler(3);
    const list = (token: string) => handler.fetch(new Request(`${REST}/ns1/repos`, { headers: { Authorization: `Bearer ${token}` } }));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await list("wrong")).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
    const limited = await list("wrong");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    const body = await limited.json();
    assert.equal(body.errors[0].code, 10429);
    const missing = await handler.fetch(new Request(`${REST}/ns1/repos`));
    assert.equal(missing.status, 429, "no Authorization header counts as anonymous too");
    assert.equal((await list(API_TOKEN)).status, 200, "the real token still works");
    assert.equal((await list(API_TOKEN)).status, 200);
    assert.equal((await list(API_TOKEN)).status, 200);
    assert.equal((await list(API_TOKEN)).status, 429, "and has its own budget");
    const spelled = await handler.fetch(new Request(`${REST}/%6Es1/repos`, { headers: { Authorization: `Bearer ${API_TOKEN}` } }));
    assert.equal(spelled.status, 429, "a percent-encoded namespace is the same namespace");
  });

  it("requests no route authenticates (unknown paths, bad requests) count as anonymous", async () => {
    const { handler, token } = await limitedHandler(2);
    for (let i = 0; i < 3; i++) await handler.fetch(new Request("http://x/git/ns1/B.git/HEAD"));
    assert.equal((await handler.fetch(new Request("http://x/git/ns1/B.git/HEAD"))).status, 429);
    const bad = await handler.fetch(new Request("http://x/git/ns1/B.git/info/refs?service=nope", { headers: basic(token) }));
    assert.equal(bad.status, 429);
    const owner = await infoRefs(handler, "ns1/B.git", basic(token));
    assert.equal(owner.status, 200);
    await owner.arrayBuffer();
  });

  it("keeps CORS headers on 429 answers", async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    const handler = createHandler({
      store: createMemoryStore(),
      signingKey: SIGNING_KEY,
      apiToken: API_TOKEN,
      rateLimit: { requests: 1, windowMs: 10_000 },
      now: () => clock.ms,
      corsOrigins: ["https://app.example"],
    });
    const call = () => handler.fetch(new Request(`${REST}/ns1/repos`, { headers: { Authorization: "Bearer wrong", Origin: "https://app.example" } }));
    assert.equal((await call()).status, 401);
    const limited = await call();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("access-control-allow-origin"), "https://app.example");
  });
});

describe("handler rate limiting", () => {
  it("answers 429 with Retry-After and the v4 envelope once a namespace is over its limit", async () => {
    const handler = createHandler({
      store: createMemoryStore(),
      signingKey: new Uint8Array(32).fill(7),
      apiToken: "t",
      rateLimit: { requests: 2, windowMs: 60_000 },
    });
    const call = () => handler.fetch(new Request("http://x/client/v4/accounts/a/artifacts/namespaces/ns1/repos", { headers: { Authorization: "Bearer t" } }));
    assert.equal((await call()).status, 200);
    assert.equal((await call()).status, 200);
    const limited = await call();
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    const body = await limited.json();
    assert.equal(body.success, false);
    assert.equal(body.errors[0].code, 10429);
    const other = await handler.fetch(new Request("http://x/client/v4/accounts/a/artifacts/namespaces/ns2/repos", { headers: { Authorization: "Bearer t" } }));
    assert.equal(other.status, 200, "another namespace is not affected");
    const git = await handler.fetch(new Request("http://x/git/ns1/r.git/info/refs?service=git-upload-pack"));
    assert.equal(git.status, 401, "git routes are limited per repository, separately");
  });
});
