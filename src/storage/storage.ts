/**
 * @module storage/storage
 * The core helpers every caller of a KvStore uses, written once over the interface in
 * storage/types.ts: key order and ranges (UTF-8 byte order), the limit accounting every adapter
 * applies to its own commits, and batching that keeps callers inside `limits` (split getMany, split
 * non-atomic bulk writes, delete a prefix in rounds).
 *
 * Commit sizes are counted the way Deno KV counts them, because it is the strictest backend
 * (denoland/deno ext/kv `op_kv_atomic_write`): a key costs its UTF-8 length plus 2 bytes (the tuple
 * encoding of one string part); every check and mutation pays for its key, and every set pays again
 * for its key plus its value. Deno also caps the keys of set mutations at 80 KiB per commit, a tenth
 * of its 800 KiB total; KvLimits has no field for that, so it is enforced as `maxCommitBytes / 10`.
 */
import { StorageError } from "../errors.ts";
import type { KvCheck, KvEntry, KvLimits, KvListOptions, KvMutation, KvStore } from "./types.ts";
import { utf8ByteLength } from "../util/bytes.ts";

/**
 * Deno KV's limits, the strictest real backend (denoland/deno ext/kv). maxKeyBytes is 2046, not
 * 2048, because Deno measures the encoded key and a one-part string key adds 2 bytes.
 * @example createMemoryStore({ limits: STRICTEST_LIMITS })
 */
export const STRICTEST_LIMITS: KvLimits = Object.freeze({
  maxValueBytes: 65_536,
  maxKeyBytes: 2_046,
  maxChecks: 10,
  maxMutations: 1_000,
  maxCommitBytes: 819_200,
  maxGetMany: 10,
});

/** Bytes a key costs in a commit on top of its UTF-8 length (Deno's one-part tuple encoding). */
const KEY_OVERHEAD = 2;

/** How many batches the splitting helpers keep in flight: enough to hide a network round trip. */
const CONCURRENCY = 4;

/** UTF-8 length of a key without encoding it (the one implementation lives in util/bytes.ts). */
export const utf8Length: (s: string) => number = utf8ByteLength;

/**
 * Compares keys by their UTF-8 bytes (= code point order). Plain `<` compares UTF-16 units, which
 * puts astral characters (surrogates 0xD800-0xDFFF) before U+E000-U+FFFF; this fixes that case.
 * @example compareKeys("a\u{FFFF}", "a\u{10000}") < 0
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000-U+FFFF so unit order matches code point order. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * The smallest key greater than every key that starts with `prefix`, or null when there is none
 * (empty prefix): the last code point incremented, trailing U+10FFFF dropped.
 * @example prefixEnd("refs/") === "refs0"
 */
export function prefixEnd(prefix: string): string | null {
  let end = prefix.length;
  while (end > 0) {
    const last = prefix.charCodeAt(end - 1);
    const width = end >= 2 && isLowSurrogate(last) && isHighSurrogate(prefix.charCodeAt(end - 2)) ? 2 : 1;
    const cp = width === 2 ? prefix.codePointAt(end - 2)! : last;
    if (cp < 0x10ffff) {
      const next = cp === 0xd7ff ? 0xe000 : cp + 1;
      return prefix.slice(0, end - width) + String.fromCodePoint(next);
    }
    end -= width;
  }
  return null;
}

function isLowSurrogate(unit: number): boolean {
  return (unit & 0xfc00) === 0xdc00;
}

function isHighSurrogate(unit: number): boolean {
  return (unit & 0xfc00) === 0xd800;
}

/** A list range as bounds: keys in [lo, hi), hi null when unbounded. */
export interface KeyRange {
  readonly lo: string;
  readonly hi: string | null;
}

/**
 * The bounds of `list(options)`; throws when start or end lies outside the prefix.
 * @example listRange({ prefix: "a/", end: "a/m" }) // { lo: "a/", hi: "a/m" }
 */
export function listRange(options: KvListOptions): KeyRange {
  const { prefix, start, end } = options;
  if (start !== undefined && !start.startsWith(prefix)) {
    throw new RangeError(`Cannot list keys: start "${start}" does not begin with prefix "${prefix}"`);
  }
  if (end !== undefined && !end.startsWith(prefix)) {
    throw new RangeError(`Cannot list keys: end "${end}" does not begin with prefix "${prefix}"`);
  }
  return { lo: start ?? prefix, hi: end ?? prefixEnd(prefix) };
}

/**
 * Throws a RangeError when `key` is longer than `limits.maxKeyBytes`; returns its UTF-8 length.
 * @example assertKey(store.limits, "refs/heads/main")
 */
export function assertKey(limits: KvLimits, key: string): number {
  // Keys are built from validated names; a NUL would be cut short by some SQLite bindings (Deno's
  // node:sqlite reads TEXT up to the first NUL), so it is refused everywhere.
  if (key.includes("\0")) throw new RangeError(`Key "${key.slice(0, 64).replace(/\0/g, "\\0")}" contains a NUL character`);
  const bytes = utf8Length(key);
  if (bytes > limits.maxKeyBytes) {
    throw new RangeError(`Key "${key.slice(0, 64)}…" has ${bytes} bytes: expected at most maxKeyBytes ${limits.maxKeyBytes}`);
  }
  return bytes;
}

/** What one mutation adds to a commit's size: [total bytes, bytes of set keys]. */
function mutationCost(limits: KvLimits, m: KvMutation): [number, number] {
  const key = assertKey(limits, m.key) + KEY_OVERHEAD;
  if (m.type === "delete") return [key, 0];
  if (m.value.byteLength > limits.maxValueBytes) {
    throw new RangeError(
      `Value of "${m.key}" has ${m.value.byteLength} bytes: expected at most maxValueBytes ${limits.maxValueBytes}`,
    );
  }
  return [2 * key + m.value.byteLength, key];
}

/**
 * Throws a RangeError naming the limit when a commit does not fit `limits` (a programming error).
 * @example assertCommit(store.limits, [{ key: "k", version: null }], [{ type: "set", key: "k", value }])
 */
export function assertCommit(limits: KvLimits, checks: readonly KvCheck[], mutations: readonly KvMutation[]): void {
  if (checks.length > limits.maxChecks) {
    throw new RangeError(`Cannot commit ${checks.length} checks: expected at most maxChecks ${limits.maxChecks}`);
  }
  if (mutations.length > limits.maxMutations) {
    throw new RangeError(
      `Cannot commit ${mutations.length} mutations: expected at most maxMutations ${limits.maxMutations}`,
    );
  }
  let bytes = 0;
  let setKeyBytes = 0;
  for (const check of checks) bytes += assertKey(limits, check.key) + KEY_OVERHEAD;
  for (const m of mutations) {
    const [total, keys] = mutationCost(limits, m);
    bytes += total;
    setKeyBytes += keys;
  }
  if (bytes > limits.maxCommitBytes) {
    throw new RangeError(`Cannot commit ${bytes} bytes: expected at most maxCommitBytes ${limits.maxCommitBytes}`);
  }
  if (setKeyBytes > limits.maxCommitBytes / 10) {
    throw new RangeError(
      `Cannot commit ${setKeyBytes} bytes of set keys: expected at most maxCommitBytes / 10 (${limits.maxCommitBytes / 10})`,
    );
  }
}

/**
 * Throws a RangeError when a getMany call asks for more than `limits.maxGetMany` keys.
 * @example assertGetMany(store.limits, keys)
 */
export function assertGetMany(limits: KvLimits, keys: readonly string[]): void {
  if (keys.length > limits.maxGetMany) {
    throw new RangeError(`Cannot get ${keys.length} keys at once: expected at most maxGetMany ${limits.maxGetMany}`);
  }
  for (const key of keys) assertKey(limits, key);
}

/**
 * Checks the batch against the store's limits with a clear error, then commits it atomically.
 * @example if (!(await commitChecked(store, [{ key, version }], [{ type: "set", key, value }]))) retry();
 */
export function commitChecked(store: KvStore, checks: readonly KvCheck[], mutations: readonly KvMutation[]): Promise<boolean> {
  assertCommit(store.limits, checks, mutations);
  return store.commit(checks, mutations);
}

/** Runs `tasks` with at most CONCURRENCY in flight; rejects with the first failure. */
async function runLimited(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

/**
 * getMany for any number of keys: split by `maxGetMany`, a few batches at once, results in key order.
 * @example const [a, b] = await getManyAll(store, ["a", "b"]);
 */
export async function getManyAll(store: KvStore, keys: readonly string[]): Promise<(KvEntry | null)[]> {
  const size = store.limits.maxGetMany;
  const out = new Array<KvEntry | null>(keys.length);
  await runLimited(Math.ceil(keys.length / size), async (batch) => {
    const offset = batch * size;
    const entries = await store.getMany(keys.slice(offset, offset + size));
    for (let i = 0; i < entries.length; i++) out[offset + i] = entries[i]!;
  });
  return out;
}

/**
 * Splits `mutations` into commits that each fit the limits, in order. Greedy: a batch closes when
 * the next mutation would exceed maxMutations, maxCommitBytes or the set-key budget.
 * @example for (const batch of splitMutations(store.limits, mutations)) await store.commit([], batch);
 */
export function splitMutations(limits: KvLimits, mutations: readonly KvMutation[]): KvMutation[][] {
  const batches: KvMutation[][] = [];
  let batch: KvMutation[] = [];
  let bytes = 0;
  let setKeyBytes = 0;
  for (const m of mutations) {
    const [total, keys] = mutationCost(limits, m);
    const full =
      batch.length === limits.maxMutations ||
      bytes + total > limits.maxCommitBytes ||
      setKeyBytes + keys > limits.maxCommitBytes / 10;
    if (full && batch.length > 0) {
      batches.push(batch);
      batch = [];
      bytes = 0;
      setKeyBytes = 0;
    }
    batch.push(m);
    bytes += total;
    setKeyBytes += keys;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * A non-atomic bulk write of any size: split into commits within the limits, a few in flight at once.
 * Only for data nobody can see until a later atomic commit publishes it (chunks, pack indexes);
 * a failure can leave any subset written. If a key repeats, which write wins is unspecified.
 * @example await writeUnordered(store, chunks.map((value, i) => ({ type: "set", key: `p/${i}`, value })));
 */
export async function writeUnordered(store: KvStore, mutations: readonly KvMutation[]): Promise<void> {
  const batches = splitMutations(store.limits, mutations);
  await runLimited(batches.length, async (i) => {
    if (!(await store.commit([], batches[i]!))) {
      throw new StorageError("ERR_STORAGE", `Cannot write ${batches[i]!.length} mutations: a commit without checks failed`);
    }
  });
}

/**
 * Collects a whole list into an array (for small ranges: refs, indexes).
 * @example const refs = await listAll(store, { prefix: "refs/" });
 */
export async function listAll(store: KvStore, options: KvListOptions): Promise<KvEntry[]> {
  const out: KvEntry[] = [];
  for await (const entry of store.list(options)) out.push(entry);
  return out;
}

/**
 * Deletes every key under `prefix`, non-atomically, one commit-sized round at a time; returns how
 * many keys it deleted. Each round lists from the start again, so deleting never races a cursor.
 * @example await deletePrefix(store, "blobs/pack-1/");
 */
export async function deletePrefix(store: KvStore, prefix: string): Promise<number> {
  const round = store.limits.maxMutations;
  let deleted = 0;
  for (;;) {
    const batch: KvMutation[] = [];
    for await (const entry of store.list({ prefix, limit: round })) batch.push({ type: "delete", key: entry.key });
    if (batch.length === 0) return deleted;
    await writeUnordered(store, batch);
    deleted += batch.length;
  }
}
