import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isNonPublicAddress, literalTargetCheck } from "../../../src/repo/remote/ssrf.ts";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { ArtifactsError } from "../../../src/errors.ts";

describe("isNonPublicAddress()", () => {
  const table: [string, boolean][] = [
    ["127.0.0.1", true], ["127.255.1.2", true], ["10.1.2.3", true], ["172.16.0.1", true], ["172.31.255.255", true],
    ["172.32.0.1", false], ["192.168.1.1", true], ["169.254.169.254", true], ["100.64.0.1", true], ["0.0.0.0", true],
    ["224.0.0.1", true], ["8.8.8.8", false], ["140.82.112.3", false], ["::1", true], ["[::1]", true], ["::", true],
    ["fd00::1", true], ["fe80::1", true], ["ff02::1", true], ["::ffff:127.0.0.1", true], ["::ffff:8.8.8.8", false],
    ["2606:4700::1111", false], ["example.com", false],
  ];
  for (const [address, expected] of table) it(`${address} → ${expected ? "refused" : "public"}`, () => assert.equal(isNonPublicAddress(address), expected));
});

describe("literalTargetCheck()", () => {
  it("refuses loopback, private, link-local and local names unless explicitly allowed", async () => {
    const check = literalTargetCheck(["127.0.0.1:8080", "git.internal"]);
    for (const url of ["https://127.0.0.1/r.git", "https://localhost/r", "https://169.254.169.254/latest", "https://[::1]/r", "https://10.0.0.5/r", "https://db.local/r", "https://127.0.0.1:9000/r"]) {
      await assert.rejects(async () => check(new URL(url)), (e: unknown) => e instanceof ArtifactsError && e.code === "INVALID_URL" && /not a public address/.test(e.message), url);
    }
    for (const url of ["https://github.com/o/r", "http://127.0.0.1:8080/r", "https://git.internal/r"]) await check(new URL(url));
  });

  it("guards imports before any request is made", async () => {
    const calls: string[] = [];
    const handler = createHandler({
      store: createMemoryStore(),
      signingKey: new Uint8Array(32).fill(3),
      apiToken: "t",
      import: { fetch: async (request: Request) => (calls.push(request.url), new Response("nope", { status: 404 })) },
    });
    for (const url of ["https://127.0.0.1/owner/repo", "https://169.254.169.254/latest/meta-data", "https://[::1]/x"]) {
      const response = await handler.fetch(new Request("http://x/client/v4/accounts/a/artifacts/namespaces/ns/repos/imp/import", {
        method: "POST",
        headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
        body: JSON.stringify({ url }),
      }));
      const body = await response.json();
      assert.equal(response.status, 400, url);
      assert.equal(body.errors[0].code, 10104);
      assert.equal(body.errors[0].source.pointer, "/url");
    }
    assert.deepEqual(calls, [], "no request may reach a refused target");
  });
});
