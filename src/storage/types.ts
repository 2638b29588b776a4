/**
 * @module storage/types
 * The one interface a storage backend implements: an ordered key-value store with versioned
 * compare-and-swap commits. It is shaped by the weakest backend (Deno KV: 64 KiB values, 2 KiB keys,
 * 10 checks, 1,000 mutations and 800 KiB per atomic commit, 10 keys per getMany; Durable Object
 * SQLite: 2 MB rows, 100 bound parameters). Each adapter declares its numbers in `limits`; chunking
 * of large values, splitting of batches and everything git-shaped lives in the core (src/storage/
 * storage.ts, src/storage/chunked-blob.ts, src/repo), once, so adapters stay around a hundred lines.
 *
 * Keys are strings of printable characters, ordered by their UTF-8 bytes. Values are bytes.
 * Every stored value has an opaque `version` that changes on every write to that key; a commit may
 * check versions (`null` = the key must not exist) and applies all its mutations or none.
 */

/** One stored key with its value and version. */
export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly version: string;
}

/** A precondition of a commit: the key currently has `version`, or is absent when `version` is null. */
export interface KvCheck {
  readonly key: string;
  readonly version: string | null;
}

/** A write inside a commit. */
export type KvMutation =
  | { readonly type: "set"; readonly key: string; readonly value: Uint8Array }
  | { readonly type: "delete"; readonly key: string };

/** What one backend can do in one call. The core never exceeds these. */
export interface KvLimits {
  /** Largest value in bytes. */
  readonly maxValueBytes: number;
  /** Longest key in UTF-8 bytes. */
  readonly maxKeyBytes: number;
  /** Most checks in one commit. */
  readonly maxChecks: number;
  /** Most mutations in one commit. */
  readonly maxMutations: number;
  /** Most total bytes (keys + values) in one commit. */
  readonly maxCommitBytes: number;
  /** Most keys in one getMany call. */
  readonly maxGetMany: number;
}

/** A key range for `list`: every key that starts with `prefix`, optionally narrowed by start/end. */
export interface KvListOptions {
  readonly prefix: string;
  /** Inclusive lower bound; must start with `prefix`. */
  readonly start?: string;
  /** Exclusive upper bound; must start with `prefix`. */
  readonly end?: string;
  /** Stop after this many entries. */
  readonly limit?: number;
  /** Newest-key-first order. */
  readonly reverse?: boolean;
}

/** The backend interface every adapter implements and the contract suite checks. */
export interface KvStore {
  readonly limits: KvLimits;
  /** Reads one key. */
  get(key: string): Promise<KvEntry | null>;
  /** Reads up to `limits.maxGetMany` keys; the result is in the order of `keys`. */
  getMany(keys: readonly string[]): Promise<(KvEntry | null)[]>;
  /** Iterates the keys of a range in key order (or reverse). Pages internally as the backend needs. */
  list(options: KvListOptions): AsyncIterable<KvEntry>;
  /**
   * Applies `mutations` atomically if every check holds. Returns false (and changes nothing) when a
   * check fails. Within `limits`; exceeding them is a programming error and throws.
   */
  commit(checks: readonly KvCheck[], mutations: readonly KvMutation[]): Promise<boolean>;
  /** Releases the backend (closes files or handles). */
  close(): Promise<void>;
}
