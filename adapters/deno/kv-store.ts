/**
 * @module adapters/deno/kv-store
 * The KvStore over Deno KV (a local SQLite file, or FoundationDB on Deno Deploy). Each of our string
 * keys is the one-part Deno key `[key]`; Deno orders string parts by their UTF-8 bytes, so a range
 * of our keys is a range of Deno keys. Versions are Deno's versionstamps and a commit is one
 * `kv.atomic()` with checks, sets and deletes. Values are stored as Uint8Array (Deno keeps them as
 * raw bytes, not V8-serialized). Needs `--unstable-kv` (deno.json sets `"unstable": ["kv"]`).
 */
import { StorageError } from "../../src/errors.ts";
import { assertCommit, assertGetMany, assertKey, compareKeys, listRange, STRICTEST_LIMITS } from "../../src/storage/storage.ts";
import type { KvCheck, KvEntry, KvLimits, KvListOptions, KvMutation, KvStore } from "../../src/storage/types.ts";

// The slice of the Deno.Kv API this adapter uses, declared here so the file also type-checks under
// the root tsconfig (which has no Deno types); the contract suite checks it against the real thing.
type DenoKey = readonly [string];
interface DenoEntry {
  readonly key: readonly unknown[];
  readonly value: unknown;
  readonly versionstamp: string | null;
}
interface DenoAtomic {
  check(...checks: { key: DenoKey; versionstamp: string | null }[]): DenoAtomic;
  set(key: DenoKey, value: unknown): DenoAtomic;
  delete(key: DenoKey): DenoAtomic;
  commit(): Promise<{ readonly ok: boolean }>;
}
type DenoSelector = { start: DenoKey; end: DenoKey } | { prefix: readonly []; start: DenoKey };
/** The part of `Deno.Kv` the store needs. */
export interface DenoKv {
  get(key: DenoKey): Promise<DenoEntry>;
  getMany(keys: readonly DenoKey[]): Promise<DenoEntry[]>;
  list(selector: DenoSelector, options: { limit?: number; reverse?: boolean; batchSize?: number }): AsyncIterable<DenoEntry>;
  atomic(): DenoAtomic;
  close(): void;
}

/** How long a call retries while another handle on the same file holds the write lock. */
const LOCKED_RETRY_MS = 10_000;

/**
 * Runs `fn`, retrying with jittered backoff while SQLite reports "database is locked". Local Deno KV
 * gives each handle its own connection without a busy timeout, so two handles (or processes) on one
 * file fail instead of waiting; the failure happens at BEGIN IMMEDIATE, before anything is written,
 * so a retry is safe. Deno Deploy never reports it.
 */
async function retryLocked<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCKED_RETRY_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      return await fn();
    } catch (error) {
      if (!String(error).includes("database is locked")) throw error;
      if (Date.now() > deadline) {
        throw new StorageError("ERR_STORAGE", `Cannot ${what}: Deno KV stayed locked for ${LOCKED_RETRY_MS} ms`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * delay));
    }
  }
}

/** Deno reads at most 1,000 entries per list round trip; 64 KiB values make 100 a 6.4 MB page. */
const BATCH_SIZE = 100;

function toEntry(entry: DenoEntry): KvEntry | null {
  if (entry.versionstamp === null) return null;
  return { key: entry.key[0] as string, value: entry.value as Uint8Array, version: entry.versionstamp };
}

/**
 * Wraps an open Deno.Kv as a KvStore; `close()` closes it.
 * @example const store = wrapDenoKv(await Deno.openKv(":memory:"));
 */
export function wrapDenoKv(kv: DenoKv, limits: KvLimits = STRICTEST_LIMITS): KvStore {
  async function* list(options: KvListOptions): AsyncGenerator<KvEntry> {
    const { lo, hi } = listRange(options);
    // Deno throws for start > end and for limit 0; both mean "nothing" here.
    if ((hi !== null && compareKeys(lo, hi) >= 0) || options.limit === 0) return;
    // With no upper bound (empty prefix, no end) select everything from `lo` under the empty prefix.
    const selector: DenoSelector = hi === null ? { prefix: [], start: [lo] } : { start: [lo], end: [hi] };
    const batchSize = Math.min(options.limit ?? BATCH_SIZE, BATCH_SIZE);
    const entries = kv.list(selector, { limit: options.limit, reverse: options.reverse, batchSize });
    for await (const entry of entries) yield toEntry(entry)!;
  }

  return {
    limits,
    async get(key: string) {
      assertKey(limits, key);
      return toEntry(await retryLocked("read from Deno KV", () => kv.get([key])));
    },
    async getMany(keys: readonly string[]) {
      assertGetMany(limits, keys);
      if (keys.length === 0) return [];
      const entries = await retryLocked("read from Deno KV", () => kv.getMany(keys.map((key): DenoKey => [key])));
      return entries.map(toEntry);
    },
    list,
    async commit(checks: readonly KvCheck[], mutations: readonly KvMutation[]) {
      assertCommit(limits, checks, mutations);
      const attempt = async () => {
        const op = kv.atomic();
        for (const check of checks) op.check({ key: [check.key], versionstamp: check.version });
        for (const m of mutations) {
          if (m.type === "set") op.set([m.key], m.value);
          else op.delete([m.key]);
        }
        return (await op.commit()).ok;
      };
      return retryLocked("commit to Deno KV", attempt);
    },
    async close() {
      kv.close();
    },
  };
}

/**
 * Opens Deno KV at `path` (a file, ":memory:", or nothing for the default / Deno Deploy database).
 * @example const store = await openDenoKvStore(".reposit/kv.sqlite");
 */
export async function openDenoKvStore(path?: string): Promise<KvStore> {
  const deno = (globalThis as { Deno?: { openKv?(path?: string): Promise<DenoKv> } }).Deno;
  if (typeof deno?.openKv !== "function") {
    throw new TypeError("Cannot open Deno KV: Deno.openKv is missing (run under Deno with --unstable-kv)");
  }
  return wrapDenoKv(await deno.openKv(path));
}
