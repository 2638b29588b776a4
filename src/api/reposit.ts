/**
 * @module api/reposit
 * The service behind every interface (REST, binding, git): namespaces, repositories and their
 * tokens, plus the RepoContext the git endpoints run on. REST and the binding API call the same
 * methods, so they cannot drift apart.
 */
import type { KvStore } from "../storage/types.ts";
import type { Platform } from "../platform.ts";
import type { Limits } from "../limits.ts";
import { ArtifactsError } from "../errors.ts";
import { RepoTokens, type IssuedToken } from "../auth/repo-tokens.ts";
import type { TokenScope } from "../auth/token-claims.ts";
import { randomId } from "../auth/ids.ts";
import { deletePrefix } from "../storage/storage.ts";
import { PoolCache, type PoolEnv } from "../repo/object-pool.ts";
import type { RepoContext } from "../repo/repo-context.ts";
import type { PushEvent } from "../repo/receive-pack.ts";
import { checkBranchName } from "../repo/ref-name.ts";
import { packBlobsPrefix } from "../repo/keys.ts";
import { assertNamespaceName, assertRepoName } from "./names.ts";
import {
  decodeRecord,
  encodeRecord,
  namespaceKey,
  readRepo,
  repoIdKey,
  repoKey,
  type NamespaceRecord,
  type RepoRecord,
} from "./records.ts";

export interface RepositConfig {
  readonly store: KvStore;
  readonly platform: Platform;
  readonly limits: Limits;
  readonly signingKey: Uint8Array;
  readonly now?: () => number;
  /** Receives unexpected errors (never secrets). */
  readonly onError?: (error: unknown) => void;
}

export interface CreateRepoOptions {
  readonly description?: string | null;
  readonly defaultBranch?: string;
  readonly readOnly?: boolean;
}

export interface CreatedRepo {
  readonly record: RepoRecord;
  readonly token: IssuedToken;
}

export class Reposit {
  readonly store: KvStore;
  readonly tokens: RepoTokens;
  readonly env: PoolEnv;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;

  constructor(config: RepositConfig) {
    this.store = config.store;
    this.now = config.now ?? Date.now;
    this.tokens = new RepoTokens({ store: config.store, key: config.signingKey, now: this.now });
    this.env = { store: config.store, platform: config.platform, limits: config.limits, cache: new PoolCache() };
    this.onError = config.onError ?? (() => {});
  }

  #iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Creates the namespace record if it does not exist yet (namespaces are created on first use). */
  async ensureNamespace(ns: string, jurisdiction: NamespaceRecord["jurisdiction"] = "unrestricted"): Promise<NamespaceRecord> {
    assertNamespaceName(ns);
    const existing = await this.store.get(namespaceKey(ns));
    if (existing) return decodeRecord<NamespaceRecord>(existing.value);
    const now = this.#iso();
    const record: NamespaceRecord = { namespace: ns, jurisdiction, createdAt: now, updatedAt: now };
    if (await this.store.commit([{ key: namespaceKey(ns), version: null }], [{ type: "set", key: namespaceKey(ns), value: encodeRecord(record) }])) {
      return record;
    }
    const raced = await this.store.get(namespaceKey(ns));
    return decodeRecord<NamespaceRecord>(raced!.value);
  }

  /** Creates an empty repository and its initial 24-hour write token. */
  async createRepo(ns: string, name: string, options: CreateRepoOptions = {}, extra: Partial<RepoRecord> = {}): Promise<CreatedRepo> {
    assertNamespaceName(ns);
    assertRepoName(name);
    const defaultBranch = options.defaultBranch ?? "main";
    const branchProblem = checkBranchName(defaultBranch);
    if (branchProblem !== null) {
      throw new ArtifactsError("INVALID_INPUT", `Invalid default_branch "${defaultBranch}": ${branchProblem}`, { pointer: "/default_branch" });
    }
    await this.ensureNamespace(ns);
    const id = randomId();
    const now = this.#iso();
    const record: RepoRecord = {
      id,
      namespace: ns,
      name,
      description: options.description ?? null,
      defaultBranch,
      createdAt: now,
      updatedAt: now,
      lastPushAt: null,
      source: null,
      readOnly: options.readOnly ?? false,
      status: "ready",
      poolId: id,
      ...extra,
    };
    const bytes = encodeRecord(record);
    const created = await this.store.commit([{ key: repoKey(ns, name), version: null }], [
      { type: "set", key: repoKey(ns, name), value: bytes },
      { type: "set", key: repoIdKey(id), value: bytes },
    ]);
    if (!created) throw new ArtifactsError("ALREADY_EXISTS", `repo already exists: ${name}`, { pointer: "/name" });
    const token = await this.tokens.issue(record, "write", 86_400);
    return { record, token };
  }

  /** The repository record, whatever its status; NOT_FOUND when absent. */
  async findRepo(ns: string, name: string): Promise<RepoRecord> {
    const found = await readRepo(this.store, ns, name);
    if (!found) throw new ArtifactsError("NOT_FOUND", "Repository not found");
    return found.record;
  }

  /** The repository record once it is ready; in-progress states throw their Artifacts code. */
  async getRepo(ns: string, name: string): Promise<RepoRecord> {
    const record = await this.findRepo(ns, name);
    assertReady(record);
    return record;
  }

  /** Deletes a repository, its refs and tokens; its objects too unless other repositories share them. */
  async deleteRepo(ns: string, name: string): Promise<{ id: string } | null> {
    const found = await readRepo(this.store, ns, name);
    if (!found) return null;
    const { record, version } = found;
    const ok = await this.store.commit([{ key: repoKey(ns, name), version }], [
      { type: "delete", key: repoKey(ns, name) },
      { type: "delete", key: repoIdKey(record.id) },
    ]);
    if (!ok) return this.deleteRepo(ns, name);
    await this.tokens.deleteAll(record.id);
    await deletePrefix(this.store, `repo/${record.id}/`);
    if (record.poolId === record.id) {
      await deletePrefix(this.store, `pool/${record.poolId}/`);
      await deletePrefix(this.store, packBlobsPrefix(record.poolId));
      this.env.cache.invalidate(record.poolId);
    }
    return { id: record.id };
  }

  /** Mints a token for a ready repository. */
  async createToken(ns: string, name: string, scope: TokenScope = "write", ttl = 86_400): Promise<IssuedToken> {
    const record = await this.getRepo(ns, name);
    return this.tokens.issue(record, scope, ttl);
  }

  /** What the git endpoints need to serve `record`. */
  repoContext(record: RepoRecord): RepoContext {
    return { env: this.env, repoId: record.id, poolId: record.poolId, head: `refs/heads/${record.defaultBranch}`, sharedPool: record.poolId !== record.id };
  }

  /** Records the time of the last push (Artifacts documents last_push_at; we keep it up to date). */
  async recordPush(ns: string, name: string, _event: PushEvent): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await readRepo(this.store, ns, name);
      if (!found) return;
      const now = this.#iso();
      const record: RepoRecord = { ...found.record, lastPushAt: now, updatedAt: now };
      const bytes = encodeRecord(record);
      const ok = await this.store.commit([{ key: repoKey(ns, name), version: found.version }], [
        { type: "set", key: repoKey(ns, name), value: bytes },
        { type: "set", key: repoIdKey(record.id), value: bytes },
      ]);
      if (ok) return;
    }
  }
}

/** Throws the in-progress code of a repository that is not ready. */
export function assertReady(record: RepoRecord): void {
  if (record.status === "ready") return;
  const code = record.status === "importing" ? "IMPORT_IN_PROGRESS" : record.status === "forking" ? "FORK_IN_PROGRESS" : "CREATE_IN_PROGRESS";
  throw new ArtifactsError(code, `Repository is ${record.status}; retry shortly`);
}
