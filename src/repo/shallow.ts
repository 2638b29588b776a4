/**
 * @module repo/shallow
 * Where a shallow fetch cuts history (gitprotocol-pack "Shallow clone"; git's shallow.c
 * get_shallow_commits and get_shallow_commits_by_rev_list, upload-pack.c send_shallow and
 * send_unshallow), computed over the commit graph of a pool view.
 *
 * - `deepen <n>`: commits whose minimal distance from a want is n (counting the want as 1) become
 *   the new boundary; `deepen-relative` counts from the client's current shallow commits instead
 *   (each at distance 1, so the new boundary lies n commits below them) — all of them that any ref
 *   reaches, not only the wants (`git fetch --deepen` sends no wants for tags it already has, yet
 *   their history deepens too).
 * - `deepen-since <t>` / `deepen-not <ref>`: the commits reachable from the wants that are not older
 *   than t and not reachable from the excluded refs; the boundary is those with a parent outside.
 * - A client shallow commit that is now inside the deepened history is "unshallowed": its parents
 *   become wants. Commits the client already has as shallow are not announced again.
 */
import type { ObjectPool } from "./object-pool.ts";
import { parentsOf, peel, COMMIT } from "./commit-graph.ts";
import { ProtocolError } from "../errors.ts";

/** git's INFINITE_DEPTH, sent by `git fetch --unshallow`. */
export const INFINITE_DEPTH = 0x7fffffff;

export interface DeepenRequest {
  /** `deepen <n>` (0 = not given). */
  readonly depth: number;
  readonly relative: boolean;
  /** `deepen-since <t>` in seconds (null = not given). */
  readonly since: number | null;
  /** Commits named by `deepen-not` (already resolved from ref names). */
  readonly not: readonly number[];
  /** The client's current shallow commits we know. */
  readonly clientShallow: readonly number[];
  /** Every ref tip of the repository: `deepen-relative` deepens each client shallow they reach. */
  readonly refTips: readonly number[];
  /**
   * This repository's own shallow commits (it was imported with a depth): their parents are
   * absent here, so they are always part of the boundary a client receives, as with git's grafts.
   */
  readonly repoShallow: ReadonlySet<number>;
}

export interface ShallowPlan {
  /** New boundary commits to announce with `shallow <id>`. */
  readonly shallow: number[];
  /** Client shallow commits whose history will now be sent, announced with `unshallow <id>`. */
  readonly unshallow: number[];
  /** Commits whose parents the walk must not follow (new boundary + client shallows still shallow). */
  readonly cut: Set<number>;
  /** Extra wants: parents of unshallowed commits. */
  readonly extraWants: number[];
}

/** Returns true when the request asks to change the shallow boundary. */
export function isDeepen(req: Pick<DeepenRequest, "depth" | "since" | "not">): boolean {
  return req.depth > 0 || req.since !== null || req.not.length > 0;
}

/** Computes the shallow plan for `wants` (global numbers; tags are peeled). */
export function planShallow(pool: ObjectPool, wants: readonly number[], req: DeepenRequest): ShallowPlan {
  if (req.depth > 0 && (req.since !== null || req.not.length > 0)) {
    throw new ProtocolError("ERR_REQUEST", "deepen and deepen-since (or deepen-not) cannot be used together");
  }
  const heads = wants.map((w) => peel(pool, w)).filter((g) => g !== -1 && pool.typeOf(g) === COMMIT);
  const clientShallow = new Set(req.clientShallow);
  const repoShallow = req.repoShallow;
  const unchanged = () => ({ shallow: [], unshallow: [], cut: new Set([...clientShallow, ...repoShallow]), extraWants: [] });
  let notShallow: Set<number>;
  let boundary: number[];
  if (req.depth > 0) {
    if (req.depth === INFINITE_DEPTH && repoShallow.size === 0) {
      notShallow = new Set(clientShallow);
      boundary = [];
    } else {
      let from = heads;
      let depth = req.depth === INFINITE_DEPTH ? Infinity : req.depth;
      if (req.relative && depth !== Infinity) {
        // Counted from the client's shallow commits that our refs reach, each of them at depth 1
        // (upload-pack.c deepen: get_reachable_list marks shallows reachable from any OUR_REF,
        // then get_shallow_commits(&reachable_shallows, depth + 1, ...)).
        const tips = req.refTips.map((g) => peel(pool, g)).filter((g) => g !== -1 && pool.typeOf(g) === COMMIT);
        from = reachableShallows(pool, tips, clientShallow);
        if (from.length === 0) return unchanged();
        depth += 1;
      }
      ({ notShallow, boundary } = byDepth(pool, from, depth, repoShallow));
    }
  } else if (req.since !== null || req.not.length > 0) {
    ({ notShallow, boundary } = byRevList(pool, heads, req.since, req.not, repoShallow));
  } else if (repoShallow.size > 0) {
    // A shallow repository tells every client where its history stops (upload-pack.c
    // send_shallow_info: deepen(INFINITE_DEPTH) when is_repository_shallow).
    ({ notShallow, boundary } = byDepth(pool, heads, Infinity, repoShallow));
  } else {
    return unchanged();
  }
  const shallow = boundary.filter((c) => !clientShallow.has(c) && !notShallow.has(c));
  const unshallow: number[] = [];
  const extraWants: number[] = [];
  for (const c of req.clientShallow) {
    if (notShallow.has(c)) {
      unshallow.push(c);
      extraWants.push(...parentsOf(pool, c));
    }
  }
  const cut = new Set<number>(shallow);
  for (const c of boundary) cut.add(c);
  // The client still cannot walk past its shallow commits; unshallowed ones are walked via extraWants.
  for (const c of clientShallow) cut.add(c);
  for (const c of repoShallow) cut.add(c);
  return { shallow, unshallow, cut, extraWants };
}

/** The client's shallow commits reachable from `heads` (walking no further than those commits). */
function reachableShallows(pool: ObjectPool, heads: readonly number[], clientShallow: ReadonlySet<number>): number[] {
  const depthOf = minDepths(pool, heads, Infinity, clientShallow);
  return [...clientShallow].filter((c) => depthOf.has(c));
}

/** Breadth-first minimal depths from `heads` (head = 1), not expanding past `maxDepth` or `stop`. */
function minDepths(pool: ObjectPool, heads: readonly number[], maxDepth: number, stop?: ReadonlySet<number>): Map<number, number> {
  const depthOf = new Map<number, number>();
  let frontier: number[] = [];
  for (const h of heads) {
    if (!depthOf.has(h)) {
      depthOf.set(h, 1);
      frontier.push(h);
    }
  }
  for (let depth = 1; frontier.length > 0 && depth < maxDepth; depth++) {
    const next: number[] = [];
    for (const c of frontier) {
      if (stop?.has(c)) continue;
      for (const p of parentsOf(pool, c)) {
        if (!depthOf.has(p)) {
          depthOf.set(p, depth + 1);
          next.push(p);
        }
      }
    }
    frontier = next;
  }
  return depthOf;
}

function byDepth(pool: ObjectPool, heads: readonly number[], depth: number, repoShallow: ReadonlySet<number>): { notShallow: Set<number>; boundary: number[] } {
  const depthOf = minDepths(pool, heads, depth, repoShallow);
  const notShallow = new Set<number>();
  const boundary: number[] = [];
  for (const [c, d] of depthOf) {
    if (d >= depth || repoShallow.has(c)) boundary.push(c);
    else notShallow.add(c);
  }
  return { notShallow, boundary };
}

function byRevList(
  pool: ObjectPool,
  heads: readonly number[],
  since: number | null,
  not: readonly number[],
  repoShallow: ReadonlySet<number>,
): { notShallow: Set<number>; boundary: number[] } {
  const excluded = new Set<number>();
  const stack = not.map((g) => peel(pool, g)).filter((g) => g !== -1);
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (excluded.has(c)) continue;
    excluded.add(c);
    stack.push(...parentsOf(pool, c));
  }
  const selected = new Set<number>();
  const work = heads.filter((h) => !excluded.has(h));
  while (work.length > 0) {
    const c = work.pop()!;
    if (selected.has(c) || excluded.has(c)) continue;
    if (since !== null && pool.commitTimeOf(c) < since) continue;
    selected.add(c);
    if (!repoShallow.has(c)) work.push(...parentsOf(pool, c));
  }
  if (selected.size === 0) throw new ProtocolError("ERR_REQUEST", "no commits selected for shallow requests");
  const boundary: number[] = [];
  for (const c of selected) {
    if (repoShallow.has(c) || parentsOf(pool, c).some((p) => !selected.has(p))) boundary.push(c);
  }
  for (const c of boundary) selected.delete(c);
  return { notShallow: selected, boundary };
}
