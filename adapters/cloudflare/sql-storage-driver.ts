/**
 * @module adapters/cloudflare/sql-storage-driver
 * The SqliteDriver (adapters/shared/sqlite-kv.ts) over a SQLite-backed Durable Object's storage:
 * `ctx.storage.sql.exec` for statements and `ctx.storage.transactionSync` for write transactions
 * (developers.cloudflare.com/durable-objects/api/sqlite-storage-api). The platform has no prepared
 * statement handles (it caches compiled statements itself), returns BLOBs as ArrayBuffer, manages
 * journaling and durability, and forbids BEGIN/COMMIT and most PRAGMAs, so the store runs with
 * durability "platform".
 *
 * DURABLE_OBJECT_KV_LIMITS follows the platform's limits: a row is at most 2 MB and a statement binds
 * at most 100 parameters ("SQL Storage limits"), and an RPC message is at most 32 MiB.
 */
import type { SqliteDriver, SqliteRow, SqliteStatement, SqliteValue } from "../shared/sqlite-kv.ts";
import type { KvLimits } from "../../src/storage/types.ts";

/** The part of `DurableObjectStorage` the driver uses. */
export interface SqlStorageLike {
  readonly sql: { exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> & { toArray(): Record<string, unknown>[] } };
  transactionSync<T>(fn: () => T): T;
}

/**
 * What one Durable Object accepts in one call:
 * - values of 1 MiB (pack chunks), half the 2 MB row limit so key and row overhead always fit;
 * - 90 keys per getMany: the shared store reads them with one `IN (?, …)` of one bound parameter
 *   per key, and a statement binds at most 100;
 * - 8 MiB and 10,000 mutations per commit: a BlobWriter flush (4 MiB of chunks) fits in one commit,
 *   four commits in flight stay far below an isolate's 128 MB, and one RPC message far below 32 MiB;
 *   10,000 mutations hold an atomic push of maxRefUpdates refs.
 */
export const DURABLE_OBJECT_KV_LIMITS: KvLimits = Object.freeze({
  maxValueBytes: 1 << 20,
  maxKeyBytes: 2_048,
  maxChecks: 1_000,
  maxMutations: 10_000,
  maxCommitBytes: 8 << 20,
  maxGetMany: 90,
});

/** BLOB columns come back as ArrayBuffer; the store expects Uint8Array (the same bytes, no copy). */
function toRow(row: Record<string, unknown>): SqliteRow {
  for (const column in row) {
    const value = row[column];
    if (value instanceof ArrayBuffer) row[column] = new Uint8Array(value);
  }
  return row;
}

function* rowsOf(rows: Iterable<Record<string, unknown>>): Generator<SqliteRow> {
  for (const row of rows) yield toRow(row);
}

function statement(storage: SqlStorageLike, query: string): SqliteStatement {
  const exec = (params: SqliteValue[]) => storage.sql.exec(query, ...params);
  return {
    run: (...params) => exec(params).toArray(),
    get(...params) {
      for (const row of exec(params)) return toRow(row);
      return null;
    },
    all: (...params) => exec(params).toArray().map(toRow),
    iterate: (...params) => rowsOf(exec(params)),
  };
}

/**
 * The driver over `ctx.storage` of a SQLite-backed Durable Object.
 * @example const store = createSqliteKvStore(sqlStorageDriver(ctx.storage), { durability: "platform", limits: DURABLE_OBJECT_KV_LIMITS });
 */
export function sqlStorageDriver(storage: SqlStorageLike): SqliteDriver {
  return {
    exec: (query) => void storage.sql.exec(query).toArray(),
    prepare: (query) => statement(storage, query),
    writeTransaction: (fn) => storage.transactionSync(fn),
    // The platform owns the database; there is nothing to close.
    close() {},
  };
}
