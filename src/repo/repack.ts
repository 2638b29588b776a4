/**
 * @module repo/repack
 * Garbage collection and compaction of an object pool in one step, online (git's `repack -a -d`
 * plus `prune`): every object reachable from the refs of the pool's repositories — plus everything
 * in packs younger than a grace period, which in-flight pushes may still build on — is written into
 * one new self-contained pack (stored deltas reused, bases that are not kept resolved, objects
 * stored whole deltified where that pays, as `git gc` would), which then replaces all the packs it
 * was made from in a single commit.
 *
 * Safety, with git traffic running:
 * - Writing the new pack takes no lock; readers and pushes go on.
 * - The replacing commit happens while holding the write lease of every repository in the pool, so
 *   no push is between its closure check and its publication, and no ref moves. Under the leases we
 *   re-read the refs and the pack list: if a pack was published meanwhile, or a ref now points at
 *   something the new pack lacks, the repack is abandoned (and runs again next time).
 * - The replaced packs' data is not deleted at once but moved to a trash list and swept after the
 *   grace period, so a clone still reading an older view keeps working.
 */
import { ObjectPool, type PoolEnv } from "./object-pool.ts";
import { readRefs } from "./refs.ts";
import { readRepoShallow } from "./repo-shallow.ts";
import { markReachable } from "./reachability.ts";
import { sendPack } from "./pack-send.ts";
import { chooseDeltaBases, type DeltaSearchOptions } from "./delta-search.ts";
import { ingestPack } from "./ingest.ts";
import { withWriteLease } from "./write-lease.ts";
import { packRecordKey, packSeqKey, packTrashKey, uploadKey } from "./keys.ts";
import { abandonUpload, beginUpload } from "./publish.ts";
import { encodePackRecord, seqKeyPart, type PackRecord } from "./pack-record.ts";
import { produce } from "../util/channel.ts";
import { hexEncode, utf8Decode, utf8Encode } from "../util/bytes.ts";
import type { PackIndex } from "./pack-index.ts";
import type { KvMutation } from "../storage/types.ts";

export interface RepackOptions {
  /** Ids of every repository whose objects live in the pool (forks included). */
  readonly members: readonly string[];
  /** Packs younger than this keep all their objects, and replaced packs stay readable this long. */
  readonly graceMs?: number;
  readonly now?: () => number;
  /** Tuning of the search for new deltas (tests use it to force or rule out deltas). */
  readonly deltas?: DeltaSearchOptions;
}

export interface RepackReport {
  readonly packsBefore: number;
  readonly packsAfter: number;
  readonly objectsBefore: number;
  readonly objectsKept: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Objects written as new deltas (they were stored whole). */
  readonly newDeltas: number;
  /** Why nothing was replaced, when nothing was. */
  readonly skipped?: string;
}

export const DEFAULT_GRACE_MS = 10 * 60 * 1000;

/** Rewrites the pool's packs into one, dropping unreachable objects. */
export async function repackPool(env: PoolEnv, poolId: string, options: RepackOptions): Promise<RepackReport> {
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const view = await ObjectPool.open(env, poolId);
  const before = { packsBefore: view.packs.length, objectsBefore: view.total, bytesBefore: view.storedBytes, newDeltas: 0 };
  if (view.packs.length === 0) return { ...before, packsAfter: 0, objectsKept: 0, bytesAfter: 0, skipped: "no packs" };

  const roots = await rootsOf(view, options.members, now() - graceMs);
  const keep = markReachable(view, roots.objects);
  const objects: number[] = [];
  for (let g = 0; g < keep.length; g++) if (keep[g] === 1) objects.push(g);
  if (objects.length === 0 && roots.objects.length === 0) {
    // Nothing is reachable: drop every pack.
    return replace(env, view, null, options, before, graceMs, now);
  }

  // Write the new pack as a fetch would (thin off, stored deltas reused) plus new deltas, and index
  // it on its own: indexing recomputes every id, so a wrong delta cannot slip through.
  const kept = Int32Array.from(objects);
  const newBase = await chooseDeltaBases(view, kept, options.deltas);
  let newDeltas = 0;
  const blobId = await beginUpload(env.store, poolId);
  const pack = produce(async (emit) => {
    ({ newDeltas } = await sendPack({ pool: view, objects: kept, state: new Uint8Array(view.total), thin: false, ofsDelta: true, newBase, emit }));
  });
  const ingested = await ingestPack(ObjectPool.empty(env, poolId), pack, blobId, { shallow: roots.shallow, now });
  if (!ingested.record || ingested.missing.length > 0) {
    await abandonUpload(env.store, poolId, blobId);
    return { ...before, packsAfter: view.packs.length, objectsKept: 0, bytesAfter: before.bytesBefore, skipped: "the new pack did not index cleanly" };
  }
  return replace(env, view, { blobId, record: ingested.record, index: ingested.index! }, options, { ...before, newDeltas }, graceMs, now);
}

/** Ref tips and shallow commits of every member, plus every object of a young pack. */
async function rootsOf(view: ObjectPool, members: readonly string[], youngSince: number): Promise<{ objects: number[]; shallow: Set<string>; refs: string }> {
  const objects: number[] = [];
  const shallow = new Set<string>();
  const refLines: string[] = [];
  for (const repoId of [...members].sort()) {
    const snapshot = await readRefs(view.env.store, repoId);
    for (const [name, id] of snapshot.refs) {
      objects.push(view.locateId(id));
      refLines.push(`${repoId} ${name} ${id}`);
    }
    for (const id of await readRepoShallow(view.env.store, repoId)) shallow.add(id);
  }
  for (let p = 0; p < view.packs.length; p++) {
    if (Date.parse(view.packs[p]!.record.createdAt) < youngSince) continue;
    const index = view.packs[p]!.index;
    for (let e = 0; e < index.count; e++) objects.push(view.locate(index.ids, e * 20));
  }
  return { objects, shallow, refs: refLines.join("\n") };
}

async function replace(
  env: PoolEnv,
  view: ObjectPool,
  fresh: { blobId: string; record: Omit<PackRecord, "seq">; index: PackIndex } | null,
  options: RepackOptions,
  before: { packsBefore: number; objectsBefore: number; bytesBefore: number; newDeltas: number },
  graceMs: number,
  now: () => number,
): Promise<RepackReport> {
  const { store } = env;
  const abandon = async (why: string): Promise<RepackReport> => {
    if (fresh) await abandonUpload(store, view.poolId, fresh.blobId);
    return { ...before, newDeltas: 0, packsAfter: before.packsBefore, objectsKept: 0, bytesAfter: before.bytesBefore, skipped: why };
  };
  if (view.packs.length + 3 > store.limits.maxMutations / 2) return abandon("too many packs to replace in one commit");
  return withWriteLease(store, options.members, async () => {
    const current = await ObjectPool.open(env, view.poolId);
    const same = current.packs.length === view.packs.length && current.packs.every((p, i) => p.record.blobId === view.packs[i]!.record.blobId);
    if (!same) return abandon("a push published a pack meanwhile");
    // Refs may have moved before we held the leases: everything they reach must be in the new pack.
    if (fresh) {
      const roots = await rootsOf(current, options.members, now() - graceMs);
      const keep = markReachable(current, roots.objects);
      const newIds = keptIds(fresh.index);
      for (let g = 0; g < keep.length; g++) {
        if (keep[g] === 1 && !newIds.has(current.idOf(g))) return abandon("refs moved to objects the new pack lacks");
      }
    } else {
      const roots = await rootsOf(current, options.members, now() - graceMs);
      if (roots.objects.some((g) => g !== -1)) return abandon("refs appeared meanwhile");
    }
    const seqEntry = await store.get(packSeqKey(view.poolId));
    const seq = seqEntry ? Number(utf8Decode(seqEntry.value)) + 1 : 1;
    const at = new Date(now()).toISOString();
    const mutations: KvMutation[] = [];
    for (const pack of view.packs) {
      mutations.push({ type: "delete", key: packRecordKey(view.poolId, seqKeyPart(pack.record.seq)) });
      mutations.push({ type: "set", key: packTrashKey(view.poolId, pack.record.blobId), value: utf8Encode(JSON.stringify({ at: now() })) });
    }
    if (fresh) {
      const record: PackRecord = { seq, ...fresh.record, createdAt: at };
      mutations.push({ type: "set", key: packRecordKey(view.poolId, seqKeyPart(seq)), value: encodePackRecord(record) });
      mutations.push({ type: "set", key: packSeqKey(view.poolId), value: utf8Encode(String(seq)) });
      mutations.push({ type: "delete", key: uploadKey(view.poolId, fresh.blobId) });
    }
    const ok = await store.commit([{ key: packSeqKey(view.poolId), version: seqEntry?.version ?? null }], mutations);
    if (!ok) return abandon("the pack list changed while committing");
    env.cache.invalidate(view.poolId);
    const after = await ObjectPool.open(env, view.poolId);
    return { ...before, packsAfter: after.packs.length, objectsKept: after.total, bytesAfter: after.storedBytes };
  });
}

/** Ids in the freshly written pack. */
function keptIds(index: PackIndex): Set<string> {
  const ids = new Set<string>();
  for (let i = 0; i < index.count; i++) ids.add(hexEncode(index.ids, i * 20, 20));
  return ids;
}
