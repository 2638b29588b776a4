/**
 * @module api/records
 * Namespace and repository records in the key-value store:
 *
 *   ns/<namespace key>                      NamespaceRecord
 *   nsrepo/<namespace key>/<repo key>       RepoRecord (keys are case-folded names, src/api/names.ts)
 *   repoid/<repo id>                        RepoRecord copy keyed by id (lookups by id, garbage collection)
 *
 * Records are JSON. Every change is a versioned commit, so concurrent creates of one name have
 * exactly one winner.
 */
import type { KvStore } from "../storage/types.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { nameKey } from "./names.ts";

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
}

export const namespaceKey = (ns: string) => `ns/${nameKey(ns)}`;
export const namespacePrefix = () => "ns/";
export const repoKey = (ns: string, name: string) => `nsrepo/${nameKey(ns)}/${nameKey(name)}`;
export const repoPrefix = (ns: string) => `nsrepo/${nameKey(ns)}/`;
export const repoIdKey = (id: string) => `repoid/${id}`;

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
