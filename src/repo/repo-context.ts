/**
 * @module repo/repo-context
 * What the git endpoints need to know about one repository: where its objects and refs live and
 * what HEAD points at. Built by the API layer from the repository record.
 */
import type { PoolEnv } from "./object-pool.ts";

export interface RepoContext {
  readonly env: PoolEnv;
  readonly repoId: string;
  /** Object pool id: the repository's own id, or its fork network's. */
  readonly poolId: string;
  /** Full name of the ref HEAD points at, e.g. "refs/heads/main". */
  readonly head: string;
  /**
   * True when other repositories share the pool (a fork network). Then haves and wants are checked
   * against what this repository's refs reach, so no object of a sibling is acknowledged or sent.
   */
  readonly sharedPool: boolean;
}
