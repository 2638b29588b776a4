/**
 * @module api/binding
 * The in-process binding with exactly the shape of the Workers `Artifacts` binding
 * (spec/artifacts-api.md §2.2): `createArtifacts(options).namespace("default")` is what a Worker gets
 * as `env.ARTIFACTS`. Every method runs the same service code as the REST routes; failures are
 * `ArtifactsError`s with `code` and `numericCode`.
 *
 * @example
 * const artifacts = createArtifacts({ reposit: handler.reposit, publicUrl: "http://127.0.0.1:8787" }).namespace("agents");
 * const { remote, token } = await artifacts.create("scratch");
 * using repo = await artifacts.get("scratch");
 * const [latest] = await repo.log({ limit: 1 });
 */
import { ArtifactsError, LimitError, ReposError } from "../errors.ts";
import type { TokenScope } from "../auth/token-claims.ts";
import type { IssuedToken, TokenInfo } from "../auth/repo-tokens.ts";
import type { RepoRecord, RepoStatus } from "./records.ts";
import { listRepoRecords } from "./records.ts";
import { listRepos } from "./repo-list.ts";
import { forkRepo } from "./fork.ts";
import { importRepo } from "./import-repo.ts";
import { RepoContent, type CommitMetadata, type ContentTreeEntry, type LogOptions } from "./content.ts";
import type { Reposit } from "./reposit.ts";
import { assertRepoName } from "./names.ts";

export interface ArtifactsRepoInfo {
  id: string;
  name: string;
  description: string | null;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
  lastPushAt: string | null;
  source: string | null;
  readOnly: boolean;
  remote: string;
}

export interface ArtifactsCreateRepoResult {
  id: string;
  name: string;
  description: string | null;
  defaultBranch: string;
  remote: string;
  token: string;
  /** Extra field (removed from the live types, kept for older clients): the token's expiry. */
  tokenExpiresAt: string;
}

export interface ArtifactsRepoListResult {
  repos: (Omit<ArtifactsRepoInfo, "remote"> & { remote: string; status: RepoStatus })[];
  total: number;
  cursor?: string;
}

export interface ArtifactsCreateTokenResult {
  id: string;
  plaintext: string;
  scope: TokenScope;
  expiresAt: string;
}

export interface ArtifactsTokenListResult {
  tokens: TokenInfo[];
  total: number;
}

export interface ArtifactsRepo extends ArtifactsRepoInfo, Disposable {
  /** Fresh metadata; `sizeBytes` (stored pack bytes) is a Reposit extension. */
  info(): Promise<ArtifactsRepoInfo & { sizeBytes: number }>;
  createToken(scope?: TokenScope, ttl?: number): Promise<ArtifactsCreateTokenResult>;
  listTokens(): Promise<ArtifactsTokenListResult>;
  revokeToken(tokenOrId: string): Promise<boolean>;
  fork(name: string, opts?: { description?: string; readOnly?: boolean; defaultBranchOnly?: boolean }): Promise<ArtifactsCreateRepoResult & { objects: number }>;
  log(opts?: LogOptions): Promise<CommitMetadata[]>;
  readCommit(hash: string): Promise<CommitMetadata | null>;
  readTree(hash: string): Promise<ContentTreeEntry[] | null>;
  readBlob(hash: string): Promise<Blob | null>;
  readFile(args: { ref: string; path: string }): Promise<Blob | null>;
}

export interface Artifacts {
  create(name: string, opts?: { readOnly?: boolean; description?: string; setDefaultBranch?: string }): Promise<ArtifactsCreateRepoResult>;
  get(name: string): Promise<ArtifactsRepo>;
  import(params: {
    source: { url: string; branch?: string; depth?: number };
    target: { name: string; opts?: { description?: string; readOnly?: boolean } };
  }): Promise<ArtifactsCreateRepoResult>;
  list(opts?: { limit?: number; cursor?: string }): Promise<ArtifactsRepoListResult>;
  delete(name: string): Promise<boolean>;
}

export interface ArtifactsOptions {
  readonly reposit: Reposit;
  /** Base of `remote` URLs, e.g. "http://127.0.0.1:8787" (plus any mount path). */
  readonly publicUrl: string;
}

/** Builds the binding factory; `namespace(name)` fixes the namespace, as wrangler.jsonc does. */
export function createArtifacts(options: ArtifactsOptions): { namespace(name: string): Artifacts } {
  return { namespace: (ns) => namespaceBinding(options, ns) };
}

/** Every failure leaves as an ArtifactsError (limits as MEMORY_LIMIT, anything else INTERNAL_ERROR). */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ArtifactsError) throw error;
    if (error instanceof LimitError) throw new ArtifactsError("MEMORY_LIMIT", error.message, { cause: error });
    const message = error instanceof ReposError ? error.message : "An internal error occurred.";
    throw new ArtifactsError("INTERNAL_ERROR", message, { cause: error });
  }
}

// Argument checks. TypeScript callers get the types right, but a binding is also called from
// JavaScript and over RPC, where anything arrives; a wrong shape is the caller's error (INVALID_*),
// never an INTERNAL_ERROR from deep inside.

/** An options object; undefined and null mean "none". */
function optionsArg(value: unknown, pointer: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ArtifactsError("INVALID_INPUT", `Invalid ${pointer.slice(1) || "options"}: expected an object`, { pointer });
  }
  return value as Record<string, unknown>;
}

function optional<T>(value: unknown, type: "string" | "boolean" | "number", pointer: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new ArtifactsError("INVALID_INPUT", `Invalid ${pointer.slice(1)}: expected ${type}`, { pointer });
  return value as T;
}

/** A description: a string, null, or absent. */
function descriptionArg(value: unknown): string | null {
  return value === null ? null : (optional<string>(value, "string", "/description") ?? null);
}

/** A name to look up: any string (unknown ones are NOT_FOUND later); other types are INVALID_REPO_NAME. */
function lookupName(name: unknown): string {
  return typeof name === "string" ? name : assertRepoName(name);
}

/** A required string argument; INVALID_INPUT naming it otherwise. */
function stringArg(value: unknown, pointer: string): string {
  if (typeof value !== "string") throw new ArtifactsError("INVALID_INPUT", `Invalid ${pointer.slice(1)}: expected string`, { pointer });
  return value;
}

function remoteOf(options: ArtifactsOptions, r: RepoRecord): string {
  return `${options.publicUrl.replace(/\/+$/, "")}/git/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}.git`;
}

function infoOf(options: ArtifactsOptions, r: RepoRecord): ArtifactsRepoInfo {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    defaultBranch: r.defaultBranch,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    lastPushAt: r.lastPushAt,
    source: r.source,
    readOnly: r.readOnly,
    remote: remoteOf(options, r),
  };
}

function createdOf(options: ArtifactsOptions, r: RepoRecord, token: IssuedToken): ArtifactsCreateRepoResult {
  return { id: r.id, name: r.name, description: r.description, defaultBranch: r.defaultBranch, remote: remoteOf(options, r), token: token.plaintext, tokenExpiresAt: token.expiresAt };
}

function namespaceBinding(options: ArtifactsOptions, ns: string): Artifacts {
  const { reposit } = options;
  return {
    create: (name, opts) =>
      guard(async () => {
        const o = optionsArg(opts, "/opts");
        const defaultBranch = optional<string>(o.setDefaultBranch, "string", "/setDefaultBranch");
        const { record, token } = await reposit.createRepo(ns, assertRepoName(name), {
          description: descriptionArg(o.description),
          readOnly: optional<boolean>(o.readOnly, "boolean", "/readOnly") ?? false,
          ...(defaultBranch !== undefined ? { defaultBranch } : {}),
        });
        return createdOf(options, record, token);
      }),
    get: (name) => guard(async () => repoHandle(options, await reposit.getRepo(ns, lookupName(name)))),
    import: (params) =>
      guard(async () => {
        const p = optionsArg(params, "/params");
        const source = p.source;
        if (source === null || typeof source !== "object") {
          throw new ArtifactsError("INVALID_INPUT", "Invalid source: expected { url, branch?, depth? }", { pointer: "/source" });
        }
        const target = p.target;
        if (target === null || typeof target !== "object") {
          throw new ArtifactsError("INVALID_INPUT", "Invalid target: expected { name, opts? }", { pointer: "/target" });
        }
        const { name, opts } = target as { name?: unknown; opts?: unknown };
        const o = optionsArg(opts, "/target/opts");
        const { record, token } = await importRepo(reposit, ns, assertRepoName(name), source as { url: string }, {
          description: descriptionArg(o.description),
          readOnly: optional<boolean>(o.readOnly, "boolean", "/readOnly") ?? false,
        });
        return createdOf(options, record, token);
      }),
    list: (opts) =>
      guard(async () => {
        const o = optionsArg(opts, "/opts");
        const limit = o.limit ?? 50;
        if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 200) {
          throw new ArtifactsError("INVALID_INPUT", `Invalid limit ${String(limit)}: expected an integer from 1 to 200`, { pointer: "/limit" });
        }
        const cursor = optional<string>(o.cursor, "string", "/cursor");
        const page = await listRepos(
          await listRepoRecords(reposit.store, ns),
          { sort: "created_at", direction: "desc", limit, ...(cursor !== undefined ? { cursor } : {}) },
          reposit.cursors,
        );
        const repos = page.repos.map((r) => ({ ...infoOf(options, r), status: r.status }));
        return page.cursor === undefined ? { repos, total: page.total } : { repos, total: page.total, cursor: page.cursor };
      }),
    // The binding documents INVALID_REPO_NAME for delete (spec §2.2); REST answers 404 instead.
    delete: (name) => guard(async () => (await reposit.deleteRepo(ns, assertRepoName(name))) !== null),
  };
}

function repoHandle(options: ArtifactsOptions, record: RepoRecord): ArtifactsRepo {
  const { reposit } = options;
  const ns = record.namespace;
  // Fresh lookup on each call: a handle taken before a delete must report NOT_FOUND, and a
  // recreated repository of the same name is a different repository.
  const current = async () => {
    const now = await reposit.getRepo(ns, record.name);
    if (now.id !== record.id) throw new ArtifactsError("NOT_FOUND", "Repository not found");
    return now;
  };
  const content = async () => RepoContent.open(reposit, await current());
  return {
    ...infoOf(options, record),
    info: () =>
      guard(async () => {
        const now = await current();
        return { ...infoOf(options, now), sizeBytes: await reposit.repoSize(now) };
      }),
    createToken: (scope = "write", ttl = 86_400) =>
      guard(async () => {
        const token = await reposit.tokens.issue(await current(), scope, ttl);
        return { id: token.id, plaintext: token.plaintext, scope: token.scope, expiresAt: token.expiresAt };
      }),
    listTokens: () =>
      guard(async () => {
        const tokens = await reposit.tokens.list((await current()).id, "active");
        return { tokens, total: tokens.length };
      }),
    revokeToken: (tokenOrId) =>
      guard(async () => {
        if (typeof tokenOrId !== "string" || tokenOrId === "") {
          throw new ArtifactsError("INVALID_INPUT", "Invalid token: expected a token or a token id", { pointer: "/token" });
        }
        return reposit.tokens.revoke((await current()).id, tokenOrId);
      }),
    fork: (name, opts) =>
      guard(async () => {
        const o = optionsArg(opts, "/opts");
        const fork = await forkRepo(reposit, ns, (await current()).name, {
          name: assertRepoName(name),
          description: descriptionArg(o.description),
          readOnly: optional<boolean>(o.readOnly, "boolean", "/readOnly") ?? false,
          defaultBranchOnly: optional<boolean>(o.defaultBranchOnly, "boolean", "/defaultBranchOnly") ?? true, // the binding's documented default
        });
        return { ...createdOf(options, fork.record, fork.token), objects: fork.objects };
      }),
    log: (opts) =>
      guard(async () => {
        const o = optionsArg(opts, "/opts");
        const ref = optional<string>(o.ref, "string", "/ref");
        return (await content()).log({ ...o, ...(ref !== undefined ? { ref } : {}) } as LogOptions);
      }),
    readCommit: (hash) => guard(async () => (await content()).readCommit(hash)),
    readTree: (hash) => guard(async () => (await content()).readTree(hash)),
    readBlob: (hash) =>
      guard(async () => {
        const bytes = await (await content()).readBlob(hash);
        return bytes === null ? null : new Blob([bytes as Uint8Array<ArrayBuffer>]);
      }),
    readFile: (args) =>
      guard(async () => {
        const a = optionsArg(args, "/args");
        const file = await (await content()).readFile(stringArg(a.ref, "/ref"), stringArg(a.path, "/path"));
        if (file === null) return null;
        return new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.textual ? "text/plain;charset=utf-8" : "application/octet-stream" });
      }),
    [Symbol.dispose]() {},
  };
}
