/**
 * @module repo/delta-search
 * Chooses delta bases for the objects a repack would otherwise write whole, as git's pack-objects
 * does in find_deltas (builtin/pack-objects.c; Documentation/technical/pack-heuristics.txt): sort
 * the candidates by type, a hash of the name they have in their trees and size, largest first, and
 * try each against the few objects just before it in that order, keeping the smallest delta that
 * saves at least half.
 *
 * Pushed packs are usually deltified already and keep their stored deltas (pack-send reuses them);
 * this pays for packs that arrived without any (isomorphic-git writes none, nor does
 * `pack-objects --window=0`), which maintenance then stores as compactly as `git gc` would.
 *
 * No cycle can form: an object is only ever deltified against one sorted before it, which is
 * either written whole or deltified against one earlier still. Objects a stored delta is based on
 * stay whole, so no stored chain grows deeper.
 */
import { createDelta } from "../git/delta.ts";
import { forEachTreeEntry, isGitlinkMode } from "../objects/tree.ts";
import type { ObjectPool } from "./object-pool.ts";
import { Pacer } from "../util/pacer.ts";

export interface DeltaSearchOptions {
  /** How many preceding candidates each object is tried against (git's pack.window, 10). */
  readonly window?: number;
  /** Longest chain of new deltas (git's pack.depth, 50). */
  readonly maxDepth?: number;
  /** Objects outside [minBytes, maxBytes] are left whole: tiny ones cannot save much, and the
   *  window holds every candidate's content, so its memory is window × maxBytes. */
  readonly minBytes?: number;
  readonly maxBytes?: number;
  /** Bytes run through the delta encoder per repack, at most: the rest stays as it is stored until
   *  the next repack, so a huge undeltified repository is worked through over several. Counted in
   *  bytes, not time, because a Worker's clock stands still while it computes. */
  readonly budgetBytes?: number;
}

const DEFAULTS = { window: 10, maxDepth: 50, minBytes: 64, maxBytes: 1024 * 1024, budgetBytes: 512 * 1024 * 1024 };

const TYPE_TREE = 2;
const TYPE_BLOB = 3;

/**
 * For each object of `objects` (ascending global numbers, as pack-send takes them), the global
 * number of the object to deltify it against, or -1 to leave it as pack-send would write it.
 * Example: `sendPack({ ..., newBase: await chooseDeltaBases(pool, objects) })`.
 */
export async function chooseDeltaBases(pool: ObjectPool, objects: Int32Array, options: DeltaSearchOptions = {}): Promise<Int32Array> {
  const o = { ...DEFAULTS, ...options };
  const newBase = new Int32Array(objects.length).fill(-1);
  const position = new Int32Array(pool.total).fill(-1);
  for (let i = 0; i < objects.length; i++) position[objects[i]!] = i;

  // Stored deltas whose base is also written are reused as they are; their bases must stay whole.
  const storedDelta = new Uint8Array(objects.length);
  const storedBase = new Uint8Array(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const rep = pool.representation(objects[i]!);
    if (rep.packType < 6 || position[rep.base] === -1) continue;
    storedDelta[i] = 1;
    storedBase[position[rep.base]!] = 1;
  }

  const candidates: number[] = [];
  let targets = 0;
  for (let i = 0; i < objects.length; i++) {
    const g = objects[i]!;
    const type = pool.typeOf(g);
    const size = pool.sizeOf(g);
    if (storedDelta[i] || (type !== TYPE_BLOB && type !== TYPE_TREE) || size < o.minBytes || size > o.maxBytes) continue;
    candidates.push(i);
    if (!storedBase[i]) targets++;
  }
  if (targets === 0 || candidates.length < 2) return newBase;

  const work = new Work();
  const nameHash = await nameHashes(pool, objects, position, work);
  candidates.sort((a, b) => {
    const ga = objects[a]!;
    const gb = objects[b]!;
    return pool.typeOf(ga) - pool.typeOf(gb) || nameHash[a]! - nameHash[b]! || pool.sizeOf(gb) - pool.sizeOf(ga) || ga - gb;
  });

  const depth = new Uint8Array(objects.length);
  const window: { i: number; type: number; content: Uint8Array }[] = [];
  for (const i of candidates) {
    if (work.done >= o.budgetBytes) break;
    const g = objects[i]!;
    const type = pool.typeOf(g);
    if (window.length > 0 && window[window.length - 1]!.type !== type) window.length = 0;
    const { content } = await pool.read(g);
    if (!storedBase[i]) {
      // As git's try_delta: a delta must save at least half, and cannot be smaller than the growth.
      let best = Math.floor(content.length / 2) - 20;
      for (const w of window) {
        if (depth[w.i]! >= o.maxDepth) continue;
        if (content.length - w.content.length >= best || content.length < w.content.length / 32) continue;
        const delta = createDelta(w.content, content);
        work.add(w.content.length + content.length);
        if (delta.length < best) {
          best = delta.length;
          newBase[i] = objects[w.i]!;
          depth[i] = depth[w.i]! + 1;
        }
      }
    }
    window.push({ i, type, content });
    if (window.length > o.window) window.shift();
    await work.pause();
  }
  return newBase;
}

/**
 * A hash of the name each object has in the trees being written (git's pack_name_hash: the last
 * characters weigh most, so `a/x.c` sorts near `b/x.c` and near other `.c` files). 0 when unnamed.
 */
async function nameHashes(pool: ObjectPool, objects: Int32Array, position: Int32Array, work: Work): Promise<Uint32Array> {
  const hashes = new Uint32Array(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const g = objects[i]!;
    if (pool.typeOf(g) !== TYPE_TREE) continue;
    const { content } = await pool.read(g);
    forEachTreeEntry(content, (mode, nameStart, nameEnd, oidOffset) => {
      if (isGitlinkMode(mode)) return;
      const child = pool.locate(content, oidOffset);
      const at = child === -1 ? -1 : position[child]!;
      if (at === -1 || hashes[at] !== 0) return;
      let hash = 0;
      for (let k = nameStart; k < nameEnd; k++) {
        const c = content[k]!;
        if (c !== 0x20 && c !== 0x09 && c !== 0x0a) hash = ((hash >>> 2) + (c << 24)) >>> 0;
      }
      hashes[at] = hash;
    });
    work.add(content.length);
    await work.pause();
  }
  return hashes;
}

/** Counts bytes of work (for the budget) and gives the event loop a turn after each slice of it. */
class Work {
  done = 0;
  #sinceTurn = 0;
  readonly #pacer = new Pacer();

  add(bytes: number): void {
    this.done += bytes;
    this.#sinceTurn += bytes;
  }

  /** Gives git traffic its turn when a slice (src/util/pacer.ts) is used up. */
  pause(): Promise<void> | undefined {
    const bytes = this.#sinceTurn;
    this.#sinceTurn = 0;
    return this.#pacer.pace(bytes);
  }
}
