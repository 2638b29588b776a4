/**
 * The REST contract (spec/artifacts-api.md §3): every route — N1–N4, R1–R6, C1–C6, T1–T3 and the
 * refs extension — and every error code, through the in-process fetch handler over a memory store.
 * Each answer is checked for status, Content-Type, the v4 envelope (`result`, `success`,
 * `errors[{ code, message, documentation_url, source.pointer }]`, `messages`, `result_info`), the
 * code numbers of §3.5, the live messages the spec quotes and the pointers it lists.
 *
 * Repositories are filled by pushing packs made with the real git CLI through the handler's own
 * receive-pack endpoint; imports fetch from another repository of the same handler (a test fetch
 * forwards the requests, with or without a token); in-progress states are caught by holding an
 * import's fetch or a fork's first read of its parent's refs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildContentRepo, BINARY, type ContentRepo } from "../api/content-fixture.ts";
import {
  API_TOKEN,
  ORIGIN,
  forwardTo,
  infoRefs,
  newService,
  pushAllOk,
  refsOf,
  type TestService,
} from "../api/control-plane-fixture.ts";

const NS = "contract";
const JSON_TYPE = "application/json; charset=utf-8";
const DOCS = "https://developers.cloudflare.com/artifacts/api/errors#";
const NAME_RULE = "must match /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/";
const UPSTREAM = "The upstream service is unavailable. Please retry.";
const INVALID_URL = "url must be an HTTPS git remote URL (e.g. https://github.com/owner/repo)";

/** The HTTP status of each public code (spec §3.5; 10000 is our control-plane auth code). */
const STATUS_OF: Record<number, number> = {
  10000: 401,
  10100: 400,
  10101: 400,
  10103: 400,
  10104: 400,
  10106: 422,
  10200: 404,
  10201: 409,
  10301: 409,
  10302: 409,
  10303: 409,
  10400: 500,
  10401: 502,
  10402: 413,
};

const REPO_KEYS = ["created_at", "default_branch", "description", "id", "last_push_at", "name", "read_only", "remote", "source", "updated_at"];
const CREATED_KEYS = ["default_branch", "description", "expires_at", "id", "name", "remote", "token"];
const TOKEN_KEYS = ["created_at", "expires_at", "id", "scope", "state"];
const COMMIT_KEYS = ["author", "authoredAt", "committedAt", "committer", "hash", "message", "parents", "treeHash"];
const ID = /^[0-9a-z]{16}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Reply {
  status: number;
  type: string | null;
  headers: Headers;
  text: string;
  bytes: Uint8Array;
  json: any;
}

interface CallOptions {
  body?: unknown;
  /** A body sent as is (malformed JSON). */
  raw?: string;
  /** Authorization header; null sends none. Default: the control-plane token. */
  auth?: string | null;
  account?: string;
  service?: TestService;
}

let svc: TestService;
let content: ContentRepo;
let contentId = "";
let contentToken = "";
/** Every error code a test has seen, for the closing coverage check. */
const seenCodes = new Set<number>();

async function call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const service = options.service ?? svc;
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? `Bearer ${API_TOKEN}` : options.auth;
  if (auth !== null) headers["Authorization"] = auth;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const url = `${ORIGIN}/client/v4/accounts/${options.account ?? "acc-0123"}/artifacts${path}`;
  const response = await service.handler.fetch(new Request(url, { method, headers, ...(body === undefined ? {} : { body }) }));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get("content-type"), headers: response.headers, text, bytes, json };
}

/** Asserts a success envelope with `status` and the `result_info` style; returns `result`. */
function ok(reply: Reply, status = 200, info: "none" | "cursor" | "offset" = "none"): any {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.type, JSON_TYPE);
  const keys = ["errors", "messages", "result", "success", ...(info === "none" ? [] : ["result_info"])].sort();
  assert.deepEqual(Object.keys(reply.json).sort(), keys);
  assert.equal(reply.json.success, true);
  assert.deepEqual(reply.json.errors, []);
  assert.deepEqual(reply.json.messages, []);
  const ri = reply.json.result_info;
  if (info === "cursor") {
    for (const key of ["cursor", "per_page", "count"]) assert.ok(key in ri, `result_info.${key} in ${JSON.stringify(ri)}`);
    assert.equal(ri.count, reply.json.result.length);
  }
  if (info === "offset") {
    for (const key of ["page", "per_page", "total_pages", "count", "total_count"]) assert.ok(key in ri, `result_info.${key} in ${JSON.stringify(ri)}`);
    assert.equal(ri.count, reply.json.result.length);
    assert.equal(ri.total_pages, Math.ceil(ri.total_count / ri.per_page));
  }
  return reply.json.result;
}

/**
 * Asserts an error envelope: the status the code has in STATUS_OF, one error with `code`, a message
 * equal to (string) or matching (RegExp) `message`, the documentation URL, and `source.pointer`
 * exactly when `pointer` is given.
 */
function fails(reply: Reply, code: number, message: string | RegExp, pointer?: string): void {
  seenCodes.add(code);
  assert.equal(reply.status, STATUS_OF[code], reply.text);
  assert.equal(reply.type, JSON_TYPE);
  assert.deepEqual(Object.keys(reply.json).sort(), ["errors", "messages", "result", "success"]);
  assert.equal(reply.json.result, null);
  assert.equal(reply.json.success, false);
  assert.deepEqual(reply.json.messages, []);
  assert.equal(reply.json.errors.length, 1);
  const [error] = reply.json.errors;
  assert.deepEqual(Object.keys(error).sort(), ["code", "documentation_url", "message", ...(pointer === undefined ? [] : ["source"])]);
  assert.equal(error.code, code, error.message);
  assert.equal(error.documentation_url, `${DOCS}${code}`);
  if (typeof message === "string") assert.equal(error.message, message);
  else assert.match(error.message, message);
  if (pointer !== undefined) assert.deepEqual(error.source, { pointer });
}

/** Asserts the plain-text 404 of a path no route serves. */
function noRoute(reply: Reply): void {
  assert.equal(reply.status, 404);
  assert.equal(reply.type, "text/plain; charset=UTF-8");
  assert.equal(reply.text, "404 Not Found");
}

const repoPath = (name: string, rest = "") => `/namespaces/${NS}/repos/${name}${rest}`;

async function createRepo(name: string, extra: Record<string, unknown> = {}, ns = NS, service?: TestService): Promise<any> {
  return ok(await call("POST", `/namespaces/${ns}/repos`, { body: { name, ...extra }, ...(service ? { service } : {}) }), 201);
}

before(async () => {
  svc = newService();
  content = buildContentRepo();
  const created = await createRepo("content");
  contentId = created.id;
  contentToken = created.token;
  await pushAllOk(svc.handler, NS, "content", contentToken, content);
});

after(() => content?.remove());

describe("unknown routes", () => {
  it("answer 404 text/plain \"404 Not Found\", not an envelope, with or without a token", async () => {
    noRoute(await call("GET", "/bogus"));
    noRoute(await call("GET", "/bogus", { auth: null }));
    noRoute(await call("GET", repoPath("content", "/bogus")));
    noRoute(await call("PUT", repoPath("content")));
    noRoute(await call("PATCH", `/namespaces/${NS}`));
    noRoute(await call("POST", repoPath("content")));
    const root = await svc.handler.fetch(new Request(`${ORIGIN}/nothing/here`));
    assert.equal(root.status, 404);
    assert.equal(await root.text(), "404 Not Found");
  });
});

/** Every REST route with a body that would pass validation. */
const ROUTES: [string, string, unknown?][] = [
  ["POST", "/namespaces", { namespace: "authns" }],
  ["GET", "/namespaces"],
  ["GET", `/namespaces/${NS}`],
  ["DELETE", `/namespaces/${NS}`],
  ["POST", `/namespaces/${NS}/repos`, { name: "auth-repo" }],
  ["GET", `/namespaces/${NS}/repos`],
  ["GET", repoPath("content")],
  ["DELETE", repoPath("content")],
  ["POST", repoPath("content", "/fork"), { name: "auth-fork" }],
  ["POST", repoPath("auth-import", "/import"), { url: "https://example.com/x.git" }],
  ["GET", repoPath("content", "/log")],
  ["GET", repoPath("content", `/commit/${"a".repeat(40)}`)],
  ["GET", repoPath("content", `/tree/${"a".repeat(40)}`)],
  ["GET", repoPath("content", `/blob/${"a".repeat(40)}`)],
  ["GET", repoPath("content", "/file?path=README.md")],
  ["GET", repoPath("content", "/raw/main/README.md")],
  ["GET", repoPath("content", "/refs")],
  ["GET", repoPath("content", "/tokens")],
  ["POST", `/namespaces/${NS}/tokens`, { repo: "content" }],
  ["DELETE", `/namespaces/${NS}/tokens/aaaaaaaaaaaaaaaa`],
];

describe("authentication (Bearer control-plane token, code 10000)", () => {
  it("every route refuses a request without a token with 401 and a Bearer challenge", async () => {
    for (const [method, path, body] of ROUTES) {
      const reply = await call(method, path, { auth: null, ...(body === undefined ? {} : { body }) });
      fails(reply, 10000, "Authentication error: a valid control-plane API token is required");
      assert.equal(reply.headers.get("www-authenticate"), 'Bearer realm="reposit"', `${method} ${path}`);
    }
    // Nothing happened: the repository is still there.
    ok(await call("GET", repoPath("content")));
  });

  it("refuses a wrong token, another scheme, and a repository (git) token", async () => {
    const path = `/namespaces/${NS}/repos`;
    fails(await call("GET", path, { auth: "Bearer wrong-token" }), 10000, /Authentication error/);
    fails(await call("GET", path, { auth: `Bearer ${API_TOKEN}x` }), 10000, /Authentication error/);
    fails(await call("GET", path, { auth: `Basic ${btoa(`x:${API_TOKEN}`)}` }), 10000, /Authentication error/);
    fails(await call("GET", path, { auth: "Bearer" }), 10000, /Authentication error/);
    fails(await call("GET", path, { auth: `Bearer ${contentToken}` }), 10000, /Authentication error/);
    fails(await call("GET", path, { auth: `Bearer ${contentToken.split("?")[0]}` }), 10000, /Authentication error/);
    ok(await call("GET", path, { auth: `bearer  ${API_TOKEN}` }), 200, "offset");
  });
});

describe("account id", () => {
  it("any account id is served when none is configured", async () => {
    for (const account of ["acc-0123", "0123456789abcdef0123456789abcdef", "x"]) {
      ok(await call("GET", `/namespaces/${NS}/repos/content`, { account }));
    }
  });

  it("only the configured account id is served when one is configured", async () => {
    const account = "0123456789abcdef0123456789abcdef";
    const only = newService({ accountId: account });
    ok(await call("GET", "/namespaces", { service: only, account }), 200, "offset");
    ok(await call("POST", "/namespaces/ns/repos", { service: only, account, body: { name: "r" } }), 201);
    fails(await call("GET", "/namespaces", { service: only, account: "fedcba9876543210fedcba9876543210" }), 10200, 'Account "fedcba9876543210fedcba9876543210" not found');
    fails(await call("GET", "/namespaces/ns/repos/r", { service: only, account: "other" }), 10200, 'Account "other" not found');
  });

  it("a badly percent-encoded account id is 400 with pointer /account_id, not a 500", async () => {
    fails(await call("GET", "/namespaces", { account: "%E0" }), 10100, 'Invalid percent-encoding in the URL: "%E0"', "/account_id");
  });
});

describe("namespaces (N1–N4)", () => {
  let ns: TestService;
  before(() => {
    ns = newService();
  });

  it("N1 creates a namespace: 201 with namespace, jurisdiction, repo_count and timestamps", async () => {
    const created = ok(await call("POST", "/namespaces", { service: ns, body: { namespace: "alpha" } }), 201);
    assert.deepEqual(Object.keys(created).sort(), ["created_at", "jurisdiction", "namespace", "repo_count", "updated_at"]);
    assert.equal(created.namespace, "alpha");
    assert.equal(created.jurisdiction, "unrestricted");
    assert.equal(created.repo_count, 0);
    assert.match(created.created_at, ISO);
    assert.equal(created.updated_at, created.created_at);
    const eu = ok(await call("POST", "/namespaces", { service: ns, body: { namespace: "beta-eu", jurisdiction: "eu" } }), 201);
    assert.equal(eu.jurisdiction, "eu");
  });

  it("N1 errors: 409 10201 for a duplicate, 400 10100 for bad names and fields", async () => {
    fails(await call("POST", "/namespaces", { service: ns, body: { namespace: "alpha" } }), 10201, "Namespace already exists", "/namespace");
    fails(await call("POST", "/namespaces", { service: ns, body: { namespace: "ALPHA" } }), 10201, "Namespace already exists", "/namespace");
    fails(await call("POST", "/namespaces", { service: ns, body: { namespace: "a" } }), 10100, /^Invalid namespace name "a": /, "/namespace");
    fails(await call("POST", "/namespaces", { service: ns, body: { namespace: "-bad" } }), 10100, /^Invalid namespace name/, "/namespace");
    fails(await call("POST", "/namespaces", { service: ns, body: { namespace: "x".repeat(64) } }), 10100, /^Invalid namespace name/, "/namespace");
    fails(await call("POST", "/namespaces", { service: ns, body: {} }), 10100, "Invalid namespace: Invalid input: expected string, received undefined", "/namespace");
    fails(await call("POST", "/namespaces", { service: ns, body: { namespace: 5 } }), 10100, "Invalid namespace: Invalid input: expected string, received number", "/namespace");
    fails(
      await call("POST", "/namespaces", { service: ns, body: { namespace: "gamma", jurisdiction: "mars" } }),
      10100,
      'Invalid jurisdiction: Invalid option: expected one of "eu"|"us"',
      "/jurisdiction",
    );
    fails(await call("POST", "/namespaces", { service: ns, raw: "{not json" }), 10100, "Invalid JSON body: expected a JSON object");
    fails(await call("POST", "/namespaces", { service: ns, raw: "null" }), 10100, "Invalid body: Invalid input: expected object, received null");
  });

  it("N2 lists namespaces in name order with cursor paging", async () => {
    const all = ok(await call("GET", "/namespaces", { service: ns }), 200, "offset");
    assert.deepEqual(all.map((n: { namespace: string }) => n.namespace), ["alpha", "beta-eu"]);
    assert.equal(all[1].jurisdiction, "eu");
    const first = await call("GET", "/namespaces?limit=1", { service: ns });
    assert.deepEqual(ok(first, 200, "cursor").map((n: { namespace: string }) => n.namespace), ["alpha"]);
    assert.equal(first.json.result_info.per_page, 1);
    const cursor = first.json.result_info.cursor;
    assert.equal(typeof cursor, "string");
    const second = await call("GET", `/namespaces?limit=1&cursor=${encodeURIComponent(cursor)}`, { service: ns });
    assert.deepEqual(ok(second, 200, "cursor").map((n: { namespace: string }) => n.namespace), ["beta-eu"]);
    assert.equal(second.json.result_info.cursor, null);
    fails(await call("GET", "/namespaces?limit=0", { service: ns }), 10100, "Invalid limit: Too small: expected number to be >=1", "/limit");
    fails(await call("GET", "/namespaces?limit=x", { service: ns }), 10100, "Invalid limit: Invalid input: expected an integer", "/limit");
  });

  it("N2 without limit or cursor pages by number, as Wrangler's paged-list helper walks it", async () => {
    const names = Array.from({ length: 7 }, (_, i) => `paged-${String(i).padStart(2, "0")}`);
    for (const name of names) ok(await call("POST", "/namespaces", { service: ns, body: { namespace: name } }), 201);
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const reply = await call("GET", `/namespaces?page=${page}&per_page=3`, { service: ns });
      const result = ok(reply, 200, "offset");
      const info = reply.json.result_info;
      assert.deepEqual([info.page, info.per_page, info.total_count, info.total_pages], [page, 3, names.length + 2, 3]);
      seen.push(...result.map((n: { namespace: string }) => n.namespace));
      if (info.page * info.per_page >= info.total_count) break;
    }
    assert.deepEqual(seen, ["alpha", "beta-eu", ...names]);
    const beyond = await call("GET", "/namespaces?page=9&per_page=3", { service: ns });
    assert.deepEqual(ok(beyond, 200, "offset"), []);
    fails(await call("GET", "/namespaces?page=0", { service: ns }), 10100, "Invalid page: Too small: expected number to be >=1", "/page");
  });

  it("N3 gets a namespace with its repository count; a missing one is 404 \"Namespace not found\"", async () => {
    await createRepo("one", {}, "alpha", ns);
    const got = ok(await call("GET", "/namespaces/alpha", { service: ns }));
    assert.equal(got.repo_count, 1);
    assert.equal(got.namespace, "alpha");
    fails(await call("GET", "/namespaces/nowhere", { service: ns }), 10200, "Namespace not found");
  });

  it("N4 deletes an empty namespace with 204 and no body; missing → 404; not empty → 400", async () => {
    const deleted = await call("DELETE", "/namespaces/beta-eu", { service: ns });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, "");
    assert.equal(deleted.type, null);
    fails(await call("GET", "/namespaces/beta-eu", { service: ns }), 10200, "Namespace not found");
    fails(await call("DELETE", "/namespaces/beta-eu", { service: ns }), 10200, "Namespace not found");
    fails(await call("DELETE", "/namespaces/alpha", { service: ns }), 10100, 'Namespace "alpha" is not empty: delete its repositories first', "/namespace");
  });

  it("creating a repository creates its namespace (unrestricted)", async () => {
    await createRepo("r", {}, "implicit", ns);
    const got = ok(await call("GET", "/namespaces/implicit", { service: ns }));
    assert.equal(got.jurisdiction, "unrestricted");
    assert.equal(got.repo_count, 1);
  });
});

describe("repositories (R1–R5)", () => {
  it("R1 creates: 201 CreateRepoResult without read_only or timestamps; defaults description null, branch main", async () => {
    const created = await createRepo("plain");
    assert.deepEqual(Object.keys(created).sort(), CREATED_KEYS);
    assert.match(created.id, ID);
    assert.equal(created.name, "plain");
    assert.equal(created.description, null);
    assert.equal(created.default_branch, "main");
    assert.equal(created.remote, `${ORIGIN}/git/${NS}/plain.git`);
    const expires = Number(/\?expires=(\d+)$/.exec(created.token)?.[1]);
    assert.equal(expires, Math.floor(svc.clock.ms / 1000) + 86_400);
    assert.equal(created.expires_at, new Date(expires * 1000).toISOString());
    const custom = await createRepo("custom", { description: "described", default_branch: "trunk", read_only: true });
    assert.equal(custom.description, "described");
    assert.equal(custom.default_branch, "trunk");
  });

  it("R1 errors: duplicate 409, bad or missing name 400 10101 (live text), bad fields 400 10100", async () => {
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "plain" } }), 10201, "repo already exists: plain", "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "PLAIN" } }), 10201, "repo already exists: PLAIN", "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: {} }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: 7 } }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "a b" } }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: ".hidden" } }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "x".repeat(64) } }), 10101, "Invalid repo name: must be at most 63 characters", "/name");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "ok", read_only: "yes" } }), 10100, "Invalid read_only: Invalid input: expected boolean, received string", "/read_only");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "ok", description: 5 } }), 10100, "Invalid description: Invalid input: expected string, received number", "/description");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "ok", description: "d".repeat(4097) } }), 10100, "Invalid description: Too big: expected string to have <=4096 characters", "/description");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "ok", default_branch: "a..b" } }), 10100, /^Invalid default_branch "a\.\.b": /, "/default_branch");
    fails(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "ok", default_branch: "" } }), 10100, "Invalid default_branch: Too small: expected string to have >=1 characters", "/default_branch");
    fails(await call("POST", `/namespaces/x/repos`, { body: { name: "ok" } }), 10100, /^Invalid namespace name "x"/, "/namespace");
    fails(await call("POST", `/namespaces/${NS}/repos`, { raw: "[" }), 10100, "Invalid JSON body: expected a JSON object");
    fails(await call("GET", "/namespaces/%E0/repos"), 10100, 'Invalid percent-encoding in the URL: "%E0"', "/namespace");
    fails(await call("GET", repoPath("ok")), 10200, "Repository not found");
  });

  it("R3 gets RepoWithRemote (no status); names are looked up case-insensitively; missing → 404", async () => {
    const got = ok(await call("GET", repoPath("custom")));
    // size_bytes (stored pack bytes) is a Reposit extension on the single-repository read.
    assert.deepEqual(Object.keys(got).sort(), [...REPO_KEYS, "size_bytes"].sort());
    assert.equal(typeof got.size_bytes, "number");
    assert.equal(got.read_only, true);
    assert.equal(got.description, "described");
    assert.equal(got.default_branch, "trunk");
    assert.equal(got.source, null);
    assert.equal(got.last_push_at, null);
    assert.match(got.created_at, ISO);
    assert.equal(got.updated_at, got.created_at);
    assert.equal(got.remote, `${ORIGIN}/git/${NS}/custom.git`);
    assert.equal(ok(await call("GET", repoPath("CUSTOM"))).id, got.id);
    fails(await call("GET", repoPath("missing")), 10200, "Repository not found");
    fails(await call("GET", `/namespaces/elsewhere/repos/custom`), 10200, "Repository not found");
  });

  it("R3 reports pushes: last_push_at and updated_at move (spec §9 item 4)", async () => {
    const before = ok(await call("GET", repoPath("content")));
    assert.match(before.last_push_at, ISO);
    assert.equal(before.updated_at, before.last_push_at);
    svc.clock.ms += 5000;
    const created = await createRepo("pushed-later");
    const fixture = buildContentRepo();
    try {
      await pushAllOk(svc.handler, NS, "pushed-later", created.token, fixture);
    } finally {
      fixture.remove();
    }
    const got = ok(await call("GET", repoPath("pushed-later")));
    assert.equal(got.last_push_at, new Date(svc.clock.ms).toISOString());
    assert.equal(got.updated_at, got.last_push_at);
  });

  it("R2 lists with offset paging without limit: page, per_page, total_pages, count, total_count, status", async () => {
    const reply = await call("GET", `/namespaces/${NS}/repos`);
    const repos = ok(reply, 200, "offset");
    const info = reply.json.result_info;
    assert.equal(info.page, 1);
    assert.equal(info.per_page, 50);
    assert.equal(info.total_count, repos.length);
    for (const repo of repos) {
      assert.deepEqual(Object.keys(repo).sort(), [...REPO_KEYS, "status"].sort());
      assert.equal(repo.status, "ready");
    }
    // created_at desc by default.
    const created = repos.map((r: { created_at: string }) => r.created_at);
    assert.deepEqual(created, [...created].sort().reverse());
    const page2 = await call("GET", `/namespaces/${NS}/repos?per_page=2&page=2&sort=name&direction=asc`);
    const names = ok(await call("GET", `/namespaces/${NS}/repos?sort=name&direction=asc`), 200, "offset").map((r: { name: string }) => r.name);
    assert.deepEqual(ok(page2, 200, "offset").map((r: { name: string }) => r.name), names.slice(2, 4));
    assert.equal(page2.json.result_info.page, 2);
    assert.equal(page2.json.result_info.total_pages, Math.ceil(names.length / 2));
  });

  it("R2 lists with cursor paging when limit is given; a cursor alone continues the walk", async () => {
    const names = ok(await call("GET", `/namespaces/${NS}/repos?sort=name&direction=asc`), 200, "offset").map((r: { name: string }) => r.name);
    const first = await call("GET", `/namespaces/${NS}/repos?limit=2&sort=name&direction=asc`);
    assert.deepEqual(ok(first, 200, "cursor").map((r: { name: string }) => r.name), names.slice(0, 2));
    assert.equal(first.json.result_info.per_page, 2);
    const cursor = first.json.result_info.cursor as string;
    const walked = [...names.slice(0, 2)];
    let next: string | null = cursor;
    while (next !== null) {
      const page = await call("GET", `/namespaces/${NS}/repos?limit=2&sort=name&direction=asc&cursor=${encodeURIComponent(next)}`);
      walked.push(...ok(page, 200, "cursor").map((r: { name: string }) => r.name));
      next = page.json.result_info.cursor;
    }
    assert.deepEqual(walked, names);
    // Without limit, the cursor still means "after this position" (default page size 50).
    const alone = await call("GET", `/namespaces/${NS}/repos?sort=name&direction=asc&cursor=${encodeURIComponent(cursor)}`);
    assert.deepEqual(ok(alone, 200, "cursor").map((r: { name: string }) => r.name), names.slice(2));
    assert.equal(alone.json.result_info.per_page, 50);
    assert.equal(alone.json.result_info.cursor, null);
    // search is a case-insensitive substring of the name.
    const found = ok(await call("GET", `/namespaces/${NS}/repos?search=PUSH`), 200, "offset");
    assert.deepEqual(found.map((r: { name: string }) => r.name), ["pushed-later"]);
    ok(await call("GET", `/namespaces/${NS}/repos?limit=200`), 200, "cursor");
  });

  it("R2 errors: /limit, /sort, /direction, /per_page, /page and /cursor; a missing namespace is an empty list", async () => {
    const path = `/namespaces/${NS}/repos`;
    fails(await call("GET", `${path}?limit=500`), 10100, "Invalid limit: Too big: expected number to be <=200", "/limit");
    fails(await call("GET", `${path}?limit=0`), 10100, "Invalid limit: Too small: expected number to be >=1", "/limit");
    fails(await call("GET", `${path}?limit=ten`), 10100, "Invalid limit: Invalid input: expected an integer", "/limit");
    fails(await call("GET", `${path}?sort=size`), 10100, 'Invalid sort: Invalid option: expected one of "created_at"|"updated_at"|"last_push_at"|"name"', "/sort");
    fails(await call("GET", `${path}?direction=up`), 10100, 'Invalid direction: Invalid option: expected one of "asc"|"desc"', "/direction");
    fails(await call("GET", `${path}?per_page=201`), 10100, "Invalid per_page: Too big: expected number to be <=200", "/per_page");
    fails(await call("GET", `${path}?page=0`), 10100, "Invalid page: Too small: expected number to be >=1", "/page");
    fails(await call("GET", `${path}?limit=2&cursor=garbage`), 10100, "Invalid cursor: it was not issued by this server", "/cursor");
    const first = await call("GET", `${path}?limit=1&sort=name`);
    const cursor = encodeURIComponent(first.json.result_info.cursor);
    const other = "Invalid cursor: it belongs to a listing with a different sort, direction or search";
    fails(await call("GET", `${path}?limit=1&sort=created_at&cursor=${cursor}`), 10100, other, "/cursor");
    fails(await call("GET", `${path}?limit=1&sort=name&direction=asc&cursor=${cursor}`), 10100, other, "/cursor");
    fails(await call("GET", `${path}?limit=1&sort=name&search=c&cursor=${cursor}`), 10100, other, "/cursor");
    // A cursor re-signed with a changed body is refused (the tag no longer matches).
    const raw = first.json.result_info.cursor as string;
    const forged = `${raw.slice(0, 4)}${raw[4] === "A" ? "B" : "A"}${raw.slice(5)}`;
    fails(await call("GET", `${path}?limit=1&sort=name&cursor=${encodeURIComponent(forged)}`), 10100, "Invalid cursor: it was not issued by this server", "/cursor");
    const empty = await call("GET", "/namespaces/no-such-namespace/repos");
    assert.deepEqual(ok(empty, 200, "offset"), []);
    assert.equal(empty.json.result_info.total_count, 0);
  });

  it("R4 deletes with 202 {id}; a repeat delete soon after is 202 again; never-existed → 404", async () => {
    const created = await createRepo("doomed");
    const deleted = ok(await call("DELETE", repoPath("doomed")), 202);
    assert.deepEqual(deleted, { id: created.id });
    assert.deepEqual(ok(await call("DELETE", repoPath("doomed")), 202), { id: created.id });
    fails(await call("GET", repoPath("doomed")), 10200, "Repository not found");
    fails(await call("DELETE", repoPath("never-was")), 10200, "Repository not found");
    // After the tombstone window the name is simply unknown.
    svc.clock.ms += 61_000;
    fails(await call("DELETE", repoPath("doomed")), 10200, "Repository not found");
    // The tokens went with it: the old token no longer opens the repository of the same name.
    await createRepo("doomed");
    assert.equal((await infoRefs(svc.handler, NS, "doomed", created.token)).status, 403);
  });

  it("R5 forks: 201 CreateRepoResult plus objects; source, default branch and refs as asked", async () => {
    const all = ok(await call("POST", repoPath("content", "/fork"), { body: { name: "fork-all" } }), 201);
    assert.deepEqual(Object.keys(all).sort(), [...CREATED_KEYS, "objects"].sort());
    assert.equal(all.default_branch, "main");
    assert.equal(all.description, null);
    assert.equal(all.objects, content.text(["rev-list", "--objects", "--all"]).split("\n").length);
    const allRefs = ok(await call("GET", repoPath("fork-all", "/refs"))).map((r: { name: string }) => r.name);
    assert.deepEqual(allRefs, refsOf(content).map(([, name]) => name).sort());
    const got = ok(await call("GET", repoPath("fork-all")));
    assert.equal(got.source, `artifacts:${NS}/content`);
    assert.equal(got.read_only, false);

    const one = ok(await call("POST", repoPath("content", "/fork"), { body: { name: "fork-main", default_branch_only: true, read_only: true, description: "snapshot" } }), 201);
    assert.equal(one.description, "snapshot");
    assert.equal(one.objects, content.text(["rev-list", "--objects", "main"]).split("\n").length);
    assert.deepEqual(ok(await call("GET", repoPath("fork-main", "/refs"))).map((r: { name: string }) => r.name), ["refs/heads/main"]);
    assert.equal(ok(await call("GET", repoPath("fork-main"))).read_only, true);
  });

  it("R5 errors: duplicate 409, bad or missing name 400 10101, missing source 404, bad fields 400", async () => {
    fails(await call("POST", repoPath("content", "/fork"), { body: { name: "fork-all" } }), 10201, "repo already exists: fork-all", "/name");
    fails(await call("POST", repoPath("content", "/fork"), { body: {} }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await call("POST", repoPath("content", "/fork"), { body: { name: "no good" } }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await call("POST", repoPath("missing", "/fork"), { body: { name: "orphan" } }), 10200, "Repository not found");
    fails(await call("POST", repoPath("content", "/fork"), { body: { name: "f", default_branch_only: "no" } }), 10100, "Invalid default_branch_only: Invalid input: expected boolean, received string", "/default_branch_only");
    fails(await call("GET", repoPath("orphan")), 10200, "Repository not found");
  });
});

describe("import (R6)", () => {
  const url = (name: string) => `https://source.test/git/${NS}/${name}.git`;

  it("imports another repository: 201 CreateRepoResult; source git:<url>, refs and default branch copied", async () => {
    svc.importFetch.target = forwardTo(svc.handler, contentToken);
    const created = ok(await call("POST", repoPath("imported", "/import"), { body: { url: url("content").replace(/\.git$/, ""), read_only: true } }), 201);
    assert.deepEqual(Object.keys(created).sort(), CREATED_KEYS);
    assert.equal(created.default_branch, "main");
    const got = ok(await call("GET", repoPath("imported")));
    assert.equal(got.source, `git:${url("content")}`);
    assert.equal(got.read_only, true);
    const refs = ok(await call("GET", repoPath("imported", "/refs"))).map((r: { name: string; id: string }) => `${r.id} ${r.name}`);
    const heads = refsOf(content).filter(([, n]) => n.startsWith("refs/heads/") || n.startsWith("refs/tags/")).map(([id, n]) => `${id} ${n}`);
    assert.deepEqual(refs, heads.sort((a, b) => (a.slice(41) < b.slice(41) ? -1 : 1)));
    const log = ok(await call("GET", repoPath("imported", "/log?limit=1")));
    assert.equal(log[0].hash, content.M);
  });

  it("imports one branch to a depth", async () => {
    svc.importFetch.target = forwardTo(svc.handler, contentToken);
    ok(await call("POST", repoPath("imported-shallow", "/import"), { body: { url: url("content"), branch: "feature/x", depth: 1 } }), 201);
    const got = ok(await call("GET", repoPath("imported-shallow")));
    assert.equal(got.default_branch, "feature/x");
    assert.deepEqual(ok(await call("GET", repoPath("imported-shallow", "/refs"))), [{ name: "refs/heads/feature/x", id: content.C }]);
    assert.deepEqual(ok(await call("GET", repoPath("imported-shallow", "/log"))).map((c: { hash: string }) => c.hash), [content.C]);
  });

  it("errors: 400 10100 (http, bad fields), 400 10104 (not a git URL), 422 10106, 404, 502 10401, 409", async () => {
    svc.importFetch.target = forwardTo(svc.handler, contentToken);
    const imp = (name: string, body: unknown) => call("POST", repoPath(name, "/import"), { body });
    fails(await imp("i1", { url: "http://source.test/x.git" }), 10100, "Must be an HTTPS URL", "/url");
    fails(await imp("i1", { url: "ftp://source.test/x.git" }), 10100, "Must be an HTTPS URL", "/url");
    fails(await imp("i1", { url: "https://user:pw@source.test/x.git" }), 10100, "url must not contain credentials: only public repositories can be imported", "/url");
    fails(await imp("i1", { url: "not a url" }), 10104, INVALID_URL, "/url");
    fails(await imp("i1", { url: "https://source.test/" }), 10104, INVALID_URL, "/url");
    fails(await imp("i1", {}), 10100, "Invalid url: Invalid input: expected string, received undefined", "/url");
    fails(await imp("i1", { url: 42 }), 10100, "Invalid url: Invalid input: expected string, received number", "/url");
    fails(await imp("i1", { url: url("content"), depth: 0 }), 10100, "Invalid depth: Too small: expected number to be >0", "/depth");
    fails(await imp("i1", { url: url("content"), depth: 1.5 }), 10100, "Invalid depth: Invalid input: expected an integer", "/depth");
    fails(await imp("i1", { url: url("content"), branch: "a..b" }), 10100, /^Invalid branch "a\.\.b": /, "/branch");
    fails(await imp("bad name", { url: url("content") }), 10101, `Invalid repo name: ${NAME_RULE}`, "/name");
    fails(await imp("content", { url: url("content") }), 10201, "repo already exists: content", "/name");
    fails(await imp("i1", { url: url("nothing-here") }), 10200, `Repository not found at ${url("nothing-here")}`);
    svc.importFetch.target = forwardTo(svc.handler);
    fails(await imp("i1", { url: url("content") }), 10106, `Repository at ${url("content")} requires authentication (HTTP 401). Only public repositories can be imported.`);
    svc.importFetch.target = () => Promise.reject(new TypeError("fetch failed"));
    fails(await imp("i1", { url: url("content") }), 10401, UPSTREAM);
    svc.importFetch.target = async () => new Response("<html>not git</html>", { status: 200, headers: { "Content-Type": "text/html" } });
    fails(await imp("i1", { url: url("content") }), 10104, INVALID_URL, "/url");
    // No failed import leaves a repository behind, nor a tombstone that would answer a delete with 202.
    fails(await call("GET", repoPath("i1")), 10200, "Repository not found");
    fails(await call("DELETE", repoPath("i1")), 10200, "Repository not found");
    const names = ok(await call("GET", `/namespaces/${NS}/repos?search=i1`), 200, "offset");
    assert.deepEqual(names, []);
  });

  it("a remote larger than the repository limit is 413 10402 MEMORY_LIMIT", async () => {
    const small = newService({ limits: { maxRepoBytes: 4096 } });
    small.importFetch.target = forwardTo(svc.handler, contentToken);
    fails(await call("POST", repoPath("too-big", "/import"), { service: small, body: { url: url("content") } }), 10402, /^Repository at .* is too large to import: /);
    fails(await call("GET", repoPath("too-big"), { service: small }), 10200, "Repository not found");
  });
});

describe("tokens (T1–T3)", () => {
  let repoId = "";
  before(async () => {
    repoId = (await createRepo("tokened")).id;
  });

  it("T2 mints: 201 {id, plaintext, scope, expires_at}; defaults write and 24 h", async () => {
    const minted = ok(await call("POST", `/namespaces/${NS}/tokens`, { body: { repo: "tokened" } }), 201);
    assert.deepEqual(Object.keys(minted).sort(), ["expires_at", "id", "plaintext", "scope"]);
    assert.match(minted.id, ID);
    assert.equal(minted.scope, "write");
    const expires = Math.floor(svc.clock.ms / 1000) + 86_400;
    assert.ok(minted.plaintext.endsWith(`?expires=${expires}`));
    assert.equal(minted.expires_at, new Date(expires * 1000).toISOString());
    const read = ok(await call("POST", `/namespaces/${NS}/tokens`, { body: { repo: "tokened", scope: "read", ttl: 60 } }), 201);
    assert.equal(read.scope, "read");
    assert.equal(read.expires_at, new Date((Math.floor(svc.clock.ms / 1000) + 60) * 1000).toISOString());
    assert.equal((await infoRefs(svc.handler, NS, "tokened", read.plaintext)).status, 200);
    assert.equal((await infoRefs(svc.handler, NS, "tokened", read.plaintext, "git-receive-pack")).status, 403);
    ok(await call("POST", `/namespaces/${NS}/tokens`, { body: { repo: "tokened", ttl: 31_536_000 } }), 201);
  });

  it("T2 errors: ttl 400 10103 (checked before the repository), unknown repo 404, bad scope and repo 400", async () => {
    const mint = (body: unknown) => call("POST", `/namespaces/${NS}/tokens`, { body });
    const range = "ttl must be between 60 and 31536000 seconds";
    fails(await mint({ repo: "tokened", ttl: 59 }), 10103, range, "/ttl");
    fails(await mint({ repo: "tokened", ttl: 31_536_001 }), 10103, range, "/ttl");
    fails(await mint({ repo: "tokened", ttl: 0 }), 10103, range, "/ttl");
    fails(await mint({ repo: "no-such-repo", ttl: 1 }), 10103, range, "/ttl");
    fails(await mint({ repo: "tokened", ttl: 90.5 }), 10103, "ttl must be between 60 and 31536000 seconds", "/ttl");
    fails(await mint({ repo: "tokened", ttl: "600" }), 10103, "Invalid ttl: Invalid input: expected number, received string", "/ttl");
    fails(await mint({ repo: "no-such-repo" }), 10200, "Repository not found");
    fails(await mint({ repo: "tokened", scope: "admin" }), 10100, 'Invalid scope: Invalid option: expected one of "read"|"write"', "/scope");
    fails(await mint({}), 10100, "Invalid repo: Invalid input: expected string, received undefined", "/repo");
  });

  it("T1 lists by state with offset paging; T3 revokes idempotently", async () => {
    const list = async (query = "") => {
      const reply = await call("GET", repoPath("tokened", `/tokens${query}`));
      return { tokens: ok(reply, 200, "offset"), info: reply.json.result_info };
    };
    const { tokens: active, info } = await list();
    // The initial token plus the three minted above.
    assert.equal(active.length, 4);
    assert.deepEqual(info, { page: 1, per_page: 30, total_pages: 1, count: 4, total_count: 4 });
    for (const t of active) {
      assert.deepEqual(Object.keys(t).sort(), TOKEN_KEYS);
      assert.equal(t.state, "active");
      assert.match(t.created_at, ISO);
    }
    const victim = active.find((t: { scope: string }) => t.scope === "write").id;
    const revoked = await call("DELETE", `/namespaces/${NS}/tokens/${victim}`);
    assert.deepEqual(ok(revoked), { id: victim });
    assert.deepEqual(ok(await call("DELETE", `/namespaces/${NS}/tokens/${victim}`)), { id: victim });
    fails(await call("DELETE", `/namespaces/${NS}/tokens/zzzzzzzzzzzzzzzz`), 10200, "Token not found");
    fails(await call("DELETE", `/namespaces/${NS}/tokens/not-an-id`), 10200, "Token not found");
    // Ids are per namespace: the same id under another namespace is unknown.
    fails(await call("DELETE", `/namespaces/other-ns/tokens/${victim}`), 10200, "Token not found");

    // The 60-second read token expires when the clock passes it.
    svc.clock.ms += 61_000;
    assert.deepEqual((await list("?state=revoked")).tokens.map((t: { id: string }) => t.id), [victim]);
    const expired = (await list("?state=expired")).tokens;
    assert.equal(expired.length, 1);
    assert.equal(expired[0].scope, "read");
    assert.equal((await list()).tokens.length, 2);
    const every = await list("?state=all");
    assert.equal(every.tokens.length, 4);
    assert.deepEqual(new Set(every.tokens.map((t: { state: string }) => t.state)), new Set(["active", "revoked", "expired"]));

    const paged = await list("?state=all&per_page=3&page=2");
    assert.equal(paged.tokens.length, 1);
    assert.deepEqual(paged.info, { page: 2, per_page: 3, total_pages: 2, count: 1, total_count: 4 });
    assert.deepEqual((await list("?state=all&per_page=3&page=3")).tokens, []);
    const ordered = [...(await list("?state=all&per_page=1&page=1")).tokens, ...(await list("?state=all&per_page=3&page=1")).tokens.slice(1)];
    assert.deepEqual(ordered.map((t: { id: string }) => t.id), every.tokens.slice(0, 3).map((t: { id: string }) => t.id));
    assert.ok(repoId.length > 0);
  });

  it("T1 errors: /state, /per_page, /page; unknown repository 404", async () => {
    fails(await call("GET", repoPath("tokened", "/tokens?state=dead")), 10100, 'Invalid state: Invalid option: expected one of "active"|"expired"|"revoked"|"all"', "/state");
    fails(await call("GET", repoPath("tokened", "/tokens?per_page=101")), 10100, "Invalid per_page: Too big: expected number to be <=100", "/per_page");
    fails(await call("GET", repoPath("tokened", "/tokens?page=0")), 10100, "Invalid page: Too small: expected number to be >=1", "/page");
    fails(await call("GET", repoPath("no-such-repo", "/tokens")), 10200, "Repository not found");
  });
});

describe("content reads (C1–C6) and refs", () => {
  it("C1 log: camelCase commits, first-parent, no result_info; HEAD and full ref names accepted", async () => {
    const log = ok(await call("GET", repoPath("content", "/log")));
    const expected = content.text(["rev-list", "--first-parent", "main"]).split("\n");
    assert.deepEqual(log.map((c: { hash: string }) => c.hash), expected);
    assert.deepEqual(Object.keys(log[0]).sort(), COMMIT_KEYS);
    assert.equal(log[0].message, "merge feature");
    assert.deepEqual(log[0].parents, [content.B, content.C]);
    assert.deepEqual(log[0].author, { name: "A U Thor", email: "author@example.com" });
    assert.equal(typeof log[0].committedAt, "number");
    for (const ref of ["HEAD", "refs/heads/main", "heads/main", content.M]) {
      assert.deepEqual(ok(await call("GET", repoPath("content", `/log?ref=${encodeURIComponent(ref)}`))).map((c: { hash: string }) => c.hash), expected, ref);
    }
    assert.deepEqual(ok(await call("GET", repoPath("content", "/log?ref=v1&limit=1"))).map((c: { hash: string }) => c.hash), [content.B]);
    assert.deepEqual(ok(await call("GET", repoPath("content", "/log?limit=1&offset=1"))).map((c: { hash: string }) => c.hash), [expected[1]]);
    assert.deepEqual(ok(await call("GET", repoPath("content", "/log?ref=nope"))), []);
    assert.equal(ok(await call("GET", repoPath("content", "/log?limit=5000"))).length, expected.length);
  });

  it("C1 errors: /limit, /offset; unknown repository 404", async () => {
    fails(await call("GET", repoPath("content", "/log?limit=0")), 10100, /^Invalid limit "0": expected an integer of at least 1/, "/limit");
    fails(await call("GET", repoPath("content", "/log?limit=ten")), 10100, 'Invalid limit "ten": expected an integer', "/limit");
    fails(await call("GET", repoPath("content", "/log?offset=-1")), 10100, 'Invalid offset "-1": expected an integer of at least 0', "/offset");
    fails(await call("GET", repoPath("missing", "/log")), 10200, "Repository not found");
  });

  it("C2 commit: 200 metadata; bad hash 400 /hash; missing 404 \"Commit not found\"", async () => {
    const commit = ok(await call("GET", repoPath("content", `/commit/${content.B}`)));
    assert.deepEqual(Object.keys(commit).sort(), COMMIT_KEYS);
    assert.equal(commit.hash, content.B);
    assert.equal(commit.message, "second\n\nbody line");
    assert.deepEqual(commit.parents, [content.A]);
    assert.equal(commit.treeHash, content.rev(`${content.B}^{tree}`));
    fails(await call("GET", repoPath("content", "/commit/xyz")), 10100, "Invalid SHA-1 hash", "/hash");
    fails(await call("GET", repoPath("content", `/commit/${content.B.toUpperCase()}`)), 10100, "Invalid SHA-1 hash", "/hash");
    fails(await call("GET", repoPath("content", `/commit/${"0".repeat(40)}`)), 10200, "Commit not found");
    fails(await call("GET", repoPath("content", `/commit/${content.rev("v1")}`)), 10200, "Commit not found");
  });

  it("C3 tree: 200 immediate entries; a commit hash is 404 \"Tree not found\" (spec §9 item 9)", async () => {
    const tree = content.rev(`${content.M}^{tree}`);
    const entries = ok(await call("GET", repoPath("content", `/tree/${tree}`)));
    const listed = content.text(["ls-tree", tree]).split("\n").map((line) => {
      const [meta, name] = line.split("\t") as [string, string];
      const [mode, , hash] = meta.split(" ") as [string, string, string];
      return { name, mode: mode.replace(/^0/, ""), hash };
    });
    assert.deepEqual(entries.map((e: { name: string; mode: string; hash: string }) => ({ name: e.name, mode: e.mode, hash: e.hash })), listed);
    const kinds = Object.fromEntries(entries.map((e: { name: string; type: string }) => [e.name, e.type]));
    assert.deepEqual([kinds["README.md"], kinds["src"], kinds["run.sh"], kinds["link"], kinds["sub"]], ["blob", "tree", "exec", "symlink", "gitlink"]);
    fails(await call("GET", repoPath("content", `/tree/${content.M}`)), 10200, "Tree not found");
    fails(await call("GET", repoPath("content", `/tree/${"f".repeat(40)}`)), 10200, "Tree not found");
    fails(await call("GET", repoPath("content", "/tree/short")), 10100, "Invalid SHA-1 hash", "/hash");
  });

  it("C4 blob: raw bytes as application/octet-stream; a non-blob is 404 \"Blob not found\" as JSON", async () => {
    const blob = content.rev(`${content.M}:bin.dat`);
    const reply = await call("GET", repoPath("content", `/blob/${blob}`));
    assert.equal(reply.status, 200);
    assert.equal(reply.type, "application/octet-stream");
    assert.equal(reply.headers.get("content-length"), String(BINARY.length));
    assert.deepEqual(reply.bytes, BINARY);
    fails(await call("GET", repoPath("content", `/blob/${content.M}`)), 10200, "Blob not found");
    fails(await call("GET", repoPath("content", "/blob/nothex")), 10100, "Invalid SHA-1 hash", "/hash");
  });

  it("C5 file: raw bytes as application/octet-stream; missing path 400 /path; missing file or directory 404", async () => {
    const reply = await call("GET", repoPath("content", "/file?ref=main&path=README.md"));
    assert.equal(reply.status, 200);
    assert.equal(reply.type, "application/octet-stream");
    assert.equal(reply.text, "hello again\n");
    assert.equal((await call("GET", repoPath("content", "/file?path=README.md"))).text, "hello again\n");
    assert.equal((await call("GET", repoPath("content", `/file?ref=${content.A}&path=README.md`))).text, "hello\n");
    assert.equal((await call("GET", repoPath("content", "/file?ref=feature/x&path=feature.txt"))).text, "feature\n");
    fails(await call("GET", repoPath("content", "/file")), 10100, /^Invalid path: /, "/path");
    fails(await call("GET", repoPath("content", "/file?path=")), 10100, /^Invalid path: /, "/path");
    fails(await call("GET", repoPath("content", "/file?ref=&path=README.md")), 10100, /^Invalid ref: /, "/ref");
    fails(await call("GET", repoPath("content", "/file?path=nope.txt")), 10200, "File not found");
    fails(await call("GET", repoPath("content", "/file?path=src")), 10200, "File not found");
    fails(await call("GET", repoPath("content", "/file?ref=nope&path=README.md")), 10200, "File not found");
  });

  it("C6 raw: sniffed type; refs containing \"/\" and tags work (spec §9 item 8); missing → 404", async () => {
    const text = await call("GET", repoPath("content", "/raw/main/README.md"));
    assert.equal(text.status, 200);
    assert.equal(text.type, "text/plain; charset=utf-8");
    assert.equal(text.text, "hello again\n");
    const binary = await call("GET", repoPath("content", "/raw/main/bin.dat"));
    assert.equal(binary.type, "application/octet-stream");
    assert.deepEqual(binary.bytes, BINARY);
    assert.equal((await call("GET", repoPath("content", "/raw/feature/x/feature.txt"))).text, "feature\n");
    assert.equal((await call("GET", repoPath("content", "/raw/release/2.0/feature.txt"))).text, "feature\n");
    assert.equal((await call("GET", repoPath("content", "/raw/v1/README.md"))).text, "hello again\n");
    assert.equal((await call("GET", repoPath("content", "/raw/main/src/lib/util.ts"))).text, "export const x = 1;\n");
    fails(await call("GET", repoPath("content", "/raw/main/nope")), 10200, "File not found");
    fails(await call("GET", repoPath("content", "/raw/nope/README.md")), 10200, "File not found");
    fails(await call("GET", repoPath("content", "/raw/main/src")), 10200, "File not found");
  });

  it("refs (extension): every ref with its id, annotated tags peeled", async () => {
    const refs = ok(await call("GET", repoPath("content", "/refs")));
    assert.deepEqual(refs.map((r: { name: string; id: string }) => `${r.id} ${r.name}`), refsOf(content).map(([id, n]) => `${id} ${n}`).sort((a, b) => (a.slice(41) < b.slice(41) ? -1 : 1)));
    const v1 = refs.find((r: { name: string }) => r.name === "refs/tags/v1");
    assert.equal(v1.peeled, content.B);
    fails(await call("GET", repoPath("missing", "/refs")), 10200, "Repository not found");
  });
});

describe("in-progress states (409, retriable)", () => {
  /** Asserts the 409 of `code` with Retry-After. */
  function inProgress(reply: Reply, code: number, status: string): void {
    fails(reply, code, `Repository is ${status}; retry shortly`);
    assert.equal(reply.headers.get("retry-after"), "1");
  }

  async function statusInList(name: string): Promise<string | undefined> {
    const repos = ok(await call("GET", `/namespaces/${NS}/repos?search=${name}`), 200, "offset");
    return repos.find((r: { name: string }) => r.name === name)?.status;
  }

  it("while an import runs: get, tokens, log, reads, fork and git answer IMPORT_IN_PROGRESS (10302); list shows importing", async () => {
    svc.importFetch.target = forwardTo(svc.handler, contentToken);
    const held = svc.importFetch.hold();
    const pending = call("POST", repoPath("incoming", "/import"), { body: { url: `https://source.test/git/${NS}/content.git` } });
    await held.reached;
    try {
      inProgress(await call("GET", repoPath("incoming")), 10302, "importing");
      inProgress(await call("GET", repoPath("incoming", "/tokens")), 10302, "importing");
      inProgress(await call("POST", `/namespaces/${NS}/tokens`, { body: { repo: "incoming" } }), 10302, "importing");
      inProgress(await call("GET", repoPath("incoming", "/log")), 10302, "importing");
      inProgress(await call("GET", repoPath("incoming", `/commit/${content.M}`)), 10302, "importing");
      inProgress(await call("GET", repoPath("incoming", "/raw/main/README.md")), 10302, "importing");
      inProgress(await call("POST", repoPath("incoming", "/fork"), { body: { name: "early-fork" } }), 10302, "importing");
      // The name is taken by a repository on its way: the retriable code, not ALREADY_EXISTS.
      inProgress(await call("POST", repoPath("incoming", "/import"), { body: { url: `https://source.test/git/${NS}/content.git` } }), 10302, "importing");
      inProgress(await call("POST", `/namespaces/${NS}/repos`, { body: { name: "incoming" } }), 10302, "importing");
      inProgress(await call("POST", repoPath("content", "/fork"), { body: { name: "incoming" } }), 10302, "importing");
      assert.equal(await statusInList("incoming"), "importing");
      const git = await infoRefs(svc.handler, NS, "incoming", contentToken);
      assert.equal(git.status, 409);
      assert.equal(git.text, "Repository is importing; retry shortly\n");
    } finally {
      held.release();
    }
    ok(await pending, 201);
    assert.equal(await statusInList("incoming"), "ready");
    assert.equal(ok(await call("GET", repoPath("incoming"))).source, `git:https://source.test/git/${NS}/content.git`);
    assert.equal(ok(await call("GET", repoPath("incoming", "/log?limit=1")))[0].hash, content.M);
  });

  it("while a fork runs: get, tokens, log and git answer FORK_IN_PROGRESS (10303); list shows forking", async () => {
    const held = svc.store.hold(`repo/${contentId}/`);
    const pending = call("POST", repoPath("content", "/fork"), { body: { name: "forking-now" } });
    await held.reached;
    try {
      inProgress(await call("GET", repoPath("forking-now")), 10303, "forking");
      inProgress(await call("GET", repoPath("forking-now", "/tokens")), 10303, "forking");
      inProgress(await call("GET", repoPath("forking-now", "/log")), 10303, "forking");
      inProgress(await call("POST", `/namespaces/${NS}/tokens`, { body: { repo: "forking-now", scope: "read" } }), 10303, "forking");
      assert.equal(await statusInList("forking-now"), "forking");
      assert.equal((await infoRefs(svc.handler, NS, "forking-now", contentToken)).status, 409);
    } finally {
      held.release();
    }
    assert.equal(typeof ok(await pending, 201).objects, "number");
    assert.equal(await statusInList("forking-now"), "ready");
    assert.equal(ok(await call("GET", repoPath("forking-now", "/log?limit=1")))[0].hash, content.M);
  });

  it("a repository still being created answers CREATE_IN_PROGRESS (10301) and can be deleted", async () => {
    await svc.handler.reposit.createRepo(NS, "half-made", {}, { status: "creating" });
    inProgress(await call("GET", repoPath("half-made")), 10301, "creating");
    inProgress(await call("GET", repoPath("half-made", "/tokens")), 10301, "creating");
    assert.equal(await statusInList("half-made"), "creating");
    ok(await call("DELETE", repoPath("half-made")), 202);
    fails(await call("GET", repoPath("half-made")), 10200, "Repository not found");
  });
});

describe("internal errors", () => {
  it("an unexpected failure is 500 10400 \"An internal error occurred.\" without details", async () => {
    const broken = newService();
    await createRepo("r", {}, "ns", broken);
    broken.store.failPrefix = "nsrepo/";
    const reply = await call("GET", "/namespaces/ns/repos/r", { service: broken });
    fails(reply, 10400, "An internal error occurred.");
    assert.ok(!reply.text.includes("Injected"));
    fails(await call("GET", "/namespaces/ns/repos", { service: broken }), 10400, "An internal error occurred.");
  });
});

describe("coverage", () => {
  it("every public error code was seen with its status", () => {
    const expected = Object.keys(STATUS_OF).map(Number).sort();
    assert.deepEqual([...seenCodes].sort(), expected);
  });
});
