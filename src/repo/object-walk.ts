/**
 * @module repo/object-walk
 * Decides which objects a fetch sends: everything reachable from the wants that the client does not
 * have, the way git's pack-objects --revs does it (revision.c, list-objects.c):
 *
 * 1. Commits the client has: the common commits and all their ancestors (not past the client's
 *    shallow commits, whose parents it lacks).
 * 2. Commits to send: ancestors of the wants that the client lacks, not past the shallow cut.
 * 3. Trees and blobs the client has: the full trees of the "edge" commits (commits it has that are
 *    parents of commits we send) — git's mark_edges_uninteresting. They are also the bases a thin
 *    pack may delta against.
 * 4. Trees and blobs to send: those of the sent commits' trees not in (3), through the filter.
 *
 * Objects are global numbers of a pool view; per-object state lives in one byte array.
 */
import type { ObjectPool } from "./object-pool.ts";
import { BLOB, COMMIT, TAG, TREE, parentsOf, treeOf } from "./commit-graph.ts";
import { filterDescends, filterIncludes, type ObjectFilter } from "./object-filter.ts";

const SEND = 1;
const HAS = 2;
const SEEN = 3; // walked but filtered out

export interface WalkInput {
  /** Objects the client asked for (any type; tags are sent and followed). */
  readonly wants: readonly number[];
  /** Objects both sides have (usually commits). */
  readonly haves: readonly number[];
  /** Commits whose parents are not followed (the shallow boundary and the client's shallow commits). */
  readonly cut: ReadonlySet<number>;
  /** Commits the client has without their history (unshallowed commits): their trees are edges. */
  readonly extraEdges?: readonly number[];
  readonly filter: ObjectFilter | null;
}

export interface WalkResult {
  /** Objects to send, ascending (= stored pack order). */
  readonly send: Int32Array;
  /** State per object: SEND (1), HAS (2: the client has it, usable as a thin-pack base), or 0. */
  readonly state: Uint8Array;
}

export const STATE_SEND = SEND;
export const STATE_HAS = HAS;

/** Computes what to send. */
export function walkObjects(pool: ObjectPool, input: WalkInput): WalkResult {
  const state = new Uint8Array(pool.total);
  markCommitsHave(pool, state, input.haves, input.cut);

  const commits: number[] = [];
  const roots: number[] = []; // trees and blobs wanted directly
  const stack: number[] = [];
  // What the client named, and what its named tags peel to: git treats both as given by the user,
  // which filters never drop (list-objects-filter.c: only NOT_USER_GIVEN objects are filtered).
  const named = new Set<number>();
  const want = (g: number) => {
    if (g === -1 || state[g] !== 0) return;
    named.add(g);
    const type = pool.typeOf(g);
    if (type === TAG) {
      state[g] = SEND;
      pool.forEachLink(g, (target) => want(target));
    } else if (type === COMMIT) {
      stack.push(g);
    } else {
      roots.push(g);
    }
  };
  for (const g of input.wants) want(g);
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (state[c] !== 0) continue;
    state[c] = SEND;
    commits.push(c);
    if (input.cut.has(c)) continue;
    for (const p of parentsOf(pool, c)) if (state[p] === 0) stack.push(p);
  }

  // Edges: commits the client has that sent commits build on.
  const edges = new Set<number>(input.extraEdges ?? []);
  for (const c of commits) {
    if (input.cut.has(c)) continue;
    for (const p of parentsOf(pool, c)) if (state[p] === HAS) edges.add(p);
  }
  for (const e of edges) {
    const tree = treeOf(pool, e);
    if (tree !== -1) markTreeHave(pool, state, tree);
  }

  const filter = input.filter;
  let send: number[] = [];
  for (let g = 0; g < state.length; g++) if (state[g] === SEND) send.push(g); // commits and tags so far
  if (filter) {
    // Filters never drop what the client named, but may drop commits and tags reached by the walk.
    send = send.filter((g) => named.has(g) || filterIncludes(filter, pool.typeOf(g), 0, 0));
  }
  const walker = new TreeWalker(pool, state, filter, send);
  for (const c of commits) {
    const tree = treeOf(pool, c);
    if (tree !== -1) walker.visit(tree, 0, false);
  }
  for (const r of roots) walker.visit(r, 0, true);
  send.sort((a, b) => a - b);
  return { send: Int32Array.from(send), state };
}

function markCommitsHave(pool: ObjectPool, state: Uint8Array, haves: readonly number[], cut: ReadonlySet<number>): void {
  const stack: number[] = [];
  for (const h of haves) {
    if (h === -1) continue;
    const type = pool.typeOf(h);
    if (type === COMMIT) stack.push(h);
    else if (type === TREE) markTreeHave(pool, state, h);
    else state[h] = HAS;
  }
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (state[c] === HAS) continue;
    state[c] = HAS;
    if (cut.has(c)) continue;
    for (const p of parentsOf(pool, c)) if (state[p] !== HAS) stack.push(p);
  }
}

function markTreeHave(pool: ObjectPool, state: Uint8Array, root: number): void {
  const stack = [root];
  state[root] = HAS;
  while (stack.length > 0) {
    const t = stack.pop()!;
    pool.forEachLink(t, (child, type) => {
      if (child === -1 || type === COMMIT || state[child] === HAS) return;
      state[child] = HAS;
      if (type === TREE) stack.push(child);
    });
  }
}

/** Depth-first tree traversal that honours the filter, including tree-depth revisits. */
class TreeWalker {
  readonly #pool: ObjectPool;
  readonly #state: Uint8Array;
  readonly #filter: ObjectFilter | null;
  readonly #send: number[];
  readonly #depthSeen: Map<number, number> | null;

  constructor(pool: ObjectPool, state: Uint8Array, filter: ObjectFilter | null, send: number[]) {
    this.#pool = pool;
    this.#state = state;
    this.#filter = filter;
    this.#send = send;
    this.#depthSeen = filter?.treeDepth !== undefined ? new Map() : null;
  }

  visit(root: number, rootDepth: number, named: boolean): void {
    const pool = this.#pool;
    const state = this.#state;
    const filter = this.#filter;
    const stack: number[] = [root, rootDepth];
    let first = named;
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const g = stack.pop()!;
      const type = pool.typeOf(g);
      if (this.#depthSeen) {
        const seen = this.#depthSeen.get(g);
        if (seen !== undefined && seen <= depth) continue;
        this.#depthSeen.set(g, depth);
      } else if (state[g] !== 0 && !first) {
        continue;
      }
      if (state[g] === HAS) continue;
      const include = first || filter === null || filterIncludes(filter, type, type === BLOB ? pool.sizeOf(g) : 0, depth);
      first = false;
      if (include && state[g] !== SEND) {
        state[g] = SEND;
        this.#send.push(g);
      } else if (!include && state[g] === 0) {
        state[g] = SEEN;
      }
      if (type !== TREE || (filter !== null && !filterDescends(filter, depth))) continue;
      pool.forEachLink(g, (child, linkType) => {
        if (child === -1 || linkType === COMMIT || state[child] === HAS) return;
        if (!this.#depthSeen && state[child] !== 0) return;
        stack.push(child, depth + 1);
      });
    }
  }
}
