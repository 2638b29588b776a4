/**
 * @module repo/ingest
 * Turns a pack arriving on a push into a stored, indexed, not-yet-published pack — the job of git's
 * index-pack (gitformat-pack; Documentation/git-index-pack.txt) — with memory bounded by the largest
 * object and the delta-base cache, never by pack size:
 *
 * 1. Stream: every raw byte goes to a chunked blob as it arrives; each entry is inflated once.
 *    Whole objects are hashed immediately; deltas whose base is in the cache (the usual case: git
 *    writes bases before their OFS deltas) are resolved immediately too.
 * 2. Resolve the rest: deltas whose base was evicted, came later (REF_DELTA), or lives in the store
 *    (thin packs) are resolved in rounds, re-reading evicted payloads from the stored blob.
 * 3. Check closure: every link of every new object (commit → tree and parents, tree → children,
 *    tag → target; gitlinks excepted) must be in this pack or already stored. This keeps the store
 *    closed under links, so "the object exists" implies "everything it needs exists", and a ref can
 *    be moved to any stored object without walking history again.
 * 4. Write the pack index. Publishing (a CAS on the pool's pack sequence) is the caller's job.
 */
import type { PackEntry } from "../git/pack-parser.ts";
import { parsePack } from "../git/pack-parser.ts";
import { decodeEntryHeader, decodeOfsDelta } from "../git/pack-format.ts";
import { applyDelta } from "../git/delta.ts";
import { hashObjectBytes } from "../git/object-type.ts";
import { oidToBytes } from "../git/object-id.ts";
import { hexEncode } from "../util/bytes.ts";
import { BlobWriter, readBlobBytes } from "../storage/chunked-blob.ts";
import { ProtocolError } from "../errors.ts";
import { ByteLru } from "../util/lru.ts";
import { allocatePackIndex, FLAG_DUPLICATE, sortIndex, type PackIndex } from "./pack-index.ts";
import { extractLinks, type Links } from "./object-links.ts";
import type { ObjectPool, TypeCode } from "./object-pool.ts";
import { packDataPrefix, packIndexPrefix } from "./keys.ts";
import type { PackRecord } from "./pack-record.ts";

export interface IngestResult {
  /** The record to publish (without its sequence number), or null for an empty pack. */
  readonly record: Omit<PackRecord, "seq"> | null;
  readonly index: PackIndex | null;
  /** Objects in the pack that the pool did not have. */
  readonly newObjects: number;
  /** Ids of link targets that are neither in the pack nor in the pool (the pack must not be published). */
  readonly missing: readonly string[];
}

interface Pending {
  offset: number[];
  packType: number[];
  base: number[]; // in-pack entry index, -1 none/unknown
  baseId: (string | undefined)[]; // REF_DELTA base id
  type: number[]; // resolved type, 0 = unresolved
  size: number[];
  ids: Uint8Array[];
  links: (Links | undefined)[];
  payload: (Uint8Array | undefined)[]; // kept delta payloads of unresolved entries
}

export interface IngestOptions {
  /**
   * Commits whose parents may be absent: the shallow boundary of a pack fetched with a depth
   * (an import); see src/repo/repo-shallow.ts.
   */
  readonly shallow?: ReadonlySet<string>;
  readonly now?: () => number;
}

/** Streams `source` (pack bytes) into the pool's storage and indexes it. */
export async function ingestPack(pool: ObjectPool, source: AsyncIterable<Uint8Array>, blobId: string, options: IngestOptions = {}): Promise<IngestResult> {
  const now = options.now ?? (() => Date.now());
  const { store, platform, limits } = pool.env;
  const dataPrefix = packDataPrefix(pool.poolId, blobId);
  const writer = new BlobWriter(store, dataPrefix);
  const st: Pending = { offset: [], packType: [], base: [], baseId: [], type: [], size: [], ids: [], links: [], payload: [] };
  const byOffset = new Map<number, number>();
  const byId = new Map<string, number>();
  const cache = new ByteLru<number, Uint8Array>(limits.deltaBaseCacheBytes);
  let keptPayloadBytes = 0;
  const payloadBudget = limits.deltaBaseCacheBytes;

  const resolved = (i: number, type: number, content: Uint8Array) => {
    const id = hashObjectBytes(platform, type as TypeCode, content);
    st.type[i] = type;
    st.size[i] = content.length;
    st.ids[i] = id;
    st.links[i] = extractLinks(type as TypeCode, content);
    const hex = hexEncode(id);
    if (!byId.has(hex)) byId.set(hex, i);
    cache.set(i, content, content.length);
    const kept = st.payload[i];
    if (kept) {
      keptPayloadBytes -= kept.length;
      st.payload[i] = undefined;
    }
  };

  const onEntry = async (entry: PackEntry) => {
    const i = entry.index;
    byOffset.set(entry.offset, i);
    st.offset[i] = entry.offset;
    st.packType[i] = entry.packType;
    st.type[i] = 0;
    st.base[i] = -1;
    if (entry.packType < 6) {
      resolved(i, entry.packType, entry.data);
      return;
    }
    let base = -1;
    let baseContent: Uint8Array | undefined;
    if (entry.packType === 6) {
      base = byOffset.get(entry.baseOffset!) ?? -1;
      if (base === -1) throw new ProtocolError("ERR_PACK", `Pack entry ${i} at offset ${entry.offset} has a delta base offset that is not an entry`);
      st.base[i] = base;
      if (st.type[base] !== 0) baseContent = cache.get(base);
    } else {
      st.baseId[i] = entry.baseId!;
      const local = byId.get(entry.baseId!);
      if (local !== undefined) {
        st.base[i] = base = local;
        baseContent = cache.get(local);
      } else {
        const g = pool.locateId(entry.baseId!);
        if (g !== -1) {
          const object = await pool.read(g);
          st.type[i] = 0;
          resolvedFromBase(i, object.type, object.content, entry.data);
          return;
        }
      }
    }
    if (baseContent !== undefined && base !== -1) {
      resolvedFromBase(i, st.type[base]!, baseContent, entry.data);
      return;
    }
    if (keptPayloadBytes + entry.data.length <= payloadBudget) {
      st.payload[i] = entry.data;
      keptPayloadBytes += entry.data.length;
    }
  };

  const resolvedFromBase = (i: number, type: number, base: Uint8Array, delta: Uint8Array) => {
    resolved(i, type, applyDelta(base, delta, limits.maxObjectBytes));
  };

  const parsed = await parsePack(source, {
    platform,
    limits,
    onEntry,
    onBytes: (chunk) => writer.write(chunk),
  });
  const written = await writer.finish();
  const count = parsed.objectCount;
  if (count === 0) return { record: null, index: null, newObjects: 0, missing: [] };

  // Round-based resolution of what streaming could not resolve.
  const readEntry = async (i: number): Promise<{ packType: number; payload: Uint8Array }> => {
    const end = i + 1 < count ? st.offset[i + 1]! : parsed.packBytes - 20;
    const raw = await readBlobBytes(store, dataPrefix, written.chunkBytes, st.offset[i]!, end);
    return inflateRaw(pool, raw);
  };
  const contentOf = async (i: number): Promise<Uint8Array> => {
    const hit = cache.get(i);
    if (hit) return hit;
    const chain: number[] = [];
    let cur = i;
    let content: Uint8Array | undefined;
    for (;;) {
      content = cache.get(cur);
      if (content) break;
      const { packType, payload } = await readEntry(cur);
      if (packType < 6) {
        content = payload;
        break;
      }
      chain.push(cur);
      if (chain.length > limits.maxDeltaDepth) throw new ProtocolError("ERR_PACK", `Delta chain at pack entry ${i} is longer than ${limits.maxDeltaDepth}`);
      if (st.base[cur]! < 0) throw new ProtocolError("ERR_PACK", `Delta base of pack entry ${cur} is not resolved`);
      cur = st.base[cur]!;
    }
    for (let k = chain.length - 1; k >= 0; k--) {
      const e = chain[k]!;
      const delta = st.payload[e] ?? (await readEntry(e)).payload;
      content = applyDelta(content, delta, limits.maxObjectBytes);
      cache.set(e, content, content.length);
    }
    return content;
  };

  let unresolved: number[] = [];
  for (let i = 0; i < count; i++) if (st.type[i] === 0) unresolved.push(i);
  while (unresolved.length > 0) {
    const next: number[] = [];
    for (const i of unresolved) {
      if (st.base[i] === -1 && st.baseId[i] !== undefined) {
        const local = byId.get(st.baseId[i]!);
        if (local !== undefined) st.base[i] = local;
        else {
          const g = pool.locateId(st.baseId[i]!);
          if (g !== -1) {
            const object = await pool.read(g);
            const delta = st.payload[i] ?? (await readEntry(i)).payload;
            resolvedFromBase(i, object.type, object.content, delta);
            continue;
          }
        }
      }
      const b = st.base[i]!;
      if (b === -1 || st.type[b] === 0) {
        next.push(i);
        continue;
      }
      const delta = st.payload[i] ?? (await readEntry(i)).payload;
      resolvedFromBase(i, st.type[b]!, await contentOf(b), delta);
    }
    if (next.length === unresolved.length) {
      const i = next[0]!;
      const what = st.baseId[i] ? `base object ${st.baseId[i]}` : "its base";
      throw new ProtocolError("ERR_PACK", `Cannot resolve delta at pack entry ${i}: ${what} is neither in the pack nor in the repository`);
    }
    unresolved = next;
  }

  return buildIndex(pool, st, count, parsed.packBytes, written, blobId, now, options.shallow ?? new Set());
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

async function buildIndex(
  pool: ObjectPool,
  st: Pending,
  count: number,
  packBytes: number,
  written: { chunkBytes: number },
  blobId: string,
  now: () => number,
  shallow: ReadonlySet<string>,
): Promise<IngestResult> {
  const flags = new Uint8Array(count);
  const seen = new Set<string>();
  let fresh = 0;
  for (let i = 0; i < count; i++) {
    const hex = hexEncode(st.ids[i]!);
    if (seen.has(hex) || pool.locate(st.ids[i]!) !== -1) flags[i] = FLAG_DUPLICATE;
    else {
      seen.add(hex);
      fresh++;
    }
  }
  // Closure: every link of a new object must be in this pack or already stored.
  const missing: string[] = [];
  const external = new Map<string, number>();
  let linkCount = 0;
  for (let i = 0; i < count; i++) {
    const links = st.links[i];
    if (!links) continue;
    linkCount += links.types.length;
    if (flags[i] === FLAG_DUPLICATE) continue;
    const shallowCommit = st.type[i] === 1 && shallow.size > 0 && shallow.has(hexEncode(st.ids[i]!));
    for (let k = 0; k < links.types.length; k++) {
      if (links.types[k] === 1 && st.type[i] === 2) continue; // gitlink: a commit of another repository
      if (shallowCommit && links.types[k] === 1) continue; // parent beyond the shallow boundary
      const hex = hexEncode(links.ids, k * 20, 20);
      if (!seen.has(hex) && pool.locate(links.ids, k * 20) === -1) missing.push(hex);
    }
  }
  for (let i = 0; i < count; i++) {
    if (st.packType[i] === 7 && st.base[i] === -1) {
      const id = st.baseId[i]!;
      if (!external.has(id)) external.set(id, external.size);
    }
  }
  const { index, bytes } = allocatePackIndex(count, external.size, linkCount, fresh);
  let link = 0;
  for (let i = 0; i < count; i++) {
    index.offset[i] = st.offset[i]!;
    index.size[i] = st.size[i]!;
    index.packType[i] = st.packType[i]!;
    index.objectType[i] = st.type[i]!;
    index.flags[i] = flags[i]!;
    index.ids.set(st.ids[i]!, i * 20);
    index.base[i] = st.packType[i]! < 6 ? -1 : st.base[i]! >= 0 ? st.base[i]! : -2 - external.get(st.baseId[i]!)!;
    index.linkStart[i] = link;
    const links = st.links[i];
    if (links) {
      index.linkIds.set(links.ids, link * 20);
      index.linkType.set(links.types, link);
      link += links.types.length;
      index.commitTime[i] = links.commitTime;
    }
  }
  index.linkStart[count] = link;
  for (const [id, k] of external) index.externalIds.set(oidToBytes(id), k * 20);
  sortIndex(index);

  const indexWriter = new BlobWriter(pool.env.store, packIndexPrefix(pool.poolId, blobId));
  await indexWriter.write(bytes);
  const indexWritten = await indexWriter.finish();
  return {
    record: {
      blobId,
      objects: count,
      packBytes,
      indexBytes: bytes.length,
      chunkBytes: written.chunkBytes,
      indexChunkBytes: indexWritten.chunkBytes,
      createdAt: new Date(now()).toISOString(),
    },
    index,
    newObjects: fresh,
    missing: missing.slice(0, 20),
  };
}

