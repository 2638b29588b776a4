/**
 * @module repo/negotiate
 * The server side of packfile negotiation (gitprotocol-pack "Packfile Negotiation", gitprotocol-v2
 * "fetch"), following upload-pack.c: each `have` we know becomes common and marks its parents as
 * things the client has; we may stop ("ready") once every wanted commit reaches something the client
 * has (ok_to_give_up / can_all_from_reach_with_flag, with the same oldest-have date cutoff).
 * This module keeps the state; v0 and v2 format the acknowledgments themselves.
 *
 * git answers ok_to_give_up with a fresh walk from every want, and v0 asks once per unknown `have`.
 * In one process per request that costs the requester; on our shared event loop wants × haves would
 * stall everyone. So the answer is kept incrementally instead. A commit is "good" when the client has
 * it, or when the walk may pass through it (it is a want, or no older than the oldest have) and one
 * of its parents is good; we are ready when every wanted commit is good. Both inputs only grow (the
 * client's set grows, the date cutoff only moves back), so a commit once good stays good: each
 * commit is walked once, each parent edge is kept in reverse and followed once when its parent turns
 * good, and commits held back by the cutoff wait in a heap for it to move. A whole negotiation costs
 * O(wants + haves + commits and edges walked), however the wants, haves and questions interleave.
 */
import type { ObjectPool } from "./object-pool.ts";
import type { Pacer } from "../util/pacer.ts";
import { COMMIT, parentsOf, peel } from "./commit-graph.ts";

/** Steps of one settle slice before the paced variant offers the event loop back. */
const SLICE_STEPS = 4096;

/** Counts the negotiation's work (wants and haves read, commits and edges walked), for tests. */
export interface NegotiationStats {
  steps: number;
}

export class Negotiator {
  readonly #pool: ObjectPool;
  readonly #wants: readonly number[];
  readonly #visible: (g: number) => boolean;
  readonly #theyHave = new Set<number>();
  /** Distinct have objects we found (git's have_obj), in arrival order. */
  readonly common: number[] = [];
  readonly stats: NegotiationStats = { steps: 0 };
  #oldestHave = Infinity;

  // The incremental ok_to_give_up walk, started by the first question.
  #started = false;
  /** Distinct wanted commits (tags peeled; wants that are not commits are ignored, as git does). */
  readonly #wantCommits = new Set<number>();
  #unsatisfied = 0;
  /** Commits the walk has met. */
  readonly #seen = new Set<number>();
  /** Commits that reach something the client has. */
  readonly #good = new Set<number>();
  /** For each commit met as a parent, the walked commits it is a parent of. */
  readonly #children = new Map<number, number[]>();
  /** Met, not yet looked at. */
  readonly #work: number[] = [];
  /** Met but older than the cutoff: walked on once the cutoff moves back past them. */
  readonly #deferred = new DateHeap();

  /** `visible` hides objects of other repositories that share the pool. */
  constructor(pool: ObjectPool, wants: readonly number[], visible: (g: number) => boolean = () => true) {
    this.#pool = pool;
    this.#wants = wants;
    this.#visible = visible;
  }

  /**
   * Records one `have`: -1 when we do not have the object, 0 when it was already known as theirs,
   * 1 when it is newly common (git's got_oid).
   */
  have(g: number): -1 | 0 | 1 {
    this.stats.steps++;
    if (g === -1 || !this.#visible(g)) return -1;
    const pool = this.#pool;
    if (pool.typeOf(g) === COMMIT) {
      const time = pool.commitTimeOf(g);
      if (time < this.#oldestHave) this.#oldestHave = time;
      for (const p of parentsOf(pool, g)) this.#theyHaveAdd(p);
    }
    if (this.#theyHave.has(g)) return 0;
    this.#theyHaveAdd(g);
    this.common.push(g);
    return 1;
  }

  /** True when every wanted commit reaches a commit the client has. */
  okToGiveUp(): boolean {
    if (this.common.length === 0) return false;
    this.#start();
    this.#settle(Infinity);
    return this.#unsatisfied === 0;
  }

  /** okToGiveUp, handing the event loop back through `pacer` while a long walk runs. */
  async okToGiveUpPaced(pacer: Pacer): Promise<boolean> {
    if (this.common.length === 0) return false;
    this.#start();
    while (!this.#settle(SLICE_STEPS)) await pacer.pace(SLICE_STEPS * 256); // a few slices of steps per pacer slice
    return this.#unsatisfied === 0;
  }

  #theyHaveAdd(g: number): void {
    this.stats.steps++;
    if (this.#theyHave.has(g)) return;
    this.#theyHave.add(g);
    // Already met by the walk: it, and what is walked down to it, now reach the client.
    if (this.#seen.has(g)) this.#markGood(g);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const pool = this.#pool;
    const distinct = new Set<number>();
    for (const want of this.#wants) {
      this.stats.steps++;
      if (distinct.has(want)) continue;
      distinct.add(want);
      const commit = peel(pool, want);
      if (commit === -1 || pool.typeOf(commit) !== COMMIT) continue;
      this.#wantCommits.add(commit);
    }
    this.#unsatisfied = this.#wantCommits.size;
    for (const commit of this.#wantCommits) this.#meet(commit, -1);
  }

  /** The walk reaches `g` from `child` (-1 for a want). */
  #meet(g: number, child: number): void {
    this.stats.steps++;
    if (child !== -1) {
      let list = this.#children.get(g);
      if (list === undefined) this.#children.set(g, (list = []));
      list.push(child);
      if (this.#good.has(g)) this.#markGood(child);
    }
    if (this.#seen.has(g)) return;
    this.#seen.add(g);
    this.#work.push(g);
  }

  /**
   * Walks up to `budget` steps; true when the answer is settled (every want good, or nothing left
   * to walk at the current cutoff).
   */
  #settle(budget: number): boolean {
    const pool = this.#pool;
    for (let step = 0; step < budget; step++) {
      if (this.#unsatisfied === 0) return true;
      let g = this.#work.pop();
      if (g === undefined) {
        if (this.#deferred.size === 0 || this.#deferred.topTime() < this.#oldestHave) return true;
        this.stats.steps++;
        g = this.#deferred.pop();
      }
      if (this.#good.has(g)) continue;
      if (this.#theyHave.has(g)) {
        this.#markGood(g);
        continue; // as git, nothing below a commit they have is walked from it
      }
      const time = pool.commitTimeOf(g);
      // The cutoff applies to what the walk passes through, not to where it starts (a want).
      if (time < this.#oldestHave && !this.#wantCommits.has(g)) {
        this.stats.steps++;
        this.#deferred.push(time, g);
        continue;
      }
      for (const p of parentsOf(pool, g)) this.#meet(p, g);
    }
    return this.#unsatisfied === 0 || (this.#work.length === 0 && (this.#deferred.size === 0 || this.#deferred.topTime() < this.#oldestHave));
  }

  /** `g` reaches the client; so does every walked commit above it. */
  #markGood(g: number): void {
    const stack = [g];
    while (stack.length > 0) {
      const c = stack.pop()!;
      this.stats.steps++;
      if (this.#good.has(c)) continue;
      this.#good.add(c);
      if (this.#wantCommits.has(c)) this.#unsatisfied--;
      const children = this.#children.get(c);
      if (children !== undefined) for (const child of children) stack.push(child);
    }
  }
}

/** A max-heap of commits by committer date. */
class DateHeap {
  readonly #times: number[] = [];
  readonly #items: number[] = [];

  get size(): number {
    return this.#items.length;
  }

  topTime(): number {
    return this.#times[0]!;
  }

  push(time: number, item: number): void {
    const times = this.#times;
    const items = this.#items;
    let at = items.length;
    times.push(time);
    items.push(item);
    while (at > 0) {
      const up = (at - 1) >> 1;
      if (times[up]! >= time) break;
      times[at] = times[up]!;
      items[at] = items[up]!;
      at = up;
    }
    times[at] = time;
    items[at] = item;
  }

  pop(): number {
    const times = this.#times;
    const items = this.#items;
    const top = items[0]!;
    const lastTime = times.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && times[child + 1]! > times[child]!) child++;
      if (times[child]! <= lastTime) break;
      times[at] = times[child]!;
      items[at] = items[child]!;
      at = child;
    }
    times[at] = lastTime;
    items[at] = lastItem;
    return top;
  }
}
