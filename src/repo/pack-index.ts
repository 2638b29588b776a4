/**
 * @module repo/pack-index
 * The index we keep beside every stored pack: for each entry (in pack order) where it starts, what
 * it is, what it resolves to, and which objects it links to. It plays the role of git's `.idx`
 * (gitformat-pack "pack-*.idx files") plus a reachability graph: commits list their tree and
 * parents, trees their children, tags their target. With it, deciding what a fetch must send is a
 * walk over typed arrays; no object is inflated to answer "what does this tree contain".
 *
 * Binary layout (little-endian, every section 8-byte aligned):
 *   "RPX1" | u32 count | u32 externalCount | u32 linkCount | u32 sortedCount | u32 reserved
 *   f64 offset[count]      entry start in the pack
 *   f64 size[count]        inflated size of the resolved object
 *   f64 commitTime[count]  committer time (commits only, else 0)
 *   i32 base[count]        delta base: entry index, -1 = none, <= -2 = external base (-2 - k)
 *   u32 linkStart[count+1] links of entry i are linkStart[i] .. linkStart[i+1]
 *   u32 sorted[sortedCount] entry indices of indexed (non-duplicate) entries, sorted by object id
 *   u8  packType[count]    1-4 whole, 6 OFS_DELTA, 7 REF_DELTA
 *   u8  objectType[count]  1 commit, 2 tree, 3 blob, 4 tag
 *   u8  flags[count]       bit 0: duplicate of an object stored earlier (never returned by lookups)
 *   u8  ids[count*20]      object ids in pack order
 *   u8  externalIds[externalCount*20]
 *   u8  linkIds[linkCount*20]
 *   u8  linkType[linkCount] 1 commit (parent, or a gitlink in a tree), 2 tree, 3 blob, 4 tag
 */

export const FLAG_DUPLICATE = 1;

/** A decoded pack index; all arrays are views into one buffer. */
export interface PackIndex {
  readonly count: number;
  readonly offset: Float64Array;
  readonly size: Float64Array;
  readonly commitTime: Float64Array;
  readonly base: Int32Array;
  readonly linkStart: Uint32Array;
  readonly sorted: Uint32Array;
  readonly packType: Uint8Array;
  readonly objectType: Uint8Array;
  readonly flags: Uint8Array;
  readonly ids: Uint8Array;
  readonly externalIds: Uint8Array;
  readonly linkIds: Uint8Array;
  readonly linkType: Uint8Array;
}

const MAGIC = 0x31585052; // "RPX1" read as little-endian u32
const HEADER = 24;

const pad8 = (n: number) => (n + 7) & ~7;

function layout(count: number, ext: number, links: number, sorted: number) {
  let at = HEADER;
  const take = (bytes: number) => {
    const start = at;
    at = pad8(at + bytes);
    return start;
  };
  const l = {
    offset: take(count * 8),
    size: take(count * 8),
    commitTime: take(count * 8),
    base: take(count * 4),
    linkStart: take((count + 1) * 4),
    sorted: take(sorted * 4),
    packType: take(count),
    objectType: take(count),
    flags: take(count),
    ids: take(count * 20),
    externalIds: take(ext * 20),
    linkIds: take(links * 20),
    linkType: take(links),
    total: 0,
  };
  l.total = at;
  return l;
}

function view(buffer: ArrayBuffer, byteOffset: number, counts: [number, number, number, number]): PackIndex {
  const [count, ext, links, sorted] = counts;
  const l = layout(count, ext, links, sorted);
  const b = byteOffset;
  return {
    count,
    offset: new Float64Array(buffer, b + l.offset, count),
    size: new Float64Array(buffer, b + l.size, count),
    commitTime: new Float64Array(buffer, b + l.commitTime, count),
    base: new Int32Array(buffer, b + l.base, count),
    linkStart: new Uint32Array(buffer, b + l.linkStart, count + 1),
    sorted: new Uint32Array(buffer, b + l.sorted, sorted),
    packType: new Uint8Array(buffer, b + l.packType, count),
    objectType: new Uint8Array(buffer, b + l.objectType, count),
    flags: new Uint8Array(buffer, b + l.flags, count),
    ids: new Uint8Array(buffer, b + l.ids, count * 20),
    externalIds: new Uint8Array(buffer, b + l.externalIds, ext * 20),
    linkIds: new Uint8Array(buffer, b + l.linkIds, links * 20),
    linkType: new Uint8Array(buffer, b + l.linkType, links),
  };
}

/** Allocates an index with room for the given counts, returning it and its serialized bytes. */
export function allocatePackIndex(count: number, ext: number, links: number, sorted: number): { index: PackIndex; bytes: Uint8Array } {
  const l = layout(count, ext, links, sorted);
  const buffer = new ArrayBuffer(l.total);
  const header = new DataView(buffer);
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, count, true);
  header.setUint32(8, ext, true);
  header.setUint32(12, links, true);
  header.setUint32(16, sorted, true);
  return { index: view(buffer, 0, [count, ext, links, sorted]), bytes: new Uint8Array(buffer) };
}

/** Decodes stored index bytes (copies into an aligned buffer when needed). */
export function decodePackIndex(bytes: Uint8Array): PackIndex {
  let buf = bytes;
  if (buf.byteOffset % 8 !== 0) buf = buf.slice();
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < HEADER || dv.getUint32(0, true) !== MAGIC) {
    throw new Error("Cannot decode pack index: bad magic");
  }
  const counts: [number, number, number, number] = [
    dv.getUint32(4, true),
    dv.getUint32(8, true),
    dv.getUint32(12, true),
    dv.getUint32(16, true),
  ];
  const l = layout(...counts);
  if (l.total !== buf.byteLength) {
    throw new Error(`Cannot decode pack index: expected ${l.total} bytes, got ${buf.byteLength}`);
  }
  return view(buf.buffer as ArrayBuffer, buf.byteOffset, counts);
}

/** Compares 20-byte ids `a[ai..]` and `b[bi..]`. */
export function compareId(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < 20; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Finds the entry index of an indexed object with id `id[at..at+20]`, or -1. */
export function findEntry(index: PackIndex, id: Uint8Array, at = 0): number {
  const { sorted, ids } = index;
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const entry = sorted[mid]!;
    const c = compareId(ids, entry * 20, id, at);
    if (c === 0) return entry;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Sorts the non-duplicate entries of `index` by id into `index.sorted` (which must be sized for them). */
export function sortIndex(index: PackIndex): void {
  const entries: number[] = [];
  for (let i = 0; i < index.count; i++) if ((index.flags[i]! & FLAG_DUPLICATE) === 0) entries.push(i);
  const ids = index.ids;
  entries.sort((x, y) => compareId(ids, x * 20, ids, y * 20));
  index.sorted.set(entries);
}
