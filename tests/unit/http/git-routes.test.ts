/**
 * Git smart-HTTP routes (src/http/git-routes.ts) through the whole handler: malformed URLs and
 * non-canonical token spellings are clean refusals, never a 500 or a success.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";

async function setup() {
  const logged: string[] = [];
  const handler = createHandler({
    store: createMemoryStore(),
    signingKey: new Uint8Array(32).fill(9),
    apiToken: "api",
    log: (level, message) => logged.push(`${level} ${message}`),
  });
  const { token } = await handler.reposit.createRepo("ns1", "A");
  return { handler, logged, token: token.plaintext };
}

describe("git routes: bad percent-encoding in the URL", () => {
  it("answers 400 without logging an error, for the namespace and the repository, on every git route", async () => {
    const { handler, logged, token } = await setup();
    const auth = { Authorization: `Basic ${btoa(`x:${token}`)}` };
    const requests = [
      new Request("http://x/git/%ZZ/A.git/info/refs?service=git-upload-pack"),
      new Request("http://x/git/ns1/%E0%A4%A.git/info/refs?service=git-upload-pack", { headers: auth }),
      new Request("http://x/git/ns1/A%.git/git-upload-pack", { method: "POST", headers: { ...auth, "Content-Type": "application/x-git-upload-pack-request" }, body: "0000" }),
      new Request("http://x/git/n%s1/A.git/git-receive-pack", { method: "POST", headers: { "Content-Type": "application/x-git-receive-pack-request" }, body: "0000" }),
    ];
    for (const request of requests) {
      const response = await handler.fetch(request);
      assert.equal(response.status, 400, request.url);
      assert.match(await response.text(), /^Invalid percent-encoding in the URL: /);
    }
    assert.deepEqual(logged.filter((line) => line.startsWith("error")), []);
  });

  it("still serves a correctly percent-encoded repository name", async () => {
    const { handler, token } = await setup();
    const response = await handler.fetch(new Request("http://x/git/%6Es1/%41.git/info/refs?service=git-upload-pack", { headers: { Authorization: `Basic ${btoa(`x:${token}`)}` } }));
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });
});

describe("git routes: token strings must be canonical base64url", () => {
  it('refuses a valid token with "=" padding (raw or %3D), whitespace or "+"/"/" spellings with 403 "Invalid or expired token"', async () => {
    const { handler, token } = await setup();
    const jwt = token.slice(0, token.indexOf("?"));
    const suffix = token.slice(token.indexOf("?"));
    const ask = (secret: string, scheme: "basic" | "bearer") =>
      handler.fetch(new Request("http://x/git/ns1/A.git/info/refs?service=git-upload-pack", {
        headers: { Authorization: scheme === "basic" ? `Basic ${btoa(`x:${secret}`)}` : `Bearer ${secret}` },
      }));
    for (const scheme of ["basic", "bearer"] as const) {
      const ok = await ask(token, scheme);
      assert.equal(ok.status, 200, `the canonical token works (${scheme})`);
      await ok.arrayBuffer();
    }
    const variants = [
      `${jwt}=`,
      `${jwt}=${suffix}`,
      `${jwt}%3D`,
      `${jwt}%3D${suffix}`,
      `${jwt}%3d%3d`,
      `${jwt.replace(/\.([^.]*)$/, ".=$1")}`,
      `${jwt.slice(0, -5)}%20${jwt.slice(-5)}`,
      `${jwt}.`,
    ];
    for (const variant of variants) {
      for (const scheme of ["basic", "bearer"] as const) {
        const refused = await ask(variant, scheme);
        assert.equal(refused.status, 403, `${scheme} ${variant.slice(-12)}`);
        assert.equal(await refused.text(), "Invalid or expired token\n");
      }
    }
  });
});
