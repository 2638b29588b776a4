/**
 * @module api/fork
 * Forking: the fork joins its parent's object pool (a fork network) and copies the parent's refs —
 * O(refs), no object is copied. Both repositories are then marked `sharedPool`, which makes every
 * read and push check reachability from the repository's own refs, so nothing pushed to one is
 * readable through the other. The fork is created in state "forking" and becomes "ready" once its
 * refs are in place; a failure removes it again.
 */
import { ObjectPool } from "../repo/object-pool.ts";
import { readRefs, updateRefs } from "../repo/refs.ts";
import { readRepoShallow, writeRepoShallow } from "../repo/repo-shallow.ts";
import { reachableSet } from "../repo/reachability.ts";
import { ZERO_ID } from "../git/object-id.ts";
import { StorageError } from "../errors.ts";
import { assertRepoName } from "./names.ts";
import { updateRepo, type RepoRecord } from "./records.ts";
import type { CreatedRepo, Reposit } from "./reposit.ts";

export interface ForkOptions {
  readonly name: string;
  readonly description?: string | null;
  readonly readOnly?: boolean;
  /** Copy only the default branch (and nothing else) instead of every ref. */
  readonly defaultBranchOnly: boolean;
}

export interface ForkResult extends CreatedRepo {
  /** Objects reachable from the fork's refs (shared with the parent, not copied). */
  readonly objects: number;
}

export async function forkRepo(reposit: Reposit, ns: string, parentName: string, options: ForkOptions): Promise<ForkResult> {
  assertRepoName(options.name);
  const parent = await reposit.getRepo(ns, parentName);
  // The parent must check reachability before the fork can push anything into the shared pool.
  if (!parent.sharedPool) await updateRepo(reposit.store, ns, parent.name, (r) => ({ ...r, sharedPool: true }));
  const created = await reposit.createRepo(
    ns,
    options.name,
    { description: options.description ?? null, defaultBranch: parent.defaultBranch, readOnly: options.readOnly ?? false },
    { status: "forking", poolId: parent.poolId, sharedPool: true, source: `artifacts:${parent.namespace}/${parent.name}` },
  );
  try {
    const objects = await copyRefs(reposit, parent, created.record, options.defaultBranchOnly);
    const ready = await updateRepo(reposit.store, ns, options.name, (r) => ({ ...r, status: "ready" }));
    if (!ready) throw new StorageError("ERR_STORAGE", `Fork ${ns}/${options.name} disappeared while it was created`);
    return { record: ready, token: created.token, objects };
  } catch (error) {
    await reposit.deleteRepo(ns, options.name, { tombstone: false }).catch(() => {});
    throw error;
  }
}

async function copyRefs(reposit: Reposit, parent: RepoRecord, fork: RepoRecord, defaultBranchOnly: boolean): Promise<number> {
  const { store } = reposit;
  const snapshot = await readRefs(store, parent.id);
  const head = `refs/heads/${parent.defaultBranch}`;
  const refs = [...snapshot.refs].filter(([name]) => !defaultBranchOnly || name === head);
  const results = await updateRefs(store, fork.id, refs.map(([name, id]) => ({ name, oldId: ZERO_ID, newId: id })), { atomic: false });
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) throw new StorageError("ERR_STORAGE", `Cannot copy ref ${failed.name} into the fork: ${failed.reason}`);
  const shallow = await readRepoShallow(store, parent.id);
  if (shallow.size > 0) await writeRepoShallow(store, fork.id, shallow);
  const pool = await ObjectPool.open(reposit.env, fork.poolId);
  const tips = refs.map(([, id]) => pool.locateId(id));
  let count = 0;
  for (const bit of reachableSet(pool, fork.id, tips)) count += bit;
  return count;
}
