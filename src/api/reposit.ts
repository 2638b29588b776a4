/**
 * @module api/reposit
 * The service behind every interface (REST, binding, git): namespaces, repositories and their
 * tokens, plus the RepoContext the git endpoints run on. REST and the binding API call the same
 * methods, so they cannot drift apart.
 */
import type { KvMutation, KvStore } from "../storage/types.ts";
import type { Platform } from "../platform.ts";
import type { Limits } from "../limits.ts";
import { ArtifactsError } from "../errors.ts";
import { RepoTokens, type IssuedToken } from "../auth/repo-tokens.ts";
import type { TokenScope } from "../auth/token-claims.ts";
import { randomId } from "../auth/ids.ts";
import { createMac, type Mac } from "../auth/mac.ts";
import type { ImportSettings } from "./import-repo.ts";
import { deletePrefix, listAll } from "../storage/storage.ts";
import { ObjectPool, PoolCache, type PoolEnv } from "../repo/object-pool.ts";
import { repackPool, type RepackReport } from "../repo/repack.ts";
import { sweepPool, type SweepReport } from "../repo/sweep.ts";
import type { RepoContext } from "../repo/repo-context.ts";
import type { PushEvent } from "../repo/receive-pack.ts";
import { checkBranchName } from "../repo/ref-name.ts";
import { packBlobsPrefix } from "../repo/keys.ts";
import { assertNamespaceName, assertRepoName } from "./names.ts";
import {
  decodeRecord,
  encodeRecord,
  namespaceKey,
  poolMemberKey,
  poolMemberPrefix,
  readRepo,
  repoIdKey,
  repoKey,
  tombstoneKey,
  updateRepo,
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
  /** How imports reach remotes (allowed plain-http hosts, timeout, fetch, target checks). */
  readonly import?: ImportSettings;
  /** Packs in a pool that trigger background compaction (default 16). */
  readonly compactAfterPacks?: number;
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

/** Imports time out after 2 minutes and forks copy refs in seconds: 15 minutes means the worker died. */
const ABANDONED_AFTER_MS = 15 * 60 * 1000;

export class Reposit {
  readonly store: KvStore;
  readonly tokens: RepoTokens;
  readonly env: PoolEnv;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
  /** Signs list cursors (src/api/repo-list.ts). */
  readonly cursors: Mac;
  readonly importSettings: ImportSettings;
  /** Packs in a pool that trigger background compaction. */
  readonly compactAfterPacks: number;
  readonly #maintaining = new Set<string>();

  constructor(config: RepositConfig) {
    this.store = config.store;
    this.now = config.now ?? Date.now;
    this.tokens = new RepoTokens({ store: config.store, key: config.signingKey, now: this.now });
    this.env = { store: config.store, platform: config.platform, limits: config.limits, cache: new PoolCache() };
    this.onError = config.onError ?? (() => {});
    this.cursors = createMac(config.signingKey, "list-cursor");
    this.importSettings = config.import ?? {};
    this.compactAfterPacks = config.compactAfterPacks ?? 16;
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
      sharedPool: false,
      ...extra,
    };
    const bytes = encodeRecord(record);
    const created = await this.store.commit([{ key: repoKey(ns, name), version: null }], [
      { type: "set", key: repoKey(ns, name), value: bytes },
      { type: "set", key: repoIdKey(id), value: bytes },
      { type: "set", key: poolMemberKey(record.poolId, id), value: new Uint8Array(0) },
      { type: "delete", key: tombstoneKey(ns, name) },
    ]);
    if (!created) {
      const existing = await readRepo(this.store, ns, name);
      if (existing && (await this.#removeIfAbandoned(existing.record))) return this.createRepo(ns, name, options, extra);
      // A name taken by an import or fork still running answers its retriable in-progress code
      // (spec §6.5): the caller learns the repository is on its way, not that it is finished.
      if (existing) assertReady(existing.record);
      throw new ArtifactsError("ALREADY_EXISTS", `repo already exists: ${name}`, { pointer: "/name" });
    }
    const token = await this.tokens.issue(record, "write", 86_400);
    return { record, token };
  }

  /** The repository record, whatever its status; NOT_FOUND when absent. */
  async findRepo(ns: string, name: string): Promise<RepoRecord> {
    const found = await readRepo(this.store, ns, name);
    if (!found || (await this.#removeIfAbandoned(found.record))) throw new ArtifactsError("NOT_FOUND", "Repository not found");
    return found.record;
  }

  /**
   * A repository still "importing" or "forking" long after any import or fork could take (the
   * process doing it died) is removed, so its name becomes usable again. Returns true if it was.
   */
  async #removeIfAbandoned(record: RepoRecord): Promise<boolean> {
    if (record.status === "ready" || this.now() - Date.parse(record.updatedAt) < ABANDONED_AFTER_MS) return false;
    await this.deleteRepo(record.namespace, record.name, { tombstone: false });
    return true;
  }

  /** The repository record once it is ready; in-progress states throw their Artifacts code. */
  async getRepo(ns: string, name: string): Promise<RepoRecord> {
    const record = await this.findRepo(ns, name);
    assertReady(record);
    return record;
  }

  /**
   * Deletes a repository: the record first (so nothing can use it any more), then its tokens and
   * refs, then — when it was the last member of its object pool — the pool's packs. Objects of a
   * fork network stay while any member remains, so a fork outlives its parent. `tombstone: false`
   * (the clean-up of a failed import or fork) leaves no trace for `recentlyDeleted`: a repository
   * nobody ever saw ready must not answer a later delete with 202.
   */
  async deleteRepo(ns: string, name: string, options: { tombstone?: boolean } = {}): Promise<{ id: string } | null> {
    for (;;) {
      const found = await readRepo(this.store, ns, name);
      if (!found) return null;
      const { record, version } = found;
      const tombstone: KvMutation = options.tombstone === false
        ? { type: "delete", key: tombstoneKey(ns, name) }
        : { type: "set", key: tombstoneKey(ns, name), value: encodeRecord({ id: record.id, deletedAt: this.now() }) };
      const ok = await this.store.commit([{ key: repoKey(ns, name), version }], [
        { type: "delete", key: repoKey(ns, name) },
        { type: "delete", key: repoIdKey(record.id) },
        { type: "delete", key: poolMemberKey(record.poolId, record.id) },
        tombstone,
      ]);
      if (!ok) continue;
      await this.tokens.deleteAll(record.id);
      await deletePrefix(this.store, `repo/${record.id}/`);
      const remaining = await listAll(this.store, { prefix: poolMemberPrefix(record.poolId), limit: 1 });
      if (remaining.length === 0) await this.deletePool(record.poolId);
      return { id: record.id };
    }
  }

  /**
   * The id of a repository deleted under this name in the last minute (Artifacts answers a repeated
   * delete with 202 and the id for a while), else null.
   */
  async recentlyDeleted(ns: string, name: string): Promise<string | null> {
    const entry = await this.store.get(tombstoneKey(ns, name));
    if (!entry) return null;
    const { id, deletedAt } = decodeRecord<{ id: string; deletedAt: number }>(entry.value);
    return this.now() - deletedAt < 60_000 ? id : null;
  }

  /**
   * Removes every pack of a pool no repository uses any more. Only pack keys: membership keys live
   * elsewhere (another Durable Object on Workers) and a fork joining meanwhile must keep its own.
   */
  async deletePool(poolId: string): Promise<void> {
    await deletePrefix(this.store, `pool/${poolId}/pack`);
    await deletePrefix(this.store, packBlobsPrefix(poolId));
    this.env.cache.invalidate(poolId);
  }

  /** Mints a token for a ready repository. */
  async createToken(ns: string, name: string, scope: TokenScope = "write", ttl = 86_400): Promise<IssuedToken> {
    const record = await this.getRepo(ns, name);
    return this.tokens.issue(record, scope, ttl);
  }

  /**
   * Stored bytes of the repository's packs (an extra `size_bytes` field; Artifacts only shows sizes in
   * analytics). Forks share their network's pool, so they report the shared size.
   */
  async repoSize(record: RepoRecord): Promise<number> {
    return (await ObjectPool.open(this.env, record.poolId)).storedBytes;
  }

  /**
   * Garbage collection and compaction of a repository's object pool (its whole fork network):
   * repack into one pack of what the members' refs reach, then sweep replaced and abandoned blobs.
   */
  async maintain(record: RepoRecord, options: { graceMs?: number } = {}): Promise<RepackReport & SweepReport> {
    const members = (await listAll(this.store, { prefix: poolMemberPrefix(record.poolId) })).map((e) => e.key.slice(poolMemberPrefix(record.poolId).length));
    const repack = await repackPool(this.env, record.poolId, { members, now: this.now, ...options });
    const sweep = await sweepPool(this.env, record.poolId, { now: this.now, ...options });
    return { ...repack, ...sweep };
  }

  /**
   * Runs maintenance in the background when a pool has accumulated many packs (every push adds one),
   * at most once at a time per pool. Failures are logged, never surfaced to the push.
   */
  maintainSoon(record: RepoRecord, packs: number): void {
    if (packs < this.compactAfterPacks || this.#maintaining.has(record.poolId)) return;
    this.#maintaining.add(record.poolId);
    void this.maintain(record)
      .catch((error) => this.onError(error))
      .finally(() => this.#maintaining.delete(record.poolId));
  }

  /** What the git endpoints need to serve `record`. */
  repoContext(record: RepoRecord): RepoContext {
    return {
      env: this.env,
      repoId: record.id,
      poolId: record.poolId,
      head: `refs/heads/${record.defaultBranch}`,
      sharedPool: record.sharedPool || record.poolId !== record.id,
    };
  }

  /**
   * Records the time of the last push. Artifacts documents last_push_at and updated_at but never
   * changes them on pushes (a live bug); we keep them current.
   */
  async recordPush(ns: string, name: string, _event: PushEvent): Promise<void> {
    const now = this.#iso();
    await updateRepo(this.store, ns, name, (r) => ({ ...r, lastPushAt: now, updatedAt: now }));
  }

  /** Lists a ready repository's tokens in `state`. */
  async listTokens(ns: string, name: string, state: "active" | "expired" | "revoked" | "all" = "active") {
    const record = await this.getRepo(ns, name);
    return this.tokens.list(record.id, state);
  }

  /**
   * Revokes a token by id (REST: `DELETE /namespaces/:ns/tokens/:id`). Returns false when no token
   * of that id belongs to a repository of `ns`. Revoking twice is fine.
   */
  async revokeTokenById(ns: string, tokenId: string): Promise<boolean> {
    const repoId = await this.tokens.repoIdOf(tokenId);
    if (repoId === null) return false;
    const entry = await this.store.get(repoIdKey(repoId));
    if (!entry || decodeRecord<RepoRecord>(entry.value).namespace.toLowerCase() !== ns.toLowerCase()) return false;
    return this.tokens.revoke(repoId, tokenId);
  }
}

/** Throws the in-progress code of a repository that is not ready. */
export function assertReady(record: RepoRecord): void {
  if (record.status === "ready") return;
  const code = record.status === "importing" ? "IMPORT_IN_PROGRESS" : record.status === "forking" ? "FORK_IN_PROGRESS" : "CREATE_IN_PROGRESS";
  throw new ArtifactsError(code, `Repository is ${record.status}; retry shortly`);
}
