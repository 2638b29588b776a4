/**
 * @module repo/reachability
 * "Is this object reachable from this repository's refs?" Every want must be (a fork network shares
 * one object pool, and nothing pushed to one repository may be readable through another), and so
 * must every object a content read returns. Ref tips answer at once; anything else costs one walk
 * over the whole graph, whose result is cached per pool view and ref state.
 */
import type { ObjectPool } from "./object-pool.ts";
import { COMMIT } from "./commit-graph.ts";

interface Cached {
  readonly key: string;
  readonly pool: ObjectPool;
  readonly reachable: Uint8Array;
}

const cache = new Map<string, Cached>();
const MAX_CACHED = 64;

/** Returns the objects among `targets` that are NOT reachable from `tips` (global numbers; -1 = absent). */
export function unreachable(pool: ObjectPool, repoId: string, tips: readonly number[], targets: readonly number[]): number[] {
  const tipSet = new Set(tips);
  const pending = targets.filter((t) => t === -1 || !tipSet.has(t));
  if (pending.length === 0) return [];
  if (pending.includes(-1)) return pending.filter((t) => t === -1);
  const reachable = reachableSet(pool, repoId, tips);
  return pending.filter((t) => reachable[t] === 0);
}

/** The full reachability bitmap of `tips`, cached by pool view and tip set. */
export function reachableSet(pool: ObjectPool, repoId: string, tips: readonly number[]): Uint8Array {
  const key = `${pool.total}:${[...tips].sort((a, b) => a - b).join(",")}`;
  const hit = cache.get(repoId);
  if (hit && hit.key === key && hit.pool.packs === pool.packs) return hit.reachable;
  const reachable = markReachable(pool, tips);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(repoId, { key, pool, reachable });
  return reachable;
}

/** Every object reachable from `roots` (global numbers; -1 ignored), as a 0/1 byte per object. */
export function markReachable(pool: ObjectPool, roots: Iterable<number>): Uint8Array {
  const reachable = new Uint8Array(pool.total);
  const stack: number[] = [];
  for (const t of roots) {
    if (t !== -1 && reachable[t] === 0) {
      reachable[t] = 1;
      stack.push(t);
    }
  }
  while (stack.length > 0) {
    const g = stack.pop()!;
    const isTree = pool.typeOf(g) === 2;
    pool.forEachLink(g, (child, type) => {
      if (child === -1 || reachable[child] === 1) return;
      if (isTree && type === COMMIT) return; // gitlink
      reachable[child] = 1;
      stack.push(child);
    });
  }
  return reachable;
}
