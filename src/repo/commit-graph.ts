/**
 * @module repo/commit-graph
 * Commit-level helpers over a pool view: parents of a commit, peeling tags to what they point at.
 * Commits are global object numbers (src/repo/object-pool.ts); links of a commit are its tree
 * (link type 2) followed by its parents (link type 1).
 */
import type { ObjectPool } from "./object-pool.ts";

export const COMMIT = 1;
export const TREE = 2;
export const BLOB = 3;
export const TAG = 4;

/** Parents of commit `g` (global numbers; a missing parent is skipped). */
export function parentsOf(pool: ObjectPool, g: number): number[] {
  const out: number[] = [];
  pool.forEachLink(g, (target, type) => {
    if (type === COMMIT && target !== -1) out.push(target);
  });
  return out;
}

/** Root tree of commit `g`, or -1. */
export function treeOf(pool: ObjectPool, g: number): number {
  let tree = -1;
  pool.forEachLink(g, (target, type) => {
    if (type === TREE && tree === -1) tree = target;
  });
  return tree;
}

/** Follows tag objects to the first non-tag object (git's deref_tag); -1 when a target is missing. */
export function peel(pool: ObjectPool, g: number): number {
  let current = g;
  for (let hops = 0; current !== -1 && pool.typeOf(current) === TAG; hops++) {
    if (hops > 32) return -1;
    let next = -1;
    pool.forEachLink(current, (target) => {
      next = target;
    });
    current = next;
  }
  return current;
}
