/**
 * @module api/records
 * Namespace and repository records in the key-value store:
 *
 *   ns/<namespace key>                      NamespaceRecord
 *   nsrepo/<namespace key>/<repo key>       RepoRecord (keys are case-folded names, src/api/names.ts)
 *   repoid/<repo id>                        RepoRecord copy keyed by id (lookups by id, garbage collection)
 *   pool/<pool id>/member/<repo id>         membership of a repository in an object pool (fork network)
 *   tomb/<namespace key>/<repo key>         id and time of the last deletion under this name
 *
 * Records are JSON. Every change is a versioned commit, so concurrent creates of one name have
 * exactly one winner.
 */
import type { KvStore } from "../storage/types.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { nameKey } from "./names.ts";
import { StorageError } from "../errors.ts";

export type RepoStatus = "creating" | "importing" | "forking" | "ready";
export type Jurisdiction = "eu" | "us" | "unrestricted";

export interface NamespaceRecord {
  readonly namespace: string;
  readonly jurisdiction: Jurisdiction;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface RepoRecord {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly description: string | null;
  readonly defaultBranch: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastPushAt: string | null;
  readonly source: string | null;
  readonly readOnly: boolean;
  readonly status: RepoStatus;
  /** Object pool (fork network) the repository's objects live in. */
  readonly poolId: string;
  /**
   * True once another repository shares the pool (it was forked, or is a fork). Reads and pushes then
   * check reachability from this repository's own refs, so nothing crosses between repositories.
   */
  readonly sharedPool: boolean;
}

export const namespaceKey = (ns: string) => `ns/${nameKey(ns)}`;
export const namespacePrefix = () => "ns/";
export const repoKey = (ns: string, name: string) => `nsrepo/${nameKey(ns)}/${nameKey(name)}`;
export const repoPrefix = (ns: string) => `nsrepo/${nameKey(ns)}/`;
export const repoIdKey = (id: string) => `repoid/${id}`;
export const tombstoneKey = (ns: string, name: string) => `tomb/${nameKey(ns)}/${nameKey(name)}`;
export const poolMemberPrefix = (poolId: string) => `pool/${poolId}/member/`;
export const poolMemberKey = (poolId: string, repoId: string) => `pool/${poolId}/member/${repoId}`;

export function encodeRecord(record: object): Uint8Array {
  return utf8Encode(JSON.stringify(record));
}

export function decodeRecord<T>(bytes: Uint8Array): T {
  return JSON.parse(utf8Decode(bytes)) as T;
}

/** Reads a repository record with its version, or null. */
export async function readRepo(store: KvStore, ns: string, name: string): Promise<{ record: RepoRecord; version: string } | null> {
  const entry = await store.get(repoKey(ns, name));
  return entry ? { record: decodeRecord<RepoRecord>(entry.value), version: entry.version } : null;
}

export async function readNamespace(store: KvStore, ns: string): Promise<NamespaceRecord | null> {
  const entry = await store.get(namespaceKey(ns));
  return entry ? decodeRecord<NamespaceRecord>(entry.value) : null;
}

/**
 * Applies `change` to the current record with compare-and-swap (both keys), retrying on conflict.
 * Returns the new record, or null when the repository no longer exists.
 */
export async function updateRepo(store: KvStore, ns: string, name: string, change: (r: RepoRecord) => RepoRecord): Promise<RepoRecord | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const found = await readRepo(store, ns, name);
    if (!found) return null;
    const record = change(found.record);
    const bytes = encodeRecord(record);
    const ok = await store.commit([{ key: repoKey(ns, name), version: found.version }], [
      { type: "set", key: repoKey(ns, name), value: bytes },
      { type: "set", key: repoIdKey(record.id), value: bytes },
    ]);
    if (ok) return record;
  }
  throw new StorageError("ERR_STORAGE", `Cannot update repository ${ns}/${name}: too much contention`);
}

/** Every repository record of a namespace (in key order). */
export async function listRepoRecords(store: KvStore, ns: string): Promise<RepoRecord[]> {
  const out: RepoRecord[] = [];
  for await (const entry of store.list({ prefix: repoPrefix(ns) })) out.push(decodeRecord<RepoRecord>(entry.value));
  return out;
}
