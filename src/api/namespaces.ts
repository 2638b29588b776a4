/**
 * @module api/namespaces
 * Namespaces: created on first use by repository creation (unrestricted jurisdiction), or
 * explicitly to pin a jurisdiction ("eu" | "us", stored and reported; it is a label here — a single
 * self-hosted server has one location). Deleting a namespace requires it to be empty.
 */
import { ArtifactsError } from "../errors.ts";
import { listAll } from "../storage/storage.ts";
import { assertNamespaceName } from "./names.ts";
import {
  decodeRecord,
  encodeRecord,
  namespaceKey,
  namespacePrefix,
  readNamespace,
  repoPrefix,
  type NamespaceRecord,
} from "./records.ts";
import type { Reposit } from "./reposit.ts";

export interface NamespaceInfo extends NamespaceRecord {
  readonly repoCount: number;
}

async function withCount(reposit: Reposit, record: NamespaceRecord): Promise<NamespaceInfo> {
  let repoCount = 0;
  for await (const _ of reposit.store.list({ prefix: repoPrefix(record.namespace) })) repoCount++;
  return { ...record, repoCount };
}

export async function createNamespace(reposit: Reposit, ns: string, jurisdiction?: "eu" | "us"): Promise<NamespaceInfo> {
  assertNamespaceName(ns);
  const now = new Date(reposit.now()).toISOString();
  const record: NamespaceRecord = { namespace: ns, jurisdiction: jurisdiction ?? "unrestricted", createdAt: now, updatedAt: now };
  const ok = await reposit.store.commit([{ key: namespaceKey(ns), version: null }], [{ type: "set", key: namespaceKey(ns), value: encodeRecord(record) }]);
  if (!ok) throw new ArtifactsError("ALREADY_EXISTS", "Namespace already exists", { pointer: "/namespace" });
  return { ...record, repoCount: 0 };
}

export async function getNamespace(reposit: Reposit, ns: string): Promise<NamespaceInfo> {
  const record = await readNamespace(reposit.store, ns);
  if (!record) throw new ArtifactsError("NOT_FOUND", "Namespace not found");
  return withCount(reposit, record);
}

/** Namespaces in name order, `limit` at a time after the `cursor` (the last name of the previous page). */
export async function listNamespaces(reposit: Reposit, limit: number, cursor?: string): Promise<{ namespaces: NamespaceInfo[]; cursor?: string }> {
  const prefix = namespacePrefix();
  const start = cursor === undefined ? undefined : `${namespaceKey(cursor)}\u0000`;
  const entries = await listAll(reposit.store, { prefix, ...(start ? { start } : {}), limit: limit + 1 });
  const page = entries.slice(0, limit).map((e) => decodeRecord<NamespaceRecord>(e.value));
  const namespaces = await Promise.all(page.map((r) => withCount(reposit, r)));
  const last = page[page.length - 1];
  return entries.length > limit && last ? { namespaces, cursor: last.namespace } : { namespaces };
}

/**
 * Namespaces in name order by page number (1-based), with the total: the offset style that
 * Wrangler's paged-list helper walks (`page` until `page * per_page >= total_count`).
 */
export async function listNamespacePage(reposit: Reposit, page: number, perPage: number): Promise<{ namespaces: NamespaceInfo[]; total: number }> {
  const entries = await listAll(reposit.store, { prefix: namespacePrefix() });
  const slice = entries.slice((page - 1) * perPage, page * perPage).map((e) => decodeRecord<NamespaceRecord>(e.value));
  return { namespaces: await Promise.all(slice.map((r) => withCount(reposit, r))), total: entries.length };
}

/** Deletes an empty namespace; false when it does not exist. */
export async function deleteNamespace(reposit: Reposit, ns: string): Promise<boolean> {
  const info = await readNamespace(reposit.store, ns);
  if (!info) return false;
  const repos = await listAll(reposit.store, { prefix: repoPrefix(ns), limit: 1 });
  if (repos.length > 0) {
    throw new ArtifactsError("INVALID_INPUT", `Namespace "${info.namespace}" is not empty: delete its repositories first`, { pointer: "/namespace" });
  }
  await reposit.store.commit([], [{ type: "delete", key: namespaceKey(ns) }]);
  return true;
}

