/**
 * @module repo/negotiate
 * The server side of packfile negotiation (gitprotocol-pack "Packfile Negotiation", gitprotocol-v2
 * "fetch"), following upload-pack.c: each `have` we know becomes common and marks its parents as
 * things the client has; we may stop ("ready") once every wanted commit reaches something the client
 * has (ok_to_give_up / can_all_from_reach_with_flag, with the same oldest-have date cutoff).
 * This module keeps the state; v0 and v2 format the acknowledgments themselves.
 */
import type { ObjectPool } from "./object-pool.ts";
import { COMMIT, parentsOf, peel } from "./commit-graph.ts";

export class Negotiator {
  readonly #pool: ObjectPool;
  readonly #wants: readonly number[];
  readonly #visible: (g: number) => boolean;
  readonly #theyHave = new Set<number>();
  /** Distinct have objects we found (git's have_obj), in arrival order. */
  readonly common: number[] = [];
  #oldestHave = Infinity;

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
    if (g === -1 || !this.#visible(g)) return -1;
    const pool = this.#pool;
    if (pool.typeOf(g) === COMMIT) {
      const time = pool.commitTimeOf(g);
      if (time < this.#oldestHave) this.#oldestHave = time;
      for (const p of parentsOf(pool, g)) this.#theyHave.add(p);
    }
    if (this.#theyHave.has(g)) return 0;
    this.#theyHave.add(g);
    this.common.push(g);
    return 1;
  }

  /** True when every wanted commit reaches a commit the client has. */
  okToGiveUp(): boolean {
    if (this.common.length === 0) return false;
    const pool = this.#pool;
    const reaches = new Set<number>();
    for (const want of this.#wants) {
      const start = peel(pool, want);
      if (start === -1 || pool.typeOf(start) !== COMMIT) continue;
      if (!this.#reaches(start, reaches)) return false;
    }
    return true;
  }

  #reaches(start: number, known: Set<number>): boolean {
    const pool = this.#pool;
    const seen = new Set<number>();
    const stack = [start];
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (this.#theyHave.has(c) || known.has(c)) {
        known.add(start);
        return true;
      }
      if (seen.has(c)) continue;
      seen.add(c);
      if (pool.commitTimeOf(c) < this.#oldestHave) continue;
      for (const p of parentsOf(pool, c)) stack.push(p);
    }
    return false;
  }
}
