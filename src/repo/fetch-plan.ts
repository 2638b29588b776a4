/**
 * @module repo/fetch-plan
 * The plan step of a fetch, shared by protocol v0 and v2: resolve and authorize the wants (each
 * must be reachable from this repository's refs: "not our ref" otherwise, as upload-pack says),
 * negotiate the haves, compute the shallow boundary, and choose the objects to send.
 */
import { ProtocolError } from "../errors.ts";
import type { ObjectId } from "../git/object-id.ts";
import { ObjectPool } from "./object-pool.ts";
import { readRefs, type RefSnapshot } from "./refs.ts";
import { readRepoShallow } from "./repo-shallow.ts";
import { reachableSet, unreachable } from "./reachability.ts";
import { Negotiator } from "./negotiate.ts";
import { isDeepen, planShallow, type ShallowPlan } from "./shallow.ts";
import { walkObjects, type WalkResult, STATE_SEND } from "./object-walk.ts";
import { parseFilter } from "./object-filter.ts";
import { peel, TAG } from "./commit-graph.ts";
import type { FetchRequest } from "./fetch-request.ts";
import type { RepoContext } from "./repo-context.ts";

export interface FetchState {
  readonly pool: ObjectPool;
  /** The repository itself is shallow (imported with a depth). */
  readonly repoShallow: boolean;
  readonly snapshot: RefSnapshot;
  readonly wants: number[];
  readonly negotiator: Negotiator;
  readonly shallow: ShallowPlan | null;
}

/** Loads the repository and validates the request; throws ProtocolError for what git reports as ERR. */
export async function prepareFetch(ctx: RepoContext, req: FetchRequest): Promise<FetchState> {
  const [pool, snapshot, shallowIds] = await Promise.all([
    ObjectPool.open(ctx.env, ctx.poolId),
    readRefs(ctx.env.store, ctx.repoId),
    readRepoShallow(ctx.env.store, ctx.repoId),
  ]);
  const tips = [...snapshot.refs.values()].map((id) => pool.locateId(id));
  const wants = req.wants.map((id) => pool.locateId(id));
  const bad = unreachable(pool, ctx.repoId, tips, wants);
  if (bad.length > 0) {
    const index = wants.indexOf(bad[0]!);
    throw new ProtocolError("ERR_UNREACHABLE_WANT", `upload-pack: not our ref ${req.wants[index]}`);
  }
  if (req.filter !== null) parseFilter(req.filter); // reject unsupported filters before anything is sent
  const visible = ctx.sharedPool ? visibility(pool, ctx.repoId, tips) : undefined;
  const negotiator = new Negotiator(pool, wants, visible);
  let shallow: ShallowPlan | null = null;
  const clientShallow = req.clientShallow.map((id) => pool.locateId(id)).filter((g) => g !== -1);
  const deepenNot = req.deepenNot.map((name) => resolveDeepenNot(pool, snapshot, name));
  const repoShallow = new Set([...shallowIds].map((id) => pool.locateId(id)).filter((g) => g !== -1));
  const deepen = { depth: req.depth, relative: req.deepenRelative, since: req.deepenSince, not: deepenNot, clientShallow, repoShallow, refTips: tips.filter((g) => g !== -1) };
  if (isDeepen(deepen) || clientShallow.length > 0 || repoShallow.size > 0) shallow = planShallow(pool, wants, deepen);
  return { pool, repoShallow: repoShallow.size > 0, snapshot, wants, negotiator, shallow };
}

function visibility(pool: ObjectPool, repoId: string, tips: readonly number[]): (g: number) => boolean {
  let reachable: Uint8Array | null = null;
  return (g) => {
    reachable ??= reachableSet(pool, repoId, tips);
    return reachable[g] === 1;
  };
}

/** deepen-not takes a ref name, expanded the way git's expand_ref does (main → refs/heads/main). */
function resolveDeepenNot(pool: ObjectPool, snapshot: RefSnapshot, name: string): number {
  const candidates = [name, `refs/${name}`, `refs/tags/${name}`, `refs/heads/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`];
  const found = candidates.filter((c) => snapshot.refs.has(c));
  if (found.length === 0) throw new ProtocolError("ERR_REQUEST", `git upload-pack: deepen-not is not a ref: deepen-not ${name}`);
  return pool.locateId(snapshot.refs.get(found[0]!)!);
}

/** Chooses the objects to send once negotiation is over. */
export function chooseObjects(state: FetchState, req: FetchRequest): WalkResult {
  const { pool, shallow } = state;
  const wants = shallow ? [...state.wants, ...shallow.extraWants] : state.wants;
  const result = walkObjects(pool, {
    wants,
    haves: state.negotiator.common,
    cut: shallow?.cut ?? new Set(),
    extraEdges: shallow?.unshallow ?? [],
    filter: req.filter === null ? null : parseFilter(req.filter),
  });
  return req.includeTag ? includeTags(state, result) : result;
}

/** include-tag: annotated tags whose target is being sent come along (upload-pack "include-tag"). */
function includeTags(state: FetchState, result: WalkResult): WalkResult {
  const { pool } = state;
  const extra: number[] = [];
  for (const id of state.snapshot.refs.values()) {
    let g = pool.locateId(id as ObjectId);
    if (g === -1 || pool.typeOf(g) !== TAG || result.state[g] === STATE_SEND) continue;
    const target = peel(pool, g);
    if (target === -1 || result.state[target] !== STATE_SEND) continue;
    // The tag and any tags between it and the target.
    while (g !== -1 && pool.typeOf(g) === TAG && result.state[g] !== STATE_SEND) {
      result.state[g] = STATE_SEND;
      extra.push(g);
      let next = -1;
      pool.forEachLink(g, (t) => (next = t));
      g = next;
    }
  }
  if (extra.length === 0) return result;
  const send = Int32Array.from([...result.send, ...extra]).sort();
  return { send, state: result.state };
}
