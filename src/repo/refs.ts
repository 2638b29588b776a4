/**
 * @module repo/refs
 * Refs are the only mutable git state. Each ref is one key (`repo/<id>/ref/<name>` → 40 hex); every
 * change goes through `updateRefs`, an exact compare-and-swap of a whole batch: the caller names each
 * ref's expected old id (ZERO_ID = must not exist) and new id (ZERO_ID = delete). The batch is
 * evaluated against one snapshot and committed with a single check on `refs-seq`, which every ref
 * commit bumps, so a concurrent change to any ref makes the commit fail and the batch is re-evaluated
 * against the new snapshot. That gives all-or-nothing batches of any size with one CAS check (Deno
 * KV allows only 10 per commit) and exactly one winner per old value.
 *
 * Failure reasons are git's own (refs.c ref_transaction_error_msg, builtin/receive-pack.c), because
 * clients print them: "incorrect old value provided", "reference already exists", "reference does
 * not exist", "refname conflict", "atomic push failure".
 */
import type { KvMutation, KvStore } from "../storage/types.ts";
import { utf8Length } from "../storage/storage.ts";
import { ZERO_ID, type ObjectId } from "../git/object-id.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { refKey, refPrefix, refsSeqKey } from "./keys.ts";
import { StorageError } from "../errors.ts";

export interface RefUpdate {
  readonly name: string;
  readonly oldId: ObjectId;
  readonly newId: ObjectId;
}

export type RefUpdateResult = { readonly name: string; readonly ok: true } | { readonly name: string; readonly ok: false; readonly reason: string };

/** A consistent view of a repository's refs, sorted by name (byte order). */
export interface RefSnapshot {
  readonly refs: ReadonlyMap<string, ObjectId>;
  readonly version: string | null;
}

/** Reads every ref of `repoId` with the sequence version they were read at. */
export async function readRefs(store: KvStore, repoId: string): Promise<RefSnapshot> {
  // Read the sequence first: if a commit lands between the two reads, the version we return is
  // older than the refs, so a CAS based on this snapshot fails and retries instead of losing data.
  const seq = await store.get(refsSeqKey(repoId));
  const refs = new Map<string, ObjectId>();
  const prefix = refPrefix(repoId);
  for await (const entry of store.list({ prefix })) {
    refs.set(entry.key.slice(prefix.length), utf8Decode(entry.value) as ObjectId);
  }
  return { refs, version: seq?.version ?? null };
}

/** Extra per-update validation run against the snapshot (e.g. "deletion of the current branch prohibited"). */
export type RefPolicy = (update: RefUpdate, snapshot: RefSnapshot) => string | null;

export interface UpdateRefsOptions {
  readonly atomic: boolean;
  readonly policy?: RefPolicy;
  /** Attempts before giving up under constant contention. */
  readonly maxAttempts?: number;
}

/**
 * Applies `updates` as compare-and-swap against the current refs. With `atomic`, all succeed or none
 * change. Returns one result per update, in order.
 */
export async function updateRefs(
  store: KvStore,
  repoId: string,
  updates: readonly RefUpdate[],
  options: UpdateRefsOptions,
): Promise<RefUpdateResult[]> {
  const batches = batchesWithinLimits(store, repoId, updates);
  if (options.atomic && batches.length > 1) {
    const reason = `atomic push of ${updates.length} refs exceeds what the storage backend can commit at once`;
    return updates.map((u) => ({ name: u.name, ok: false, reason }));
  }
  const results: RefUpdateResult[] = [];
  for (const batch of batches) results.push(...(await updateBatch(store, repoId, batch, options)));
  return results;
}

/**
 * Splits updates into commits the backend accepts: by count, by total bytes and by the bytes of
 * set keys (Deno KV counts keys twice and caps set keys at a tenth of a commit), keeping room for
 * the refs-seq write and its check.
 */
function batchesWithinLimits(store: KvStore, repoId: string, updates: readonly RefUpdate[]): RefUpdate[][] {
  const limits = store.limits;
  const seqKeyBytes = utf8Length(refsSeqKey(repoId)) + 2;
  const maxCount = Math.max(1, limits.maxMutations - 1);
  const maxBytes = limits.maxCommitBytes - 3 * seqKeyBytes - 64;
  const maxKeyBytes = Math.floor(limits.maxCommitBytes / 10) - seqKeyBytes;
  const batches: RefUpdate[][] = [];
  let current: RefUpdate[] = [];
  let bytes = 0;
  let keyBytes = 0;
  for (const u of updates) {
    const key = utf8Length(refKey(repoId, u.name)) + 2;
    const cost = 2 * key + 40;
    if (current.length > 0 && (current.length >= maxCount || bytes + cost > maxBytes || keyBytes + key > maxKeyBytes)) {
      batches.push(current);
      current = [];
      bytes = keyBytes = 0;
    }
    current.push(u);
    bytes += cost;
    keyBytes += key;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function updateBatch(store: KvStore, repoId: string, updates: readonly RefUpdate[], options: UpdateRefsOptions): Promise<RefUpdateResult[]> {
  const attempts = options.maxAttempts ?? 50;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const snapshot = await readRefs(store, repoId);
    const results = evaluate(updates, snapshot, options);
    const mutations: KvMutation[] = [];
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      if (!results[i]!.ok || u.oldId === u.newId) continue;
      mutations.push(u.newId === ZERO_ID ? { type: "delete", key: refKey(repoId, u.name) } : { type: "set", key: refKey(repoId, u.name), value: utf8Encode(u.newId) });
    }
    if (mutations.length === 0) return results;
    const seq = String(Date.now()) + "-" + Math.random().toString(36).slice(2);
    mutations.push({ type: "set", key: refsSeqKey(repoId), value: utf8Encode(seq) });
    if (await store.commit([{ key: refsSeqKey(repoId), version: snapshot.version }], mutations)) return results;
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, 2 ** attempt) * Math.random()));
  }
  throw new StorageError("ERR_STORAGE", `Cannot update refs of repository ${repoId}: too much contention after ${attempts} attempts`);
}

/** Decides each update against one snapshot (pure). */
export function evaluate(updates: readonly RefUpdate[], snapshot: RefSnapshot, options: UpdateRefsOptions): RefUpdateResult[] {
  const after = new Map(snapshot.refs);
  const results: RefUpdateResult[] = updates.map((u) => {
    const reason = casReason(u, snapshot.refs.get(u.name) ?? ZERO_ID) ?? options.policy?.(u, snapshot) ?? null;
    return reason === null ? { name: u.name, ok: true } : { name: u.name, ok: false, reason };
  });
  for (let i = 0; i < updates.length; i++) {
    if (results[i]!.ok && updates[i]!.newId === ZERO_ID) after.delete(updates[i]!.name);
  }
  // Stored refs never conflict with each other, so only creations can; they are judged in order
  // against the refs as the batch leaves them, and a refused one does not count against later ones
  // (git refuses "x/y" after creating "x", not both, and never an update of an existing ref).
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i]!;
    if (!results[i]!.ok || u.newId === ZERO_ID || snapshot.refs.has(u.name)) continue;
    if (conflictsWithAnother(u.name, after)) results[i] = { name: u.name, ok: false, reason: "refname conflict" };
    else after.set(u.name, u.newId);
  }
  if (options.atomic && results.some((r) => !r.ok)) {
    return results.map((r) => (r.ok ? { name: r.name, ok: false, reason: "atomic push failure" } : r));
  }
  return results;
}

function casReason(u: RefUpdate, current: ObjectId): string | null {
  if (u.oldId === current) return null;
  if (u.oldId === ZERO_ID) return "reference already exists";
  if (current === ZERO_ID) return "reference does not exist";
  return "incorrect old value provided";
}

/** A ref "a/b" cannot coexist with "a" or "a/b/c" (git stores refs as files and directories). */
function conflictsWithAnother(name: string, refs: ReadonlyMap<string, ObjectId>): boolean {
  let slash = name.indexOf("/");
  while (slash !== -1) {
    if (refs.has(name.slice(0, slash))) return true;
    slash = name.indexOf("/", slash + 1);
  }
  const dir = name + "/";
  for (const other of refs.keys()) if (other.startsWith(dir)) return true;
  return false;
}
