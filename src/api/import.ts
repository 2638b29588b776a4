/**
 * @module api/import
 * Imports a public git remote into an existing, empty repository (spec artifacts-api §6.1): the
 * remote client (src/repo/remote) streams the remote's pack straight into the indexer, the pack is
 * published to the repository's pool, the shallow boundary is recorded for a depth import, and the
 * refs appear last, in one atomic update, so a failed import leaves no ref behind. Creating the
 * repository record and moving it from "importing" to "ready" is the caller's job.
 */
import { ZERO_ID, type ObjectId } from "../git/object-id.ts";
import { ArtifactsError } from "../errors.ts";
import { ingestPack } from "../repo/ingest.ts";
import { ObjectPool } from "../repo/object-pool.ts";
import { abandonUpload, beginUpload, publishPack } from "../repo/publish.ts";
import { updateRefs } from "../repo/refs.ts";
import { writeRepoShallow } from "../repo/repo-shallow.ts";
import { fetchRemote, type RemoteFetch } from "../repo/remote/fetch-remote.ts";
import { malformed, toImportError } from "../repo/remote/remote-errors.ts";
import type { FetchFunction, TargetCheck } from "../repo/remote/transport.ts";
import { allTargetChecks, literalTargetCheck } from "../repo/remote/ssrf.ts";
import type { RepoRecord } from "./records.ts";
import type { Reposit } from "./reposit.ts";

export interface ImportSource {
  /** HTTPS URL of a public git repository; ".git" is optional. */
  readonly url: string;
  /** Import only this branch (default: every branch and tag). */
  readonly branch?: string | undefined;
  /** Import only the last `depth` commits of each ref. */
  readonly depth?: number | undefined;
}

export interface ImportOptions {
  /** How to reach the remote (default: the global `fetch`). */
  readonly fetch?: FetchFunction | undefined;
  /** Hosts (`host:port`) that may be imported from over plain `http://` (REPOSIT_IMPORT_ALLOW_HTTP). */
  readonly allowHttpHosts?: readonly string[] | undefined;
  /** Bound on all waiting for the remote, in milliseconds (default 120 s). */
  readonly timeoutMs?: number | undefined;
  /** Runs before every request to the remote; throw to refuse a target (SSRF protection comes with issue 6). */
  readonly checkTarget?: TargetCheck | undefined;
  /** Hosts ("host" or "host:port") that may be imported from although they are not public addresses. */
  readonly allowPrivateHosts?: readonly string[] | undefined;
  /** Largest pack accepted, in bytes (default: `limits.maxRepoBytes`). */
  readonly maxPackBytes?: number | undefined;
}

export interface ImportResult {
  /** The branch HEAD should name: the one imported, or the remote's HEAD. */
  readonly defaultBranch: string;
  /** Refs created. */
  readonly refs: number;
  /** Objects received. */
  readonly objects: number;
  /** `git:<url ending in .git>`, the repository's `source`. */
  readonly source: string;
}

/**
 * Fills `record` (an empty repository, status "importing") from the remote. Throws ArtifactsError:
 * INVALID_INPUT, INVALID_URL, REMOTE_AUTH_REQUIRED, NOT_FOUND, UPSTREAM_UNAVAILABLE, MEMORY_LIMIT.
 * @example
 * const { record } = await reposit.createRepo("ns", "copy", {}, { status: "importing" });
 * const result = await importInto(reposit, record, { url: "https://github.com/owner/repo", depth: 1 });
 */
export async function importInto(reposit: Reposit, record: RepoRecord, source: ImportSource, options: ImportOptions = {}): Promise<ImportResult> {
  const limits = reposit.env.limits;
  const remote = await fetchRemote(source.url, {
    fetch: options.fetch,
    allowHttpHosts: options.allowHttpHosts,
    timeoutMs: options.timeoutMs,
    // Loopback, private and link-local targets are refused unless their host was explicitly allowed.
    checkTarget: allTargetChecks(literalTargetCheck([...(options.allowHttpHosts ?? []), ...(options.allowPrivateHosts ?? [])]), options.checkTarget),
    branch: source.branch,
    depth: source.depth,
    maxPackBytes: options.maxPackBytes ?? limits.maxRepoBytes,
    maxRefs: limits.maxRefUpdates,
  });
  try {
    const objects = remote.pack === null ? 0 : await storePack(reposit, record, remote);
    await createRefs(reposit, record, remote);
    return { defaultBranch: remote.defaultBranch, refs: remote.refs.size, objects, source: remote.source };
  } catch (error) {
    throw toImportError(error, remote.url);
  } finally {
    remote.close();
  }
}

/** Ingests and publishes the pack and records the shallow boundary; returns the objects received. */
async function storePack(reposit: Reposit, record: RepoRecord, remote: RemoteFetch): Promise<number> {
  const { store } = reposit.env;
  const blobId = await beginUpload(store, record.poolId);
  let published = false;
  try {
    const pool = await ObjectPool.open(reposit.env, record.poolId);
    const shallow = new Set(remote.shallow);
    const ingested = await ingestPack(pool, remote.pack!, blobId, { shallow });
    if (ingested.missing.length > 0) throw malformed(`Pack from ${remote.url} lacks objects it needs, e.g. ${ingested.missing[0]}`);
    if (ingested.record) await publishPack(store, record.poolId, ingested.record);
    else await abandonUpload(store, record.poolId, blobId);
    published = true;
    const after = await ObjectPool.open(reposit.env, record.poolId);
    for (const [name, id] of remote.refs) {
      if (!after.has(id)) throw malformed(`Pack from ${remote.url} lacks ${id}, the target of ${name}`);
    }
    // Only boundary commits that arrived matter; a shallow remote may list others.
    const boundary = [...shallow].filter((id) => after.has(id));
    if (boundary.length > 0) await writeRepoShallow(store, record.id, boundary);
    return ingested.record?.objects ?? 0;
  } catch (error) {
    if (!published) await abandonUpload(store, record.poolId, blobId);
    throw error;
  }
}

/**
 * Creates every ref in one compare-and-swap batch. A batch larger than the store's commit allows
 * cannot be atomic; it is split, which is safe because nobody sees the repository while it imports.
 */
async function createRefs(reposit: Reposit, record: RepoRecord, remote: RemoteFetch): Promise<void> {
  const { store } = reposit.env;
  const updates = [...remote.refs].map(([name, newId]: [string, ObjectId]) => ({ name, oldId: ZERO_ID, newId }));
  if (updates.length === 0) return;
  const atomic = updates.length <= store.limits.maxMutations - 1;
  const results = await updateRefs(store, record.id, updates, { atomic });
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) {
    throw new ArtifactsError("INTERNAL_ERROR", `Cannot create ref ${failed.name} in repository ${record.namespace}/${record.name}: ${failed.reason}`);
  }
}
