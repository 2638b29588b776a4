/**
 * @module repo/push-visibility
 * In a fork network several repositories share one object pool. A push must not make another
 * repository's objects reachable here by naming their ids (a commit pointing at a tree only a sibling
 * has, or a ref set to a sibling's commit): that would let this repository's readers fetch them. So
 * every object a push links to or points a ref at must be in the pushed pack or already reachable
 * from this repository's refs. (Objects whose content the client sends are fine: it has them.)
 */
import type { ObjectPool } from "./object-pool.ts";
import type { PackIndex } from "./pack-index.ts";
import { reachableSet } from "./reachability.ts";
import { hexEncode } from "../util/bytes.ts";
import { oidToBytes, type ObjectId } from "../git/object-id.ts";

/** Ids the push refers to that are neither in its pack nor reachable from `tips` (at most 20). */
export function foreignReferences(pool: ObjectPool, repoId: string, tips: readonly number[], index: PackIndex | null, targets: readonly ObjectId[]): string[] {
  const inPack = new Set<string>();
  if (index) for (let i = 0; i < index.count; i++) inPack.add(hexEncode(index.ids, i * 20, 20));
  let reachable: Uint8Array | null = null;
  const foreign: string[] = [];
  const check = (bytes: Uint8Array, at: number) => {
    const hex = hexEncode(bytes, at, 20);
    if (inPack.has(hex)) return;
    const g = pool.locate(bytes, at);
    if (g === -1) return; // absent: the closure check reports it as missing
    reachable ??= reachableSet(pool, repoId, tips);
    if (reachable[g] === 0 && foreign.length < 20) foreign.push(hex);
  };
  if (index) {
    for (let i = 0; i < index.count; i++) {
      const isTree = index.objectType[i] === 2;
      for (let k = index.linkStart[i]!; k < index.linkStart[i + 1]!; k++) {
        if (isTree && index.linkType[k] === 1) continue; // gitlink
        check(index.linkIds, k * 20);
      }
    }
  }
  for (const id of targets) check(oidToBytes(id), 0);
  return foreign;
}
