/**
 * @module adapters/shared/sqlite-kv
 * The KvStore over SQLite, written once for every synchronous SQLite API (bun:sqlite, better-sqlite3,
 * Durable Object `ctx.storage.sql`): each runtime passes a tiny SqliteDriver and the SQL lives here.
 *
 * Keys are TEXT compared with the default BINARY collation, which is memcmp over the UTF-8 bytes
 * (sqlite.org/datatype3.html "Collating Sequences"), so index order is the KvStore's UTF-8 order.
 * Versions come from one counter row bumped inside each commit's transaction, so several processes
 * on one file never hand out the same version. Commits run in a write transaction that takes the
 * lock up front (BEGIN IMMEDIATE), so writers in other processes queue on busy_timeout instead of
 * failing their upgrade from a read lock midway.
 */
import { assertCommit, assertGetMany, assertKey, listRange } from "../../src/storage/storage.ts";
import type { KvCheck, KvEntry, KvLimits, KvListOptions, KvMutation, KvStore } from "../../src/storage/types.ts";

/** A value SQLite binds or returns. */
export type SqliteValue = string | number | bigint | Uint8Array | null;
/** A result row by column name. */
export type SqliteRow = Record<string, unknown>;

/** A prepared statement of the driver. */
export interface SqliteStatement {
  run(...params: SqliteValue[]): unknown;
  /** The first row, or null/undefined when there is none. */
  get(...params: SqliteValue[]): SqliteRow | null | undefined;
  all(...params: SqliteValue[]): SqliteRow[];
  /** Rows one at a time; the store stops early when a page is full. */
  iterate(...params: SqliteValue[]): Iterable<SqliteRow>;
}

/** The synchronous SQLite API a runtime provides. */
export interface SqliteDriver {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `fn` in a write transaction that holds the write lock from its start (BEGIN IMMEDIATE). */
  writeTransaction<T>(fn: () => T): T;
  close(): void;
}

/**
 * How the store sets up journaling:
 * - "normal": WAL + synchronous=NORMAL. A commit survives a crash of the process (SIGKILL), which is
 *   what our tests check; the last commits may be lost if the machine loses power, because WAL is
 *   only fsynced at checkpoints. Much faster: no fsync per commit.
 * - "full": WAL + synchronous=FULL. Every commit is fsynced, so it also survives power loss.
 * - "platform": leave journaling to the platform (Durable Objects manage their own durability).
 */
export type SqliteDurability = "normal" | "full" | "platform";

/** Options of createSqliteKvStore. */
export interface SqliteKvOptions {
  readonly durability?: SqliteDurability;
  /** Overrides of SQLITE_LIMITS (a Durable Object must lower maxGetMany to its 100 bound parameters). */
  readonly limits?: Partial<KvLimits>;
  /** How long a writer waits for another process's lock before failing (not with "platform"). */
  readonly busyTimeoutMs?: number;
  /** Page size of a new database file (not with "platform"); existing files keep theirs. */
  readonly pageSize?: number;
}

/**
 * Blob chunks are 1 MiB values, stored as chains of overflow pages. Measured with bun:sqlite on our
 * 2-core test machine (under load, so rough): 4 KiB pages wrote 1 MiB values at 30-50 MB/s and read
 * them at 400-600 MB/s; 32-64 KiB pages at 110-240 MB/s and 0.6-2 GB/s. Small commits (ref updates)
 * went from ~6,500/s to ~3,000-5,000/s, which is still far more than pushes need.
 */
const DEFAULT_PAGE_SIZE = 32_768;
/** Checkpoint the WAL back into the database every ~16 MiB, which also bounds the WAL file. */
const WAL_CHECKPOINT_BYTES = 16 << 20;

/**
 * SQLite's limits as we choose them: 1 MiB values keep blob chunks (and list pages) predictable;
 * 32 MiB per commit bounds how far one transaction grows the WAL (atomic commits are ref updates,
 * far smaller; bulk data goes through writeUnordered in smaller batches anyway); 500 keys per
 * getMany stays under SQLITE_MAX_VARIABLE_NUMBER's historic 999.
 */
export const SQLITE_LIMITS: KvLimits = Object.freeze({
  maxValueBytes: 1 << 20,
  maxKeyBytes: 2_048,
  maxChecks: 1_000,
  maxMutations: 100_000,
  maxCommitBytes: 32 << 20,
  maxGetMany: 500,
});

/** A list page closes after this many rows or bytes of values, whichever comes first. */
const PAGE_ROWS = 256;
const PAGE_BYTES = 4 << 20;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, version INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO kv_meta (name, value) VALUES ('version', 0);
`;

/** bun:sqlite returns Uint8Array, better-sqlite3 a Buffer: expose a plain view of the same memory. */
function bytes(value: unknown): Uint8Array {
  const v = value as Uint8Array;
  return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function toEntry(row: SqliteRow): KvEntry {
  return { key: row.key as string, value: bytes(row.value), version: String(row.version) };
}

/** The SQL of the statements the store prepares once. */
function statements(driver: SqliteDriver) {
  const select = "SELECT key, version, value FROM kv";
  return {
    get: driver.prepare(`${select} WHERE key = ?`),
    version: driver.prepare("SELECT version FROM kv WHERE key = ?"),
    set: driver.prepare("INSERT OR REPLACE INTO kv (key, version, value) VALUES (?, ?, ?)"),
    delete: driver.prepare("DELETE FROM kv WHERE key = ?"),
    bump: driver.prepare("UPDATE kv_meta SET value = value + 1 WHERE name = 'version' RETURNING value"),
    ascBounded: driver.prepare(`${select} WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`),
    ascOpen: driver.prepare(`${select} WHERE key >= ? ORDER BY key LIMIT ?`),
    descBounded: driver.prepare(`${select} WHERE key >= ? AND key < ? ORDER BY key DESC LIMIT ?`),
    descOpen: driver.prepare(`${select} WHERE key >= ? ORDER BY key DESC LIMIT ?`),
  };
}

/** Connection settings; page_size must come before journal_mode=WAL to apply to a new file. */
function configure(driver: SqliteDriver, durability: SqliteDurability, options: SqliteKvOptions): void {
  driver.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 10_000)}`);
  driver.exec(`PRAGMA page_size = ${Math.trunc(options.pageSize ?? DEFAULT_PAGE_SIZE)}`);
  driver.exec("PRAGMA journal_mode = WAL");
  driver.exec(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  const pageSize = Number(driver.prepare("PRAGMA page_size").get()!.page_size);
  driver.exec(`PRAGMA wal_autocheckpoint = ${Math.max(1, Math.round(WAL_CHECKPOINT_BYTES / pageSize))}`);
}

/**
 * Creates the schema if needed and returns the store.
 * @example const store = createSqliteKvStore(driver, { durability: "full", limits: { maxGetMany: 100 } });
 */
export function createSqliteKvStore(driver: SqliteDriver, options: SqliteKvOptions = {}): KvStore {
  const limits: KvLimits = Object.freeze({ ...SQLITE_LIMITS, ...options.limits });
  const durability = options.durability ?? "normal";
  if (durability !== "platform") configure(driver, durability, options);
  driver.writeTransaction(() => driver.exec(SCHEMA));
  const sql = statements(driver);
  const inLists = new Map<number, SqliteStatement>();

  const getMany = async (keys: readonly string[]): Promise<(KvEntry | null)[]> => {
    assertGetMany(limits, keys);
    if (keys.length === 0) return [];
    let statement = inLists.get(keys.length);
    if (statement === undefined) {
      const marks = ",?".repeat(keys.length).slice(1);
      statement = driver.prepare(`SELECT key, version, value FROM kv WHERE key IN (${marks})`);
      inLists.set(keys.length, statement);
    }
    const found = new Map<string, KvEntry>();
    for (const row of statement.all(...keys)) found.set(row.key as string, toEntry(row));
    return keys.map((key) => found.get(key) ?? null);
  };

  /** One page of rows in [lo, hi) and whether rows may remain after it. */
  const page = (lo: string, hi: string | null, reverse: boolean, limit: number) => {
    const statement = reverse ? (hi === null ? sql.descOpen : sql.descBounded) : hi === null ? sql.ascOpen : sql.ascBounded;
    const rows = hi === null ? statement.iterate(lo, limit) : statement.iterate(lo, hi, limit);
    const entries: KvEntry[] = [];
    let size = 0;
    for (const row of rows) {
      const entry = toEntry(row);
      entries.push(entry);
      size += entry.value.length;
      // Breaking out resets the statement, so no read stays open while the caller awaits.
      if (size >= PAGE_BYTES && entries.length < limit) return { entries, more: true };
    }
    return { entries, more: entries.length === limit };
  };

  async function* list(options: KvListOptions): AsyncGenerator<KvEntry> {
    let { lo, hi } = listRange(options);
    const reverse = options.reverse === true;
    let remaining = options.limit ?? Number.MAX_SAFE_INTEGER;
    while (remaining > 0) {
      const { entries, more } = page(lo, hi, reverse, Math.min(remaining, PAGE_ROWS));
      for (const entry of entries) yield entry;
      if (!more) return;
      remaining -= entries.length;
      const last = entries[entries.length - 1]!.key;
      if (reverse) hi = last;
      else lo = `${last}\0`; // the smallest key after `last`
    }
  }

  const commit = async (checks: readonly KvCheck[], mutations: readonly KvMutation[]): Promise<boolean> => {
    assertCommit(limits, checks, mutations);
    return driver.writeTransaction(() => {
      for (const check of checks) {
        const row = sql.version.get(check.key);
        if ((row == null ? null : String(row.version)) !== check.version) return false;
      }
      if (mutations.length === 0) return true;
      const version = sql.bump.get()!.value as number | bigint;
      for (const m of mutations) {
        if (m.type === "set") sql.set.run(m.key, version, m.value);
        else sql.delete.run(m.key);
      }
      return true;
    });
  };

  return {
    limits,
    async get(key: string) {
      assertKey(limits, key);
      const row = sql.get.get(key);
      return row == null ? null : toEntry(row);
    },
    getMany,
    list,
    commit,
    async close() {
      driver.close();
    },
  };
}
