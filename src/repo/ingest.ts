/**
 * @module repo/ingest
 * Turns a pack arriving on a push into a stored, indexed, not-yet-published pack — the job of git's
 * index-pack (gitformat-pack; Documentation/git-index-pack.txt) — with memory bounded by the largest
 * object and the delta-base cache plus a few bytes per object, never by pack size:
 *
 * 1. Stream: every raw byte goes to a chunked blob as it arrives; each entry is inflated once.
 *    Whole objects are hashed immediately; deltas whose base is cached (the usual case: git writes
 *    bases before their OFS deltas) or stored already (thin packs) are resolved immediately too.
 * 2. Resolve the rest: deltas whose base was evicted or comes later (REF_DELTA) are resolved in
 *    rounds, re-reading what is no longer in memory from the stored blob.
 * 3. Check closure: every link of every new object (commit → tree and parents, tree → children,
 *    tag → target; gitlinks excepted) must be in this pack or already stored, and be of the type
 *    the link says (a commit's tree a tree, a parent a commit, a tag's target what the tag names).
 *    This keeps the store closed under links, so "the object exists" implies "everything it needs
 *    exists and parses as what it is", and a ref can be moved to any stored object without walking
 *    history again.
 * 4. Write the pack index. Publishing (a CAS on the pool's pack sequence) is the caller's job.
 *
 * Per-object state lives in typed-array columns and ids stay raw bytes: no string or small array is
 * allocated per object or per link (measured: string ids and per-object link arrays made a 6 MB push
 * take 4 s and 500 MB).
 */
import type { PackEntry } from "../git/pack-parser.ts";
import { parsePack } from "../git/pack-parser.ts";
import { decodeEntryHeader, decodeOfsDelta } from "../git/pack-format.ts";
import { applyDelta } from "../git/delta.ts";
import { hashObjectBytes } from "../git/object-type.ts";
import { oidToBytes } from "../git/object-id.ts";
import { hexEncode } from "../util/bytes.ts";
import { Column } from "../util/growable.ts";
import { BlobWriter, readBlobBytes } from "../storage/chunked-blob.ts";
import { LimitError, ProtocolError } from "../errors.ts";
import { Pacer } from "../util/pacer.ts";
import { allocatePackIndex, compareId, FLAG_DUPLICATE, type PackIndex } from "./pack-index.ts";
import { LinkBuffer } from "./object-links.ts";
import type { ObjectPool, TypeCode } from "./object-pool.ts";
import { packDataPrefix, packIndexPrefix } from "./keys.ts";
import type { PackRecord } from "./pack-record.ts";

export interface IngestResult {
  /** The record to publish (without its sequence number), or null for an empty pack. */
  readonly record: Omit<PackRecord, "seq"> | null;
  readonly index: PackIndex | null;
  /** Objects in the pack that the pool did not have. */
  readonly newObjects: number;
  /** Ids of link targets that are neither in the pack nor in the pool, or not of the type the link names (the pack must not be published). */
  readonly missing: readonly string[];
}

export interface IngestOptions {
  /**
   * Commits whose parents may be absent: the shallow boundary of a pack fetched with a depth
   * (an import); see src/repo/repo-shallow.ts.
   */
  readonly shallow?: ReadonlySet<string>;
  readonly now?: () => number;
  /**
   * Which stored objects a thin pack's REF_DELTA may use as its base (default: any). In a fork
   * network the pool holds siblings' objects too; a delta against one of them would hand the
   * pusher its content (one guessed byte per ref status), so a push allows only objects its own
   * repository's refs reach — what the client can actually have.
   */
  readonly baseAllowed?: (g: number) => boolean;
}

/** Per-entry columns, in pack order. */
class Entries {
  count = 0;
  readonly offset = new Column(Float64Array);
  readonly packType = new Column(Uint8Array);
  /** Resolved object type; 0 while unresolved. */
  readonly type = new Column(Uint8Array);
  readonly size = new Column(Float64Array);
  /** Delta base as an entry index; -1 when none or not (yet) known. */
  readonly base = new Column(Int32Array);
  readonly ids = new Column(Uint8Array, 20 * 1024);
  readonly linkStart = new Column(Uint32Array);
  readonly linkEnd = new Column(Uint32Array);
  readonly commitTime = new Column(Float64Array);
  /** Length of the delta chain below the entry (0 = whole object), bounded by limits.maxDeltaDepth. */
  readonly depth = new Column(Uint32Array);

  add(i: number): void {
    for (const c of [this.offset, this.packType, this.type, this.size, this.base, this.linkStart, this.linkEnd, this.commitTime, this.depth]) c.ensure(i);
    this.ids.ensure(i * 20, 20);
    this.count = Math.max(this.count, i + 1);
  }

  /** The entry starting at `offset` among the first `limit` entries (offsets increase in pack order). */
  atOffset(offset: number, limit: number): number {
    const offsets = this.offset.data;
    let lo = 0;
    let hi = limit - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = offsets[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/**
 * The delta-base cache of ingest: the most recently resolved objects, first in first out, within a
 * byte budget. Git writes bases shortly before their deltas, so recency is what matters; a Map-based
 * LRU spent 9% of a push's time on bookkeeping.
 */
class RecentObjects {
  readonly #budget: number;
  #slots: (Uint8Array | undefined)[] = [];
  #queue = new Int32Array(1024);
  #head = 0;
  #tail = 0;
  #bytes = 0;

  constructor(budget: number) {
    this.#budget = budget;
  }

  get(i: number): Uint8Array | undefined {
    return this.#slots[i];
  }

  set(i: number, content: Uint8Array): void {
    if (this.#slots[i] !== undefined) return;
    this.#slots[i] = content;
    this.#bytes += content.length;
    if (this.#tail - this.#head === this.#queue.length) {
      const grown = new Int32Array(this.#queue.length * 2);
      for (let k = this.#head; k < this.#tail; k++) grown[k - this.#head] = this.#queue[k % this.#queue.length]!;
      this.#tail -= this.#head;
      this.#head = 0;
      this.#queue = grown;
    }
    this.#queue[this.#tail++ % this.#queue.length] = i;
    while (this.#bytes > this.#budget && this.#head < this.#tail) {
      const old = this.#queue[this.#head++ % this.#queue.length]!;
      this.#bytes -= this.#slots[old]!.length;
      this.#slots[old] = undefined;
    }
  }

  clear(): void {
    this.#slots = [];
    this.#head = this.#tail = this.#bytes = 0;
  }
}

/** Streams `source` (pack bytes) into the pool's storage and indexes it. */
export async function ingestPack(pool: ObjectPool, source: AsyncIterable<Uint8Array>, blobId: string, options: IngestOptions = {}): Promise<IngestResult> {
  const { store, platform, limits } = pool.env;
  const dataPrefix = packDataPrefix(pool.poolId, blobId);
  const writer = new BlobWriter(store, dataPrefix);
  const t = new Entries();
  const links = new LinkBuffer();
  const cache = new RecentObjects(limits.deltaBaseCacheBytes);
  // Huge objects are rarely delta bases and would flush everything else out of the cache (and a
  // push of big blobs would hold the whole budget in them: measured 276 MB peak on a 200 MB push).
  const maxCached = Math.max(64 * 1024, Math.floor(limits.deltaBaseCacheBytes / 16));
  const kept = new Map<number, Uint8Array>(); // delta payloads of deferred entries
  let keptBytes = 0;
  const refBases = new Map<number, Uint8Array>(); // REF_DELTA base ids, by entry
  /** The stored object a REF_DELTA base id names, when the push may use it; -1 otherwise. */
  const storedBase = (id: Uint8Array): number => {
    const g = pool.locate(id);
    return g !== -1 && (options.baseAllowed?.(g) ?? true) ? g : -1;
  };
  const pacer = new Pacer();

  let sinceReclaim = 0;
  let inflated = 0;
  const resolve = (i: number, type: number, content: Uint8Array) => {
    sinceReclaim += content.length;
    inflated += content.length;
    if (inflated > limits.maxInflatedBytes) {
      throw new LimitError("maxInflatedBytes", `Pack inflates to more than the limit maxInflatedBytes of ${limits.maxInflatedBytes} bytes`);
    }
    if (sinceReclaim > 32 * 1024 * 1024 && platform.reclaim) {
      sinceReclaim = 0;
      platform.reclaim();
    }
    const id = hashObjectBytes(platform, type as TypeCode, content);
    const ids = t.ids.data;
    for (let b = 0, at = i * 20; b < 20; b++) ids[at + b] = id[b]!;
    t.type.data[i] = type;
    t.size.data[i] = content.length;
    t.linkStart.data[i] = links.count;
    t.commitTime.data[i] = links.append(type as TypeCode, content);
    t.linkEnd.data[i] = links.count;
    if (content.length <= maxCached) cache.set(i, content);
    const payload = kept.get(i);
    if (payload) {
      keptBytes -= payload.length;
      kept.delete(i);
    }
  };
  const fromBase = (i: number, type: number, base: Uint8Array, delta: Uint8Array) => {
    // Readers follow chains up to maxDeltaDepth; a longer one would be stored but unreadable. A thin
    // delta continues the chain of its stored base.
    const b = t.base.data[i]!;
    const external = b < 0 ? storedBase(refBases.get(i)!) : -1;
    const depth = (b >= 0 ? t.depth.data[b]! : external >= 0 ? pool.deltaDepth(external, limits.maxDeltaDepth) : 0) + 1;
    if (depth > limits.maxDeltaDepth) {
      throw new ProtocolError("ERR_PACK", `Delta chain at pack entry ${i} is longer than ${limits.maxDeltaDepth}`);
    }
    t.depth.data[i] = depth;
    resolve(i, type, applyDelta(base, delta, limits.maxObjectBytes));
  };

  const onEntry = async (entry: PackEntry) => {
    await pacer.pace(entry.data.length);
    const i = entry.index;
    t.add(i);
    t.offset.data[i] = entry.offset;
    t.packType.data[i] = entry.packType;
    t.type.data[i] = 0;
    t.base.data[i] = -1;
    t.depth.data[i] = 0;
    if (entry.packType < 6) return resolve(i, entry.packType, entry.data);
    if (entry.packType === 6) {
      const base = t.atOffset(entry.baseOffset!, i);
      if (base === -1) throw new ProtocolError("ERR_PACK", `Pack entry ${i} at offset ${entry.offset} has a delta base offset that is not an entry`);
      t.base.data[i] = base;
      const content = t.type.data[base] !== 0 ? cache.get(base) : undefined;
      if (content) return fromBase(i, t.type.data[base]!, content, entry.data);
    } else {
      const id = oidToBytes(entry.baseId!);
      refBases.set(i, id);
      const g = storedBase(id);
      if (g !== -1) {
        const object = await pool.read(g); // a thin pack's base, stored already
        return fromBase(i, object.type, object.content, entry.data);
      }
    }
    if (keptBytes + entry.data.length <= limits.deltaBaseCacheBytes) {
      kept.set(i, entry.data);
      keptBytes += entry.data.length;
    }
  };

  const parsed = await parsePack(source, { platform, limits, onEntry, onBytes: (chunk) => writer.write(chunk) });
  const written = await writer.finish();
  const count = parsed.objectCount;
  if (count === 0) return { record: null, index: null, newObjects: 0, missing: [] };

  const readPayload = async (i: number): Promise<{ packType: number; payload: Uint8Array }> => {
    const end = i + 1 < count ? t.offset.data[i + 1]! : parsed.packBytes - 20;
    const raw = await readBlobBytes(store, dataPrefix, written.chunkBytes, t.offset.data[i]!, end);
    return inflateRaw(pool, raw);
  };
  const deltaOf = async (i: number) => kept.get(i) ?? (await readPayload(i)).payload;
  /** Content of resolved entry `i`, from the cache or by replaying its delta chain from storage. */
  const contentOf = async (i: number): Promise<Uint8Array> => {
    const chain: number[] = [];
    let cur = i;
    let content = cache.get(cur);
    while (!content) {
      const { packType, payload } = await readPayload(cur);
      if (packType < 6) {
        content = payload;
        break;
      }
      chain.push(cur);
      if (chain.length > limits.maxDeltaDepth) throw new ProtocolError("ERR_PACK", `Delta chain at pack entry ${i} is longer than ${limits.maxDeltaDepth}`);
      const b = t.base.data[cur]!;
      if (b < 0) {
        // A REF_DELTA against a stored object (thin pack): the chain continues in the pool.
        const g = storedBase(refBases.get(cur)!);
        if (g === -1) throw new ProtocolError("ERR_PACK", `Delta base of pack entry ${cur} is not resolved`);
        content = (await pool.read(g)).content;
        break;
      }
      cur = b;
      content = cache.get(cur);
    }
    for (let k = chain.length - 1; k >= 0; k--) {
      const e = chain[k]!;
      content = applyDelta(content, (await readPayload(e)).payload, limits.maxObjectBytes);
      if (content.length <= maxCached) cache.set(e, content);
    }
    return content;
  };

  let pending: number[] = [];
  for (let i = 0; i < count; i++) if (t.type.data[i] === 0) pending.push(i);
  while (pending.length > 0) {
    const resolvedById = sortedById(t, count, (i) => t.type.data[i] !== 0);
    const next: number[] = [];
    for (const i of pending) {
      await pacer.pace(64 * 1024); // the size is unknown until resolved: a nominal amount per delta
      if (t.base.data[i] === -1) {
        const id = refBases.get(i);
        const local = id ? findById(t.ids.data, resolvedById, id, 0) : -1;
        if (local !== -1) t.base.data[i] = local;
        else if (id && storedBase(id) !== -1) {
          const object = await pool.read(storedBase(id));
          fromBase(i, object.type, object.content, await deltaOf(i));
          continue;
        }
      }
      const b = t.base.data[i]!;
      if (b === -1 || t.type.data[b] === 0) {
        next.push(i);
        continue;
      }
      fromBase(i, t.type.data[b]!, await contentOf(b), await deltaOf(i));
    }
    if (next.length === pending.length) {
      const i = next[0]!;
      const id = refBases.get(i);
      const what = id ? `base object ${hexEncode(id)}` : "its base";
      throw new ProtocolError("ERR_PACK", `Cannot resolve delta at pack entry ${i}: ${what} is neither in the pack nor in the repository`);
    }
    pending = next;
  }
  cache.clear();
  kept.clear();

  const { index, fresh, missing } = buildIndex(pool, t, count, links, refBases, options.shallow ?? new Set());
  const indexWriter = new BlobWriter(store, packIndexPrefix(pool.poolId, blobId));
  await indexWriter.write(index.bytes);
  const indexWritten = await indexWriter.finish();
  return {
    record: {
      blobId,
      objects: count,
      packBytes: parsed.packBytes,
      indexBytes: index.bytes.length,
      chunkBytes: written.chunkBytes,
      indexChunkBytes: indexWritten.chunkBytes,
      createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    },
    index: index.index,
    newObjects: fresh,
    missing,
  };
}

function inflateRaw(pool: ObjectPool, raw: Uint8Array): { packType: number; payload: Uint8Array } {
  const header = decodeEntryHeader(raw, 0)!;
  let at = header.headerLength;
  if (header.packType === 6) at += decodeOfsDelta(raw, at)!.length;
  else if (header.packType === 7) at += 20;
  const result = pool.env.platform.inflate(raw.subarray(at), header.size, Math.max(1, header.size));
  if (!result) throw new ProtocolError("ERR_PACK", "Stored pack entry is truncated");
  return { packType: header.packType, payload: result.data };
}

/**
 * Entry indices by id: open addressing on the first four id bytes (ids are uniformly distributed),
 * full comparison on a hit. O(1) where a binary search costs 16 comparisons of 20 bytes — this runs
 * once per link, and a push has over ten links per object.
 */
class IdTable {
  readonly #ids: Uint8Array;
  readonly #slots: Int32Array;
  readonly #mask: number;

  constructor(ids: Uint8Array, capacity: number) {
    this.#ids = ids;
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#slots = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
  }

  #home(bytes: Uint8Array, at: number): number {
    return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) & this.#mask;
  }

  /** Adds entry `i` unless its id is present; returns the entry already holding the id, or -1. */
  add(i: number): number {
    const ids = this.#ids;
    for (let s = this.#home(ids, i * 20); ; s = (s + 1) & this.#mask) {
      const e = this.#slots[s]!;
      if (e === -1) {
        this.#slots[s] = i;
        return -1;
      }
      if (compareId(ids, e * 20, ids, i * 20) === 0) return e;
    }
  }

  /** The entry whose id is `bytes[at..at+20]`, or -1. */
  find(bytes: Uint8Array, at: number): number {
    const ids = this.#ids;
    for (let s = this.#home(bytes, at); ; s = (s + 1) & this.#mask) {
      const e = this.#slots[s]!;
      if (e === -1) return -1;
      if (compareId(ids, e * 20, bytes, at) === 0) return e;
    }
  }
}

/** Entry indices (those passing `keep`) sorted by id, ties by index. */
function sortedById(t: Entries, count: number, keep: (i: number) => boolean): Uint32Array {
  const ids = t.ids.data;
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (keep(i)) out.push(i);
  out.sort((a, b) => compareId(ids, a * 20, ids, b * 20) || a - b);
  return Uint32Array.from(out);
}

/** Binary search of `id[at..]` among `order` (entry indices sorted by id); the first match or -1. */
function findById(ids: Uint8Array, order: Uint32Array, id: Uint8Array, at: number): number {
  let lo = 0;
  let hi = order.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareId(ids, order[mid]! * 20, id, at);
    if (c === 0) {
      found = order[mid]!;
      hi = mid - 1;
    } else if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return found;
}

function buildIndex(
  pool: ObjectPool,
  t: Entries,
  count: number,
  links: LinkBuffer,
  refBases: ReadonlyMap<number, Uint8Array>,
  shallow: ReadonlySet<string>,
): { index: { index: PackIndex; bytes: Uint8Array }; fresh: number; missing: string[] } {
  const ids = t.ids.data;
  const order = sortedById(t, count, () => true);
  const table = new IdTable(ids, count);
  for (let i = 0; i < count; i++) table.add(i);
  // The first copy (lowest entry) of each id is indexed; later copies and objects the pool already
  // has are duplicates, never returned by lookups.
  const flags = new Uint8Array(count);
  const sorted: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const repeat = k > 0 && compareId(ids, order[k - 1]! * 20, ids, i * 20) === 0;
    if (repeat || pool.locate(ids, i * 20) !== -1) flags[i] = FLAG_DUPLICATE;
    else sorted.push(i);
  }
  // Closure: every link of a new object must be in this pack or already stored, with the type the
  // link names (git's connectivity check refuses a commit whose "tree" is a blob just the same).
  const missing: string[] = [];
  const linkIds = links.ids.data;
  const linkTypes = links.types.data;
  for (let i = 0; i < count && missing.length < 20; i++) {
    if (flags[i] === FLAG_DUPLICATE) continue;
    const isTree = t.type.data[i] === 2;
    const shallowCommit = shallow.size > 0 && t.type.data[i] === 1 && shallow.has(hexEncode(ids, i * 20, 20));
    for (let k = t.linkStart.data[i]!, end = t.linkEnd.data[i]!; k < end; k++) {
      const type = linkTypes[k]!;
      if (type === 1 && (isTree || shallowCommit)) continue; // gitlink, or a parent beyond the shallow boundary
      const local = table.find(linkIds, k * 20);
      const stored = local === -1 ? pool.locate(linkIds, k * 20) : -1;
      const actual = local !== -1 ? t.type.data[local]! : stored !== -1 ? pool.typeOf(stored) : 0;
      if (actual !== type) {
        missing.push(hexEncode(linkIds, k * 20, 20));
        if (missing.length >= 20) break;
      }
    }
  }
  const external = new Map<string, number>();
  for (const [i, id] of refBases) {
    if (t.base.data[i] === -1) {
      const hex = hexEncode(id);
      if (!external.has(hex)) external.set(hex, external.size);
    }
  }
  let linkCount = 0;
  for (let i = 0; i < count; i++) linkCount += t.linkEnd.data[i]! - t.linkStart.data[i]!;
  const built = allocatePackIndex(count, external.size, linkCount, sorted.length);
  const index = built.index;
  index.offset.set(t.offset.data.subarray(0, count));
  index.size.set(t.size.data.subarray(0, count));
  index.commitTime.set(t.commitTime.data.subarray(0, count));
  index.packType.set(t.packType.data.subarray(0, count));
  index.objectType.set(t.type.data.subarray(0, count));
  index.flags.set(flags);
  index.ids.set(ids.subarray(0, count * 20));
  index.sorted.set(sorted);
  // Links were appended in resolution order, which is pack order unless deltas waited for their
  // bases: copy them in one piece when they are already in order.
  let inOrder = true;
  for (let i = 0; i < count && inOrder; i++) if (t.linkStart.data[i] !== (i === 0 ? 0 : t.linkEnd.data[i - 1])) inOrder = false;
  if (inOrder) {
    index.linkIds.set(linkIds.subarray(0, linkCount * 20));
    index.linkType.set(linkTypes.subarray(0, linkCount));
  }
  let at = 0;
  for (let i = 0; i < count; i++) {
    const start = t.linkStart.data[i]!;
    const end = t.linkEnd.data[i]!;
    index.linkStart[i] = at;
    if (!inOrder) {
      index.linkIds.set(linkIds.subarray(start * 20, end * 20), at * 20);
      index.linkType.set(linkTypes.subarray(start, end), at);
    }
    at += end - start;
    const b = t.base.data[i]!;
    index.base[i] = t.packType.data[i]! < 6 ? -1 : b >= 0 ? b : -2 - external.get(hexEncode(refBases.get(i)!))!;
  }
  index.linkStart[count] = at;
  for (const [hex, k] of external) index.externalIds.set(oidToBytes(hex), k * 20);
  return { index: built, fresh: sorted.length, missing };
}
