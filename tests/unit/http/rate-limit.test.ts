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
    assert.equal(git.status, 404, "git routes are limited per repository, separately");
  });
});
