/**
 * @module storage/memory
 * The in-memory reference KvStore: a sorted key array (binary search, UTF-8 byte order via
 * compareKeys) plus a Map of entries, versions from a counter. Values are copied on write and on read,
 * so no caller can reach stored state. Its default limits are the strictest backend's (Deno KV), so
 * tests that run on memory catch code that would break on a real adapter.
 */
import { StorageError } from "../errors.ts";
import { assertCommit, assertGetMany, assertKey, compareKeys, listRange, STRICTEST_LIMITS } from "./storage.ts";
import type { KvCheck, KvEntry, KvLimits, KvListOptions, KvMutation, KvStore } from "./types.ts";

/** Options of createMemoryStore. */
export interface MemoryStoreOptions {
  /** Overrides of the default (Deno KV) limits. */
  readonly limits?: Partial<KvLimits>;
}

interface Stored {
  readonly value: Uint8Array;
  readonly version: string;
}

/** Index of the first key in `keys` that is >= `key` (keys sorted by compareKeys). */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Creates an empty in-memory store.
 * @example const store = createMemoryStore({ limits: { maxValueBytes: 1024 } });
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): KvStore {
  const limits: KvLimits = Object.freeze({ ...STRICTEST_LIMITS, ...options.limits });
  const keys: string[] = [];
  const entries = new Map<string, Stored>();
  let counter = 0;
  let closed = false;

  const open = () => {
    if (closed) throw new StorageError("ERR_STORAGE", "Cannot use the memory store: it is closed");
  };
  const read = (key: string): KvEntry | null => {
    const stored = entries.get(key);
    return stored ? { key, value: new Uint8Array(stored.value), version: stored.version } : null;
  };
  const apply = (m: KvMutation, version: string) => {
    const existed = entries.has(m.key);
    if (m.type === "set") {
      // new Uint8Array(x) always copies; Buffer#slice (a Uint8Array subclass) would return a view.
      entries.set(m.key, { value: new Uint8Array(m.value), version });
      if (!existed) keys.splice(lowerBound(keys, m.key), 0, m.key);
    } else if (existed) {
      entries.delete(m.key);
      keys.splice(lowerBound(keys, m.key), 1);
    }
  };

  // Each step searches again from the last key, so writes between steps never skip or repeat keys.
  async function* list(options: KvListOptions): AsyncGenerator<KvEntry> {
    open();
    const { lo, hi } = listRange(options);
    const reverse = options.reverse === true;
    let remaining = options.limit ?? Infinity;
    let index = reverse ? (hi === null ? keys.length : lowerBound(keys, hi)) - 1 : lowerBound(keys, lo);
    while (remaining-- > 0) {
      const key = keys[index];
      if (key === undefined) return;
      if (reverse ? compareKeys(key, lo) < 0 : hi !== null && compareKeys(key, hi) >= 0) return;
      yield read(key)!;
      index = reverse ? lowerBound(keys, key) - 1 : lowerBound(keys, key + "\0");
    }
  }

  return {
    limits,
    async get(key: string) {
      open();
      assertKey(limits, key);
      return read(key);
    },
    async getMany(wanted: readonly string[]) {
      open();
      assertGetMany(limits, wanted);
      return wanted.map(read);
    },
    list,
    async commit(checks: readonly KvCheck[], mutations: readonly KvMutation[]) {
      open();
      assertCommit(limits, checks, mutations);
      for (const check of checks) {
        if ((entries.get(check.key)?.version ?? null) !== check.version) return false;
      }
      if (mutations.length === 0) return true;
      const version = String(++counter);
      for (const m of mutations) apply(m, version);
      return true;
    },
    async close() {
      closed = true;
    },
  };
}
