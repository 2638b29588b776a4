/**
 * The refs extension route (src/http/rest-refs-routes.ts) over a memory store: a repository made
 * with the real git CLI (branches with "/", annotated, lightweight and tree tags, a notes ref) is
 * pushed through the handler's git-receive-pack endpoint, then GET .../refs must list exactly what
 * `git for-each-ref` lists, in the same order, with annotated tags peeled as `rev-parse <tag>^{}`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { createHandler, type Handler } from "../../../src/http/handler.ts";
import { encodePktLines } from "../../../src/git/pkt-line.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import { buildContentRepo, type ContentRepo } from "../api/content-fixture.ts";

const API_TOKEN = "refs-test-api-token";
const REPOS = "http://localhost/client/v4/accounts/acct/artifacts/namespaces/refs/repos";

let handler: Handler;
let repo: ContentRepo;

async function push(name: string, fixture: ContentRepo): Promise<void> {
  const { token } = await handler.reposit.createRepo("refs", name);
  const refs = fixture.refs();
  const commands = refs.map(([id, ref], i) => `${ZERO_ID} ${id} ${ref}${i === 0 ? "\0report-status" : ""}\n`);
  const pack = fixture.run(["pack-objects", "--all", "--stdout"], "");
  const head = encodePktLines([...commands, "flush"]);
  const body = new Uint8Array(head.length + pack.length);
  body.set(head);
  body.set(pack, head.length);
  const response = await handler.fetch(
    new Request(`http://localhost/git/refs/${name}.git/git-receive-pack`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa(`x:${token.plaintext}`)}`, "Content-Type": "application/x-git-receive-pack-request" },
      body: body as BodyInit,
    }),
  );
  const report = await response.text();
  assert.equal(response.status, 200);
  assert.match(report, /unpack ok/);
}

function get(path: string, token = API_TOKEN): Promise<Response> {
  return handler.fetch(new Request(REPOS + path, { headers: { Authorization: `Bearer ${token}` } }));
}

before(async () => {
  handler = createHandler({ store: createMemoryStore(), signingKey: new Uint8Array(32).fill(9), apiToken: API_TOKEN, log: () => {} });
  repo = buildContentRepo();
  await push("content", repo);
  await handler.reposit.createRepo("refs", "empty");
});

after(() => repo.remove());

describe("GET .../repos/:name/refs", () => {
  it("lists every ref as git does, annotated tags peeled", async () => {
    const response = await get("/content/refs");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    const body = await response.json();
    assert.equal(body.success, true);
    const lines = repo.text(["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)"]).split("\n").filter(Boolean);
    const expected = lines.map((line) => {
      const [id, type, name] = line.split(" ") as [string, string, string];
      return type === "tag" ? { name, id, peeled: repo.rev(`${name}^{}`) } : { name, id };
    });
    assert.deepEqual(body.result, expected);
    // The fixture really has what the route must handle.
    const names = expected.map((r) => r.name);
    for (const name of ["refs/heads/feature/x", "refs/tags/v1", "refs/tags/release/2.0", "refs/tags/treetag", "refs/notes/commits"]) assert.ok(names.includes(name), name);
    assert.equal(expected.filter((r) => "peeled" in r).length, 2);
  });

  it("answers [] for an empty repository", async () => {
    const body = await (await get("/empty/refs")).json();
    assert.deepEqual(body.result, []);
  });

  it("answers 404 for a missing repository and 401 without the API token", async () => {
    const missing = await get("/nope/refs");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).errors[0].code, 10200);
    const denied = await get("/content/refs", "wrong");
    assert.equal(denied.status, 401);
  });
});
