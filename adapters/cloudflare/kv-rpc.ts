/**
 * @module adapters/cloudflare/kv-rpc
 * The KvStore (src/storage/types.ts) split across an RPC boundary: `serveKvRpc` is what a Durable
 * Object exposes (four methods whose arguments and results are structured-clonable), and
 * `kvStoreOverRpc` turns such an object — a Durable Object stub in the Worker, or a plain object in
 * tests — back into a KvStore. `list` cannot cross as an async iterator, so it crosses as pages: the
 * server fills a page up to PAGE_ROWS rows or PAGE_BYTES bytes of values and the client asks for the
 * next page after the last key it got, the same cursor rule the SQLite store uses internally.
 *
 * Workers RPC messages are at most 32 MiB (developers.cloudflare.com/workers/runtime-apis/rpc,
 * "Limitations"), so a page stays far below that even with a 1 MiB value past the byte budget.
 */
import type { KvCheck, KvEntry, KvLimits, KvListOptions, KvMutation, KvStore } from "../../src/storage/types.ts";

/** One page of a list: its entries and whether the range may hold more after them. */
export interface KvListPage {
  readonly entries: KvEntry[];
  readonly more: boolean;
}

/** The methods a store exposes over RPC; every one may be called remotely (results are promises). */
export interface KvRpc {
  get(key: string): Promise<KvEntry | null>;
  getMany(keys: string[]): Promise<(KvEntry | null)[]>;
  /** Entries of `options` in order, at most one page of them. */
  listPage(options: KvListOptions): Promise<KvListPage>;
  commit(checks: KvCheck[], mutations: KvMutation[]): Promise<boolean>;
}

/**
 * A page closes after this many rows or bytes of values. 4 MiB is four pack chunks, so a clone reads
 * its pack in 4 MiB round trips; more would only raise the peak memory of both isolates.
 */
export const PAGE_ROWS = 512;
export const PAGE_BYTES = 4 << 20;

/**
 * The RPC surface of `store` (what the Durable Object delegates to).
 * @example const rpc = serveKvRpc(createSqliteKvStore(driver, { durability: "platform" }));
 */
export function serveKvRpc(store: KvStore): KvRpc {
  return {
    get: (key) => store.get(key),
    getMany: (keys) => store.getMany(keys),
    commit: (checks, mutations) => store.commit(checks, mutations),
    async listPage(options) {
      const limit = Math.min(options.limit ?? PAGE_ROWS, PAGE_ROWS);
      const entries: KvEntry[] = [];
      if (limit <= 0) return { entries, more: false };
      let bytes = 0;
      // Breaking out of the generator closes it, so no cursor stays open between pages.
      for await (const entry of store.list({ ...options, limit })) {
        entries.push(entry);
        bytes += entry.value.length;
        if (bytes >= PAGE_BYTES) break;
      }
      return { entries, more: entries.length === limit || bytes >= PAGE_BYTES };
    },
  };
}

/** `list` over pages: each next page starts after the last key (or ends before it, in reverse). */
async function* listPages(listPage: KvRpc["listPage"], options: KvListOptions): AsyncGenerator<KvEntry> {
  let remaining = options.limit ?? Number.MAX_SAFE_INTEGER;
  let { start, end } = options;
  while (remaining > 0) {
    const page = await listPage({
      prefix: options.prefix,
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end }),
      limit: Math.min(remaining, PAGE_ROWS),
      ...(options.reverse ? { reverse: true } : {}),
    });
    for (const entry of page.entries) yield entry;
    if (!page.more || page.entries.length === 0) return;
    remaining -= page.entries.length;
    const last = page.entries[page.entries.length - 1]!.key;
    if (options.reverse) end = last;
    else start = `${last}\0`; // the smallest key after `last`
  }
}

/** Attempts of an idempotent call whose failure the platform marks retryable. */
const ATTEMPTS = 3;

/**
 * Runs `call`, again after a short pause when it fails with an error the platform marks `retryable`
 * (a Durable Object restarted or the connection to it dropped: developers.cloudflare.com/
 * durable-objects/best-practices/error-handling). Only for calls that are safe to repeat.
 */
export async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const flags = error as { retryable?: boolean; overloaded?: boolean };
      // An overloaded object gets no extra load from us.
      if (attempt >= ATTEMPTS || flags.retryable !== true || flags.overloaded === true) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
  }
}

/**
 * A KvStore whose operations run on `rpc` (limits are checked on the far side, which owns them).
 * Reads and commits without checks are repeated on retryable failures; a commit with checks is not,
 * because it may have been applied before the failure and a repeat would then report a conflict.
 * @example const store = kvStoreOverRpc(env.REPO_STORE.getByName("registry"), DURABLE_OBJECT_KV_LIMITS);
 */
export function kvStoreOverRpc(rpc: KvRpc, limits: KvLimits): KvStore {
  // Each call goes through the stub itself: a Durable Object stub is a proxy, not a plain object.
  const listPage = (options: KvListOptions) => retrying(() => rpc.listPage(options));
  return {
    limits,
    get: (key) => retrying(() => rpc.get(key)),
    getMany: async (keys) => (keys.length === 0 ? [] : retrying(() => rpc.getMany([...keys]))),
    list: (options) => listPages(listPage, options),
    commit: (checks, mutations) => {
      const call = () => rpc.commit([...checks], [...mutations]);
      return checks.length === 0 ? retrying(call) : call();
    },
    async close() {},
  };
}
