/**
 * @module repo/pack-send
 * Writes the pack a fetch receives by splicing stored entries (pack reuse, as git's pack-objects
 * does with `--reuse-delta`): a stored whole object is copied byte for byte; a stored delta is
 * copied with a new header when its base is also sent (OFS_DELTA when the client allows ofs-delta
 * and the base comes first, else REF_DELTA) or, with thin-pack, when the client already has the
 * base; otherwise the object is resolved and written whole. A caller may also name new delta bases
 * (a repack, from repo/delta-search): those objects are deltified afresh. Stored packs are read in
 * large sequential ranges and never held whole in memory.
 */
import type { ObjectPool } from "./object-pool.ts";
import { STATE_HAS } from "./object-walk.ts";
import { decodeEntryHeader, decodeOfsDelta } from "../git/pack-format.ts";
import { PackWriter } from "../git/pack-writer.ts";
import { createDelta } from "../git/delta.ts";
import { readBlobRange } from "../storage/chunked-blob.ts";
import { ByteQueue } from "../util/bytes.ts";

export interface SendPackOptions {
  readonly pool: ObjectPool;
  /** Objects to send, ascending global numbers. */
  readonly objects: Int32Array;
  /** Walk state: STATE_HAS marks objects the client has (thin-pack bases). */
  readonly state: Uint8Array;
  readonly thin: boolean;
  readonly ofsDelta: boolean;
  /** Per object of `objects`: the global number of a base (also sent) to deltify it against afresh, or -1. */
  readonly newBase?: Int32Array;
  /** Receives the pack bytes in order; awaited (back-pressure). */
  readonly emit: (chunk: Uint8Array) => void | Promise<void>;
}

export interface SendPackStats {
  readonly objects: number;
  readonly reused: number;
  readonly reusedDeltas: number;
  readonly resolved: number;
  readonly newDeltas: number;
}

/** Largest gap between two wanted entries that is read through rather than skipped by a new range read. */
const MAX_GAP = 256 * 1024;
const EMPTY = new Uint8Array(0);

type Plan = 0 | 1 | 2 | 3 | 4; // raw, delta against a sent base, thin delta against a client base, resolve, new delta

export async function sendPack(options: SendPackOptions): Promise<SendPackStats> {
  const { pool, objects, state } = options;
  const position = new Int32Array(pool.total).fill(-1);
  for (let i = 0; i < objects.length; i++) position[objects[i]!] = i;
  const plan = new Uint8Array(objects.length);
  const base = new Int32Array(objects.length).fill(-1);
  for (let i = 0; i < objects.length; i++) {
    if (options.newBase && options.newBase[i] !== -1) {
      plan[i] = 4;
      continue;
    }
    const rep = pool.representation(objects[i]!);
    if (rep.packType < 6) continue;
    base[i] = rep.base;
    if (position[rep.base] !== -1) plan[i] = 1;
    else if (options.thin && state[rep.base] === STATE_HAS) plan[i] = 2;
    else plan[i] = 3;
  }

  const writer = new PackWriter(pool.env.platform, objects.length, options.emit);
  const outOffset = new Float64Array(objects.length);
  let reused = 0;
  let reusedDeltas = 0;
  let resolved = 0;
  let newDeltas = 0;

  const writeEntry = async (i: number, raw: Uint8Array) => {
    const g = objects[i]!;
    outOffset[i] = writer.offset;
    const p = plan[i]!;
    if (p === 0) {
      await writer.writeRaw(raw, EMPTY);
      reused++;
      return;
    }
    if (p === 3) {
      const object = await pool.read(g);
      await writer.writeWhole(object.type, object.content);
      resolved++;
      return;
    }
    if (p === 4) {
      const b = options.newBase![i]!;
      const delta = createDelta((await pool.read(b)).content, (await pool.read(g)).content);
      await writeDelta(i, b, delta.length, pool.env.platform.deflate(delta));
      newDeltas++;
      return;
    }
    const header = decodeEntryHeader(raw, 0)!;
    let at = header.headerLength;
    if (header.packType === 6) at += decodeOfsDelta(raw, at)!.length;
    else at += 20;
    await writeDelta(i, base[i]!, header.size, raw.subarray(at));
    reusedDeltas++;
  };

  // OFS_DELTA when the client allows it and the base went out earlier; else REF_DELTA.
  const writeDelta = async (i: number, b: number, size: number, compressed: Uint8Array) => {
    const bi = position[b]!;
    if (options.ofsDelta && bi !== -1 && bi < i) {
      await writer.writeOfsDelta(size, writer.offset - outOffset[bi]!, compressed);
    } else {
      await writer.writeRefDelta(size, pool.idOf(b), compressed);
    }
  };

  // Walk packs in order, reading each run of wanted entries as one sequential range.
  let i = 0;
  while (i < objects.length) {
    const p = pool.packOf(objects[i]!);
    const pack = pool.packs[p]!;
    const runStart = i;
    let [rangeStart, rangeEnd] = pool.entryRange(p, objects[i]! - pool.starts[p]!);
    let j = i + 1;
    while (j < objects.length && objects[j]! < pool.starts[p + 1]!) {
      const [s, e] = pool.entryRange(p, objects[j]! - pool.starts[p]!);
      if (s - rangeEnd > MAX_GAP) break;
      rangeEnd = e;
      j++;
    }
    const queue = new ByteQueue();
    let cursor = rangeStart;
    let k = runStart;
    const drain = async () => {
      while (k < j) {
        const [s, e] = pool.entryRange(p, objects[k]! - pool.starts[p]!);
        if (cursor + queue.length < e) return;
        if (s > cursor) {
          queue.skip(s - cursor);
          cursor = s;
        }
        const raw = queue.take(e - s);
        cursor = e;
        await writeEntry(k, raw);
        k++;
      }
    };
    for await (const chunk of readBlobRange(pool.env.store, pack.dataPrefix, pack.record.chunkBytes, rangeStart, rangeEnd)) {
      queue.push(chunk);
      await drain();
    }
    await drain();
    i = j;
  }
  await writer.finish();
  return { objects: objects.length, reused, reusedDeltas, resolved, newDeltas };
}
