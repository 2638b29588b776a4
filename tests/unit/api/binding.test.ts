/**
 * The Workers-binding scenario (spec/artifacts-api.md §2.2–2.3, §6): create, get, list, tokens,
 * fork, content reads, import and fork in progress, delete and disposal — run twice through one
 * scenario function, once through the binding (`createArtifacts(...).namespace(ns)`) and once
 * through the REST API (a driver that gives REST the binding's shape), so both interfaces take the
 * same steps and pass the same assertions. Where the two are documented to differ (the fork
 * default, a repeated delete, revoking by plaintext) the driver says so and the scenario checks
 * each side's own rule.
 *
 * Repositories are filled by pushing packs made with the real git CLI through the handler's own
 * receive-pack endpoint.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createArtifacts, type Artifacts, type ArtifactsRepo, type ArtifactsRepoInfo } from "../../../src/api/binding.ts";
import { ARTIFACTS_NUMERIC_CODES, ArtifactsError, type ArtifactsErrorCode } from "../../../src/errors.ts";
import type { CommitMetadata, ContentTreeEntry } from "../../../src/api/content.ts";
import type { TokenInfo } from "../../../src/auth/repo-tokens.ts";
import { buildContentRepo, BINARY, type ContentRepo } from "./content-fixture.ts";
import {
  API_TOKEN,
  ORIGIN,
  forwardTo,
  infoRefs,
  newService,
  pushAll,
  pushAllOk,
  pushNewCommit,
  rejectsWith,
  type TestService,
} from "./control-plane-fixture.ts";

const NAME_RULE = "must match /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/";
const INFO_KEYS = ["createdAt", "defaultBranch", "description", "id", "lastPushAt", "name", "readOnly", "remote", "source", "updatedAt"];
const CREATED_KEYS = ["defaultBranch", "description", "id", "name", "remote", "token", "tokenExpiresAt"];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** One way to reach the service with the binding's shape, and where that way documents other rules. */
interface Driver {
  readonly label: string;
  readonly service: TestService;
  readonly ns: string;
  readonly artifacts: Artifacts;
  /** Default of `fork`'s defaultBranchOnly: true for the binding (types), false over REST (live). */
  readonly forkDefaultBranchOnly: boolean;
  /** A second delete right after the first: false for the binding, 202 (true) over REST (live tombstone). */
  readonly deleteAgain: boolean;
  /** The binding revokes by plaintext and refuses invalid names on delete; REST has only ids and 404s. */
  readonly bindingOnly: boolean;
}

// ---------------------------------------------------------------- the binding driver

function bindingDriver(): Driver {
  const service = newService();
  const ns = "bound";
  const artifacts = createArtifacts({ reposit: service.handler.reposit, publicUrl: ORIGIN }).namespace(ns);
  return { label: "binding", service, ns, artifacts, forkDefaultBranchOnly: true, deleteAgain: false, bindingOnly: true };
}

// ---------------------------------------------------------------- the REST driver

/** HTTP status of each code (spec §3.5), checked on every REST failure. */
const STATUS_OF: Record<string, number> = {
  INVALID_INPUT: 400,
  INVALID_REPO_NAME: 400,
  INVALID_TTL: 400,
  INVALID_URL: 400,
  REMOTE_AUTH_REQUIRED: 422,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CREATE_IN_PROGRESS: 409,
  IMPORT_IN_PROGRESS: 409,
  FORK_IN_PROGRESS: 409,
  INTERNAL_ERROR: 500,
  UPSTREAM_UNAVAILABLE: 502,
  MEMORY_LIMIT: 413,
};

/** The ArtifactsError a REST error envelope stands for, after checking the envelope and status. */
function restError(status: number, body: any): ArtifactsError {
  assert.equal(body.success, false);
  assert.equal(body.result, null);
  assert.equal(body.errors.length, 1);
  const [error] = body.errors;
  const code = (Object.keys(ARTIFACTS_NUMERIC_CODES) as ArtifactsErrorCode[]).find((c) => ARTIFACTS_NUMERIC_CODES[c] === error.code);
  assert.ok(code !== undefined, `unknown error code ${error.code}`);
  assert.equal(status, STATUS_OF[code], `status of ${code}`);
  assert.equal(error.documentation_url, `https://developers.cloudflare.com/artifacts/api/errors#${error.code}`);
  return new ArtifactsError(code, error.message, error.source?.pointer === undefined ? {} : { pointer: error.source.pointer });
}

const camelRepo = (r: any): ArtifactsRepoInfo => ({
  id: r.id,
  name: r.name,
  description: r.description,
  defaultBranch: r.default_branch,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastPushAt: r.last_push_at,
  source: r.source,
  readOnly: r.read_only,
  remote: r.remote,
});

const camelCreated = (r: any) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  defaultBranch: r.default_branch,
  remote: r.remote,
  token: r.token,
  tokenExpiresAt: r.expires_at,
});

function restDriver(): Driver {
  const service = newService();
  const ns = "rested";
  const base = `${ORIGIN}/client/v4/accounts/acc/artifacts/namespaces/${ns}`;
  const send = (method: string, path: string, body?: unknown) =>
    service.handler.fetch(
      new Request(base + path, {
        method,
        headers: { Authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  /** The JSON envelope of a call expected to answer `status`; failures become ArtifactsErrors. */
  const call = async (method: string, path: string, status: number, body?: unknown): Promise<any> => {
    const response = await send(method, path, body);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    const payload = await response.json();
    if (!response.ok) throw restError(response.status, payload);
    assert.equal(response.status, status, `${method} ${path}`);
    assert.equal(payload.success, true);
    return payload;
  };
  /** Raw bytes and type of a byte route, or the error it answered. */
  const bytes = async (path: string): Promise<{ bytes: Uint8Array; type: string }> => {
    const response = await send("GET", path);
    if (!response.ok) throw restError(response.status, await response.json());
    return { bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get("content-type") ?? "" };
  };
  /** null for a 404 with `message` (what the binding returns as null); other errors pass. */
  const orNull = async <T>(run: () => Promise<T>, message: string): Promise<T | null> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ArtifactsError && error.code === "NOT_FOUND" && error.message === message) return null;
      throw error;
    }
  };
  const query = (params: Record<string, string | number | undefined>) => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string][];
    return entries.length === 0 ? "" : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}`;
  };
  const path = (name: string, rest = "") => `/repos/${encodeURIComponent(name)}${rest}`;

  const handle = (info: ArtifactsRepoInfo): ArtifactsRepo => ({
    ...info,
    info: async () => {
      const result = (await call("GET", path(info.name), 200)).result;
      return { ...camelRepo(result), sizeBytes: result.size_bytes };
    },
    createToken: async (scope, ttl) => {
      const r = (await call("POST", "/tokens", 201, { repo: info.name, ...(scope ? { scope } : {}), ...(ttl !== undefined ? { ttl } : {}) })).result;
      return { id: r.id, plaintext: r.plaintext, scope: r.scope, expiresAt: r.expires_at };
    },
    listTokens: async () => {
      const payload = await call("GET", path(info.name, "/tokens"), 200);
      const tokens: TokenInfo[] = payload.result.map((t: any) => ({ id: t.id, scope: t.scope, state: t.state, createdAt: t.created_at, expiresAt: t.expires_at }));
      return { tokens, total: payload.result_info.total_count };
    },
    revokeToken: async (id) => (await orNull(() => call("DELETE", `/tokens/${encodeURIComponent(id)}`, 200), "Token not found")) !== null,
    fork: async (name, opts = {}) => {
      const body = {
        name,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.readOnly !== undefined ? { read_only: opts.readOnly } : {}),
        ...(opts.defaultBranchOnly !== undefined ? { default_branch_only: opts.defaultBranchOnly } : {}),
      };
      const r = (await call("POST", path(info.name, "/fork"), 201, body)).result;
      return { ...camelCreated(r), objects: r.objects };
    },
    log: async (opts = {}) => (await call("GET", path(info.name, `/log${query({ ref: opts.ref, limit: opts.limit, offset: opts.offset })}`), 200)).result,
    readCommit: (hash) => orNull(async () => (await call("GET", path(info.name, `/commit/${hash}`), 200)).result as CommitMetadata, "Commit not found"),
    readTree: (hash) => orNull(async () => (await call("GET", path(info.name, `/tree/${hash}`), 200)).result as ContentTreeEntry[], "Tree not found"),
    readBlob: (hash) =>
      orNull(async () => {
        const got = await bytes(path(info.name, `/blob/${hash}`));
        assert.equal(got.type, "application/octet-stream");
        return new Blob([got.bytes as Uint8Array<ArrayBuffer>]);
      }, "Blob not found"),
    readFile: ({ ref, path: file }) =>
      orNull(async () => {
        // `raw` sniffs the type as readFile does; `file` reports the empty-argument errors.
        const route = ref === "" || file === "" ? `/file${query({ ref, path: file })}` : `/raw/${ref.split("/").map(encodeURIComponent).join("/")}/${file}`;
        const got = await bytes(path(info.name, route));
        return new Blob([got.bytes as Uint8Array<ArrayBuffer>], { type: got.type.replace("; ", ";") });
      }, "File not found"),
    [Symbol.dispose]() {},
  });

  const artifacts: Artifacts = {
    create: async (name, opts = {}) => {
      const body = {
        name,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.setDefaultBranch !== undefined ? { default_branch: opts.setDefaultBranch } : {}),
        ...(opts.readOnly !== undefined ? { read_only: opts.readOnly } : {}),
      };
      return camelCreated((await call("POST", "/repos", 201, body)).result);
    },
    get: async (name) => handle(camelRepo((await call("GET", path(name), 200)).result)),
    import: async ({ source, target }) => {
      const body = {
        url: source.url,
        ...(source.branch !== undefined ? { branch: source.branch } : {}),
        ...(source.depth !== undefined ? { depth: source.depth } : {}),
        ...(target.opts?.description !== undefined ? { description: target.opts.description } : {}),
        ...(target.opts?.readOnly !== undefined ? { read_only: target.opts.readOnly } : {}),
      };
      return camelCreated((await call("POST", path(target.name, "/import"), 201, body)).result);
    },
    list: async (opts = {}) => {
      const payload = await call("GET", `/repos${query({ limit: opts.limit, cursor: opts.cursor })}`, 200);
      const repos = payload.result.map((r: any) => ({ ...camelRepo(r), status: r.status }));
      const cursor = payload.result_info.cursor;
      return { repos, total: payload.result_info.total_count, ...(typeof cursor === "string" ? { cursor } : {}) };
    },
    delete: async (name) => (await orNull(() => call("DELETE", path(name), 202), "Repository not found")) !== null,
  };
  return { label: "REST", service, ns, artifacts, forkDefaultBranchOnly: false, deleteAgain: true, bindingOnly: false };
}

// ---------------------------------------------------------------- the scenario

let fixture: ContentRepo;
before(() => {
  fixture = buildContentRepo();
});
after(() => fixture?.remove());

/** Objects reachable from `revs` in the fixture, as `git rev-list --objects` counts them. */
const objectCount = (...revs: string[]) => fixture.text(["rev-list", "--objects", ...revs]).split("\n").length;

async function text(blob: Blob | null): Promise<string> {
  assert.ok(blob !== null, "expected a Blob, got null");
  return blob.text();
}

function scenario(makeDriver: () => Driver): void {
  let d: Driver;
  let a: Artifacts;
  let now: () => number;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  before(() => {
    d = makeDriver();
    a = d.artifacts;
    now = () => d.service.clock.ms;
  });

  it("create: the create result with an initial 24-hour write token; readOnly, description, setDefaultBranch", async () => {
    const alpha = await a.create("alpha", { readOnly: true, description: "first", setDefaultBranch: "trunk" });
    assert.deepEqual(Object.keys(alpha).sort(), CREATED_KEYS);
    assert.match(alpha.id, /^[0-9a-z]{16}$/);
    assert.equal(alpha.name, "alpha");
    assert.equal(alpha.description, "first");
    assert.equal(alpha.defaultBranch, "trunk");
    assert.equal(alpha.remote, `${ORIGIN}/git/${d.ns}/alpha.git`);
    const expires = Math.floor(now() / 1000) + 86_400;
    assert.ok(alpha.token.endsWith(`?expires=${expires}`), alpha.token);
    assert.equal(alpha.tokenExpiresAt, new Date(expires * 1000).toISOString());
    tokens["alpha"] = alpha.token;
    ids["alpha"] = alpha.id;

    d.service.clock.ms += 1000;
    const beta = await a.create("beta");
    assert.equal(beta.description, null);
    assert.equal(beta.defaultBranch, "main");
    tokens["beta"] = beta.token;
    ids["beta"] = beta.id;

    await rejectsWith(a.create("alpha"), "ALREADY_EXISTS", "repo already exists: alpha");
    await rejectsWith(a.create("Alpha"), "ALREADY_EXISTS", "repo already exists: Alpha");
    await rejectsWith(a.create("no good"), "INVALID_REPO_NAME", `Invalid repo name: ${NAME_RULE}`);
    await rejectsWith(a.create("-dash"), "INVALID_REPO_NAME", `Invalid repo name: ${NAME_RULE}`);
    await rejectsWith(a.create("x".repeat(64)), "INVALID_REPO_NAME", /must be at most 63 characters$/);
    const bad = await rejectsWith(a.create("branchy", { setDefaultBranch: "a..b" }), "INVALID_INPUT", /^Invalid default_branch "a\.\.b": /);
    assert.deepEqual(bad.source, { pointer: "/default_branch" });
  });

  it("get: a handle with info() and the metadata as properties; a missing repository is NOT_FOUND", async () => {
    const repo = await a.get("alpha");
    assert.equal(typeof repo.info, "function");
    assert.equal(typeof repo[Symbol.dispose], "function");
    const info = await repo.info();
    // sizeBytes (stored pack bytes) is a Reposit extension of info().
    assert.deepEqual(Object.keys(info).sort(), [...INFO_KEYS, "sizeBytes"].sort());
    assert.deepEqual(info, {
      id: ids["alpha"],
      name: "alpha",
      description: "first",
      defaultBranch: "trunk",
      createdAt: new Date(now() - 1000).toISOString(),
      updatedAt: new Date(now() - 1000).toISOString(),
      lastPushAt: null,
      source: null,
      readOnly: true,
      remote: `${ORIGIN}/git/${d.ns}/alpha.git`,
      sizeBytes: 0,
    });
    for (const key of INFO_KEYS) assert.deepEqual(repo[key as keyof ArtifactsRepoInfo], info[key as keyof ArtifactsRepoInfo], key);
    assert.equal((await (await a.get("ALPHA")).info()).id, ids["alpha"]);
    const missing = await rejectsWith(a.get("ghost"), "NOT_FOUND", "Repository not found");
    assert.equal(missing.numericCode, 10200);
  });

  it("pushes land: lastPushAt and updatedAt move (spec §9 item 4)", async () => {
    d.service.clock.ms += 1000;
    await pushAllOk(d.service.handler, d.ns, "beta", tokens["beta"]!, fixture);
    const info = await (await a.get("beta")).info();
    assert.equal(info.lastPushAt, new Date(now()).toISOString());
    assert.equal(info.updatedAt, info.lastPushAt);
    assert.notEqual(info.createdAt, info.updatedAt);
  });

  it("read-only repositories refuse pushes with 403 \"Repository is read-only\" (spec §9 item 2)", async () => {
    const push = await pushAll(d.service.handler, d.ns, "alpha", tokens["alpha"]!, fixture);
    assert.equal(push.status, 403);
    assert.equal(push.text, "Repository is read-only\n");
    assert.equal((await infoRefs(d.service.handler, d.ns, "alpha", tokens["alpha"]!, "git-receive-pack")).status, 403);
    assert.equal((await infoRefs(d.service.handler, d.ns, "alpha", tokens["alpha"]!)).status, 200);
    assert.equal((await (await a.get("alpha")).info()).lastPushAt, null);
  });

  it("log: first-parent chain; HEAD, full ref names, tags and ids; offset and limit; unknown ref []", async () => {
    const repo = await a.get("beta");
    const chain = fixture.text(["rev-list", "--first-parent", "main"]).split("\n");
    const hashes = (log: CommitMetadata[]) => log.map((c) => c.hash);
    assert.deepEqual(hashes(await repo.log()), chain);
    for (const ref of ["HEAD", "main", "refs/heads/main", fixture.M]) assert.deepEqual(hashes(await repo.log({ ref })), chain, ref);
    assert.deepEqual(hashes(await repo.log({ ref: "feature/x" })), [fixture.C, fixture.A]);
    assert.deepEqual(hashes(await repo.log({ ref: "v1" })), [fixture.B, fixture.A]);
    assert.deepEqual(hashes(await repo.log({ limit: 1, offset: 1 })), [chain[1]]);
    assert.deepEqual(await repo.log({ ref: "no-such-branch" }), []);
    const zero = await rejectsWith(repo.log({ limit: 0 }), "INVALID_INPUT");
    assert.deepEqual(zero.source, { pointer: "/limit" });
  });

  it("readCommit / readTree / readBlob: metadata, immediate entries, an untyped Blob; null when absent or of another type", async () => {
    const repo = await a.get("beta");
    const [authored, committed] = fixture.text(["show", "-s", "--format=%at %ct", fixture.M]).split(" ").map(Number);
    assert.deepEqual(await repo.readCommit(fixture.M), {
      hash: fixture.M,
      treeHash: fixture.rev(`${fixture.M}^{tree}`),
      message: "merge feature",
      author: { name: "A U Thor", email: "author@example.com" },
      committer: { name: "C O Mitter", email: "committer@example.com" },
      parents: [fixture.B, fixture.C],
      authoredAt: authored,
      committedAt: committed,
    });
    assert.equal(await repo.readCommit("0".repeat(40)), null);
    assert.equal(await repo.readCommit(fixture.rev("v1")), null);
    const badHash = await rejectsWith(repo.readCommit("XYZ"), "INVALID_INPUT", d.bindingOnly ? "Invalid hash: expected a 40-character SHA-1 hex hash." : "Invalid SHA-1 hash"); // each side's live text
    assert.deepEqual(badHash.source, { pointer: "/hash" });

    const tree = fixture.rev(`${fixture.B}^{tree}`);
    const entries = await repo.readTree(tree);
    assert.ok(entries !== null);
    assert.deepEqual(entries.map((e) => e.name), fixture.text(["ls-tree", "--name-only", tree]).split("\n"));
    assert.deepEqual(entries.find((e) => e.name === "src"), { name: "src", mode: "40000", hash: fixture.rev(`${tree}:src`), type: "tree" });
    assert.equal(await repo.readTree(fixture.M), null); // a commit is not a tree (spec §9 item 9)
    await rejectsWith(repo.readTree("abc"), "INVALID_INPUT");

    const blob = await repo.readBlob(fixture.rev(`${fixture.M}:README.md`));
    assert.ok(blob instanceof Blob);
    assert.equal(blob.type, "");
    assert.equal(await blob.text(), "hello again\n");
    assert.equal(await repo.readBlob(tree), null);
    assert.equal(await repo.readBlob("f".repeat(40)), null);
  });

  it("readFile: a Blob typed text/plain;charset=utf-8 or application/octet-stream; null for missing files and directories", async () => {
    const repo = await a.get("beta");
    const readme = await repo.readFile({ ref: "main", path: "README.md" });
    assert.equal(readme?.type, "text/plain;charset=utf-8");
    assert.equal(await text(readme), "hello again\n");
    const binary = await repo.readFile({ ref: "main", path: "bin.dat" });
    assert.equal(binary?.type, "application/octet-stream");
    assert.deepEqual(new Uint8Array(await binary!.arrayBuffer()), BINARY);
    assert.equal(await text(await repo.readFile({ ref: "feature/x", path: "feature.txt" })), "feature\n");
    assert.equal(await text(await repo.readFile({ ref: fixture.A, path: "README.md" })), "hello\n");
    assert.equal(await text(await repo.readFile({ ref: "v1", path: "src/lib/util.ts" })), "export const x = 1;\n");
    assert.equal(await repo.readFile({ ref: "main", path: "src" }), null);
    assert.equal(await repo.readFile({ ref: "main", path: "nope.txt" }), null);
    assert.equal(await repo.readFile({ ref: "nope", path: "README.md" }), null);
    const emptyRef = await rejectsWith(repo.readFile({ ref: "", path: "README.md" }), "INVALID_INPUT");
    assert.deepEqual(emptyRef.source, { pointer: "/ref" });
    const emptyPath = await rejectsWith(repo.readFile({ ref: "main", path: "" }), "INVALID_INPUT");
    assert.deepEqual(emptyPath.source, { pointer: "/path" });
  });

  it("tokens: createToken (defaults write, 24 h), listTokens (active only), revokeToken by id and plaintext", async () => {
    const repo = await a.get("beta");
    const initial = await repo.listTokens();
    assert.equal(initial.total, 1);
    assert.deepEqual(Object.keys(initial.tokens[0]!).sort(), ["createdAt", "expiresAt", "id", "scope", "state"]);
    assert.equal(initial.tokens[0]!.scope, "write");
    assert.equal(initial.tokens[0]!.state, "active");

    const read = await repo.createToken("read", 3600);
    assert.deepEqual(Object.keys(read).sort(), ["expiresAt", "id", "plaintext", "scope"]);
    assert.equal(read.scope, "read");
    assert.equal(read.expiresAt, new Date((Math.floor(now() / 1000) + 3600) * 1000).toISOString());
    const write = await repo.createToken();
    assert.equal(write.scope, "write");
    assert.equal(write.expiresAt, new Date((Math.floor(now() / 1000) + 86_400) * 1000).toISOString());
    await rejectsWith(repo.createToken("write", 59), "INVALID_TTL", "ttl must be between 60 and 31536000 seconds");
    await rejectsWith(repo.createToken("read", 31_536_001), "INVALID_TTL", "ttl must be between 60 and 31536000 seconds");

    const listed = await repo.listTokens();
    assert.equal(listed.total, 3);
    assert.deepEqual(new Set(listed.tokens.map((t) => t.id)), new Set([initial.tokens[0]!.id, read.id, write.id]));
    assert.equal((await infoRefs(d.service.handler, d.ns, "beta", read.plaintext)).status, 200);

    assert.equal(await repo.revokeToken(read.id), true);
    assert.equal(await repo.revokeToken(read.id), true); // revoking twice is fine
    assert.equal((await infoRefs(d.service.handler, d.ns, "beta", read.plaintext)).status, 403);
    const after = await repo.listTokens();
    assert.equal(after.total, 2);
    assert.ok(!after.tokens.some((t) => t.id === read.id));

    if (d.bindingOnly) {
      assert.equal(await repo.revokeToken(write.plaintext), true);
      await rejectsWith(repo.revokeToken(""), "INVALID_INPUT");
      assert.equal(await repo.revokeToken(tokens["alpha"]!), false); // another repository's token
    } else {
      assert.equal(await repo.revokeToken(write.id), true);
    }
    assert.equal((await repo.listTokens()).total, 1);
    assert.equal((await infoRefs(d.service.handler, d.ns, "beta", write.plaintext)).status, 403);
    assert.equal(await repo.revokeToken("zzzzzzzzzzzzzzzz"), false);
  });

  it("list: every info field plus status, namespace-wide total, cursor paging newest first", async () => {
    for (let i = 1; i <= 5; i++) {
      d.service.clock.ms += 1000;
      await a.create(`gamma${i}`);
    }
    const all = await a.list();
    assert.equal(all.total, 7);
    assert.equal(all.cursor, undefined);
    assert.deepEqual(all.repos.map((r) => r.name), ["gamma5", "gamma4", "gamma3", "gamma2", "gamma1", "beta", "alpha"]);
    for (const repo of all.repos) {
      assert.deepEqual(Object.keys(repo).sort(), [...INFO_KEYS, "status"].sort());
      assert.equal(repo.status, "ready");
    }
    const { sizeBytes: _size, ...alphaInfo } = await (await a.get("alpha")).info();
    assert.deepEqual(all.repos.find((r) => r.name === "alpha"), { ...alphaInfo, status: "ready" });

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await a.list({ limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      assert.equal(page.total, 7);
      pages.push(page.repos.map((r) => r.name));
      cursor = page.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
    assert.deepEqual(pages.flat(), all.repos.map((r) => r.name));

    for (const limit of [0, 201, 1.5]) {
      const error = await rejectsWith(a.list({ limit }), "INVALID_INPUT");
      assert.deepEqual(error.source, { pointer: "/limit" });
    }
    const garbled = await rejectsWith(a.list({ limit: 3, cursor: "garbage" }), "INVALID_INPUT", "Invalid cursor: it was not issued by this server");
    assert.deepEqual(garbled.source, { pointer: "/cursor" });
  });

  it("fork: the create result plus objects; defaultBranchOnly copies one branch; source names the parent", async () => {
    const parent = await a.get("beta");
    const byDefault = await parent.fork("beta-fork");
    assert.deepEqual(Object.keys(byDefault).sort(), [...CREATED_KEYS, "objects"].sort());
    assert.equal(byDefault.defaultBranch, "main");
    assert.equal(byDefault.description, null);
    assert.equal(byDefault.objects, d.forkDefaultBranchOnly ? objectCount("main") : objectCount("--all"));
    tokens["beta-fork"] = byDefault.token;

    const everything = await parent.fork("beta-all", { defaultBranchOnly: false, readOnly: true, description: "all refs" });
    assert.equal(everything.objects, objectCount("--all"));
    assert.equal(everything.description, "all refs");
    tokens["beta-all"] = everything.token;
    const one = await parent.fork("beta-main", { defaultBranchOnly: true });
    assert.equal(one.objects, objectCount("main"));

    const all = await a.get("beta-all");
    const info = await all.info();
    assert.equal(info.source, `artifacts:${d.ns}/beta`);
    assert.equal(info.readOnly, true);
    assert.equal(info.defaultBranch, "main");
    assert.deepEqual((await all.log({ ref: "feature/x" })).map((c) => c.hash), [fixture.C, fixture.A]);
    assert.deepEqual(await (await a.get("beta-main")).log({ ref: "feature/x" }), []);
    assert.equal((await (await a.get("beta-main")).log())[0]?.hash, fixture.M);
    const push = await pushAll(d.service.handler, d.ns, "beta-all", everything.token, fixture);
    assert.equal(push.status, 403);

    await rejectsWith(parent.fork("beta-all"), "ALREADY_EXISTS", "repo already exists: beta-all");
    await rejectsWith(parent.fork("bad name"), "INVALID_REPO_NAME", `Invalid repo name: ${NAME_RULE}`);
  });

  it("a repository being imported: get throws IMPORT_IN_PROGRESS (10302), list shows importing, then it is ready", async () => {
    const { importFetch } = d.service;
    importFetch.target = forwardTo(d.service.handler, tokens["beta-fork"]);
    const held = importFetch.hold();
    const url = `https://source.test/git/${d.ns}/beta-fork.git`;
    const pending = a.import({ source: { url }, target: { name: "incoming", opts: { description: "copied" } } });
    await held.reached;
    try {
      const error = await rejectsWith(a.get("incoming"), "IMPORT_IN_PROGRESS", "Repository is importing; retry shortly");
      assert.equal(error.numericCode, 10302);
      assert.equal((await a.list()).repos.find((r) => r.name === "incoming")?.status, "importing");
    } finally {
      held.release();
    }
    const created = await pending;
    assert.deepEqual(Object.keys(created).sort(), CREATED_KEYS);
    assert.equal(created.description, "copied");
    assert.equal(created.defaultBranch, "main");
    const incoming = await a.get("incoming");
    assert.equal((await incoming.info()).source, `git:${url}`);
    assert.equal((await incoming.log())[0]?.hash, fixture.M);
    assert.equal((await a.list()).repos.find((r) => r.name === "incoming")?.status, "ready");

    await rejectsWith(a.import({ source: { url: "http://source.test/x.git" }, target: { name: "nope" } }), "INVALID_INPUT", "Must be an HTTPS URL");
    importFetch.target = () => Promise.reject(new TypeError("fetch failed"));
    await rejectsWith(a.import({ source: { url }, target: { name: "nope" } }), "UPSTREAM_UNAVAILABLE", "The upstream service is unavailable. Please retry.");
    importFetch.target = forwardTo(d.service.handler);
    await rejectsWith(a.import({ source: { url }, target: { name: "nope" } }), "REMOTE_AUTH_REQUIRED", /requires authentication \(HTTP 401\)/);
    await rejectsWith(a.get("nope"), "NOT_FOUND");
  });

  it("a repository being forked: get throws FORK_IN_PROGRESS (10303), list shows forking, then it is ready", async () => {
    const parent = await a.get("beta");
    const held = d.service.store.hold(`repo/${ids["beta"]}/`);
    const pending = parent.fork("forking-now");
    await held.reached;
    try {
      const error = await rejectsWith(a.get("forking-now"), "FORK_IN_PROGRESS", "Repository is forking; retry shortly");
      assert.equal(error.numericCode, 10303);
      assert.equal((await a.list()).repos.find((r) => r.name === "forking-now")?.status, "forking");
    } finally {
      held.release();
    }
    assert.equal((await pending).name, "forking-now");
    assert.equal((await (await a.get("forking-now")).log())[0]?.hash, fixture.M);
  });

  it("delete: true, then false (binding) or 202 again (REST); get afterwards and earlier handles are NOT_FOUND", async () => {
    const earlier = await a.get("gamma1");
    const token = (await earlier.createToken("read", 600)).plaintext;
    assert.equal(await a.delete("gamma1"), true);
    assert.equal(await a.delete("gamma1"), d.deleteAgain);
    const gone = await rejectsWith(a.get("gamma1"), "NOT_FOUND", "Repository not found");
    assert.equal(gone.numericCode, 10200);
    await rejectsWith(earlier.info(), "NOT_FOUND", "Repository not found");
    await rejectsWith(earlier.log(), "NOT_FOUND", "Repository not found");
    assert.equal((await infoRefs(d.service.handler, d.ns, "gamma1", token)).status, 404);
    assert.equal(await a.delete("never-was"), false);
    if (d.bindingOnly) {
      await rejectsWith(a.delete("bad name"), "INVALID_REPO_NAME", `Invalid repo name: ${NAME_RULE}`);
      // A handle names one repository: a new one under the same name is not it.
      await a.create("gamma1");
      await rejectsWith(earlier.info(), "NOT_FOUND", "Repository not found");
    }
    assert.equal((await a.list()).repos.some((r) => r.name === "gamma1"), d.bindingOnly);
  });

  it("forks outlive their parent: reads, pushes and provenance keep working after the parent is deleted", async () => {
    assert.equal(await a.delete("beta"), true);
    const fork = await a.get("beta-fork");
    assert.equal((await fork.info()).source, `artifacts:${d.ns}/beta`);
    assert.equal((await fork.log())[0]?.hash, fixture.M);
    assert.equal(await text(await fork.readFile({ ref: "main", path: "README.md" })), "hello again\n");
    const pushed = await pushNewCommit(d.service.handler, { ns: d.ns, name: "beta-fork", token: tokens["beta-fork"]! }, fixture, fixture.M, "after the parent went");
    assert.equal(pushed.status, 200, pushed.text);
    assert.match(pushed.text, /ok refs\/heads\/main/);
    assert.deepEqual((await fork.log({ limit: 2 })).map((c) => c.hash), [pushed.id, fixture.M]);
    assert.equal(await text(await fork.readFile({ ref: "main", path: "new-file.txt" })), "after the parent went\n");
    // The sibling fork cannot see the new commit.
    assert.equal(await (await a.get("beta-all")).readCommit(pushed.id), null);
  });

  it("handles are Disposable: `using` releases them and the repository stays usable", async () => {
    {
      using repo = await a.get("beta-all");
      assert.equal((await repo.info()).name, "beta-all");
    }
    const again = await a.get("beta-all");
    again[Symbol.dispose]();
    again[Symbol.dispose]();
    assert.equal((await a.get("beta-all")).name, "beta-all");
  });
}

describe("the binding (createArtifacts().namespace(ns))", () => scenario(bindingDriver));
describe("the same scenario over REST", () => scenario(restDriver));

describe("the binding refuses arguments of the wrong type as the caller's error", () => {
  // JavaScript and RPC callers can pass anything; each wrong shape must be an INVALID_* error that
  // names the argument, never an INTERNAL_ERROR from a TypeError deep inside.
  const loose = (value: unknown) => value as never;
  let a: Artifacts;
  let repo: ArtifactsRepo;

  before(async () => {
    const service = newService();
    a = createArtifacts({ reposit: service.handler.reposit, publicUrl: ORIGIN }).namespace("typed");
    await a.create("held");
    repo = await a.get("held");
  });

  const cases: [string, () => Promise<unknown>, ArtifactsErrorCode, string?][] = [
    ["get(123)", () => a.get(loose(123)), "INVALID_REPO_NAME", "/name"],
    ["get(null)", () => a.get(loose(null)), "INVALID_REPO_NAME", "/name"],
    ["get()", () => (a.get as () => Promise<unknown>)(), "INVALID_REPO_NAME", "/name"],
    ["create(123)", () => a.create(loose(123)), "INVALID_REPO_NAME", "/name"],
    ["create(name, 5)", () => a.create("c1", loose(5)), "INVALID_INPUT", "/opts"],
    ["create(name, { readOnly: 'yes' })", () => a.create("c2", loose({ readOnly: "yes" })), "INVALID_INPUT", "/readOnly"],
    ["create(name, { description: 7 })", () => a.create("c3", loose({ description: 7 })), "INVALID_INPUT", "/description"],
    ["create(name, { setDefaultBranch: 1 })", () => a.create("c4", loose({ setDefaultBranch: 1 })), "INVALID_INPUT", "/setDefaultBranch"],
    ["list('x')", () => a.list(loose("x")), "INVALID_INPUT", "/opts"],
    ["list({ limit: '5' })", () => a.list(loose({ limit: "5" })), "INVALID_INPUT", "/limit"],
    ["list({ cursor: 5 })", () => a.list(loose({ cursor: 5 })), "INVALID_INPUT", "/cursor"],
    ["import()", () => (a.import as () => Promise<unknown>)(), "INVALID_INPUT", "/source"],
    ["import({ source })", () => a.import(loose({ source: { url: "https://example.com/x.git" } })), "INVALID_INPUT", "/target"],
    ["import({ target })", () => a.import(loose({ target: { name: "imp" } })), "INVALID_INPUT", "/source"],
    ["import({ source: { url: 5 }, target })", () => a.import(loose({ source: { url: 5 }, target: { name: "imp" } })), "INVALID_INPUT", "/url"],
    ["import({ source, target: { name: 5 } })", () => a.import(loose({ source: { url: "https://example.com/x.git" }, target: { name: 5 } })), "INVALID_REPO_NAME", "/name"],
    ["delete(undefined)", () => a.delete(loose(undefined)), "INVALID_REPO_NAME", "/name"],
    ["log('main')", () => repo.log(loose("main")), "INVALID_INPUT", "/opts"],
    ["log({ ref: 5 })", () => repo.log(loose({ ref: 5 })), "INVALID_INPUT", "/ref"],
    ["log({ limit: 'x' })", () => repo.log(loose({ limit: "x" })), "INVALID_INPUT", "/limit"],
    ["readCommit(5)", () => repo.readCommit(loose(5)), "INVALID_INPUT", "/hash"],
    ["readTree(null)", () => repo.readTree(loose(null)), "INVALID_INPUT", "/hash"],
    ["readBlob({})", () => repo.readBlob(loose({})), "INVALID_INPUT", "/hash"],
    ["readFile(undefined)", () => repo.readFile(loose(undefined)), "INVALID_INPUT", "/ref"],
    ["readFile({ ref: 'main' })", () => repo.readFile(loose({ ref: "main" })), "INVALID_INPUT", "/path"],
    ["fork(5)", () => repo.fork(loose(5)), "INVALID_REPO_NAME", "/name"],
    ["fork(name, 'x')", () => repo.fork("f1", loose("x")), "INVALID_INPUT", "/opts"],
    ["fork(name, { defaultBranchOnly: 1 })", () => repo.fork("f2", loose({ defaultBranchOnly: 1 })), "INVALID_INPUT", "/defaultBranchOnly"],
    ["createToken('admin')", () => repo.createToken(loose("admin")), "INVALID_INPUT"],
    ["createToken('read', '3600')", () => repo.createToken("read", loose("3600")), "INVALID_TTL", "/ttl"],
    ["revokeToken(5)", () => repo.revokeToken(loose(5)), "INVALID_INPUT", "/token"],
  ];
  for (const [label, run, code, pointer] of cases) {
    it(`${label} → ${code}${pointer ? ` ${pointer}` : ""}`, async () => {
      const error = await rejectsWith(run(), code);
      if (pointer) assert.deepEqual(error.source, { pointer });
    });
  }

  it("null options mean none, as undefined does", async () => {
    assert.equal((await a.create("nulls", loose(null))).name, "nulls");
    assert.ok(Array.isArray((await a.list(loose(null))).repos));
    assert.deepEqual(await repo.log(loose(null)), []);
  });
});
