/**
 * @module repo/object-filter
 * Partial clone filters (Documentation/rev-list-options.txt "--filter=<filter-spec>";
 * technical/partial-clone.txt): `blob:none`, `blob:limit=<n>[kmg]`, `tree:<depth>`,
 * `object:type=<commit|tree|blob|tag>`, and `combine:<a>+<b>` of those. A filter decides which
 * objects reached by the traversal are sent; objects the client names in `want` are always sent.
 */
import { ProtocolError } from "../errors.ts";
import { BLOB, COMMIT, TAG, TREE } from "./commit-graph.ts";

export interface ObjectFilter {
  /** Blobs of this size or more are omitted (0 = every blob). */
  readonly blobLimit?: number;
  /** Trees and blobs at this depth or deeper are omitted (root tree = depth 0). */
  readonly treeDepth?: number;
  /** Only objects of this type (1 commit, 2 tree, 3 blob, 4 tag) are sent. */
  readonly onlyType?: number;
}

const TYPES: Record<string, number> = { commit: COMMIT, tree: TREE, blob: BLOB, tag: TAG };

/** Parses a filter spec; unsupported or malformed specs are a ProtocolError git shows to the user. */
export function parseFilter(spec: string): ObjectFilter {
  const parts = spec.startsWith("combine:") ? spec.slice(8).split("+").map(decodeSub) : [spec];
  let filter: { blobLimit?: number; treeDepth?: number; onlyType?: number } = {};
  for (const part of parts) filter = merge(filter, parseOne(part));
  return filter;
}

function decodeSub(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ProtocolError("ERR_REQUEST", `Invalid filter: cannot decode "${part}"`);
  }
}

function parseOne(spec: string): ObjectFilter {
  if (spec === "blob:none") return { blobLimit: 0 };
  let m = /^blob:limit=(\d+)([kmg]?)$/i.exec(spec);
  if (m) {
    const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
    return { blobLimit: Number(m[1]) * unit };
  }
  m = /^tree:(\d+)$/.exec(spec);
  if (m) return { treeDepth: Number(m[1]) };
  m = /^object:type=(commit|tree|blob|tag)$/.exec(spec);
  if (m) return { onlyType: TYPES[m[1]!]! };
  const name = spec.split(/[:=]/, 1)[0];
  throw new ProtocolError("ERR_REQUEST", `filter '${name}' not supported`);
}

function merge(a: ObjectFilter, b: ObjectFilter): ObjectFilter {
  const out: { blobLimit?: number; treeDepth?: number; onlyType?: number } = { ...a };
  if (b.blobLimit !== undefined) out.blobLimit = Math.min(a.blobLimit ?? Infinity, b.blobLimit);
  if (b.treeDepth !== undefined) out.treeDepth = Math.min(a.treeDepth ?? Infinity, b.treeDepth);
  if (b.onlyType !== undefined) {
    if (a.onlyType !== undefined && a.onlyType !== b.onlyType) out.onlyType = -1; // nothing matches both
    else out.onlyType = b.onlyType;
  }
  return out;
}

/** Whether an object of `type` and `size` reached at tree `depth` (commits/tags: 0) is sent. */
export function filterIncludes(filter: ObjectFilter, type: number, size: number, depth: number): boolean {
  if (filter.onlyType !== undefined && filter.onlyType !== type) return false;
  if (type === BLOB && filter.blobLimit !== undefined && size >= filter.blobLimit) return false;
  if ((type === TREE || type === BLOB) && filter.treeDepth !== undefined && depth >= filter.treeDepth) return false;
  return true;
}

/** Whether the children of a tree at `depth` can contain anything the filter sends. */
export function filterDescends(filter: ObjectFilter, depth: number): boolean {
  return filter.treeDepth === undefined || depth + 1 < filter.treeDepth;
}
