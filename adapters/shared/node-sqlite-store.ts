/**
 * @module adapters/shared/node-sqlite-store
 * The SQLite KvStore over the built-in `node:sqlite` (`DatabaseSync`), for every runtime that has
 * it: Node ≥ 22.13 (unflagged, with `StatementSync.iterate`), Bun and Deno. The SQL and the store live
 * in ./sqlite-kv.ts; this file only adapts node:sqlite's synchronous API. Its rows already carry BLOBs
 * as Uint8Array (Node, Bun and Deno alike), and sqlite-kv's `bytes` gives a plain view of any other
 * ArrayBufferView, so values need no copy here.
 *
 * Importing this module loads node:sqlite at the top level, so it fails where the runtime has none
 * (Node 20: ERR_UNKNOWN_BUILTIN_MODULE); adapters/node/open-store.ts probes first and imports it lazily.
 */
import { createSqliteKvStore, type SqliteDriver, type SqliteKvOptions, type SqliteRow, type SqliteValue } from "./sqlite-kv.ts";
import type { KvStore } from "../../src/storage/types.ts";

// The slice of node:sqlite this adapter uses, declared here because @types/node 20 has no
// node:sqlite; the contract suite checks it against the real module in Bun and Deno.
/** A prepared statement of node:sqlite (it already has the shape sqlite-kv needs). */
interface NodeStatementSync {
  run(...params: SqliteValue[]): unknown;
  get(...params: SqliteValue[]): SqliteRow | undefined;
  all(...params: SqliteValue[]): SqliteRow[];
  iterate(...params: SqliteValue[]): Iterable<SqliteRow>;
}
/** A node:sqlite connection. */
interface NodeDatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): NodeStatementSync;
  close(): void;
}
/** The part of the `node:sqlite` module the store needs. */
export interface NodeSqliteModule {
  readonly DatabaseSync: new (path: string) => NodeDatabaseSync;
  readonly StatementSync: { readonly prototype: Partial<NodeStatementSync> };
}

/**
 * The module name in a variable of type string: TypeScript then types the import as `any` instead of
 * failing on a module @types/node 20 does not declare, and bundlers leave it to the runtime.
 */
export const NODE_SQLITE: string = "node:sqlite";

const { DatabaseSync } = (await import(NODE_SQLITE)) as NodeSqliteModule;

/** Rolls back what is left of a failed transaction; SQLite may already have rolled it back itself. */
function rollback(db: NodeDatabaseSync): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // "no transaction is active": SQLite ended it (e.g. on SQLITE_FULL); the caller rethrows the cause.
  }
}

/** Runs `fn` between BEGIN IMMEDIATE and COMMIT (node:sqlite has no transaction helper). */
function writeTransaction<T>(db: NodeDatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    rollback(db);
    throw error;
  }
}

/**
 * Opens (creating if needed) the store in the SQLite file at `path`, or in memory for ":memory:".
 * The file format and schema are those of the bun:sqlite and better-sqlite3 stores, so a data
 * directory moves between drivers (e.g. from Node 20 to Node 22) as it is.
 * @example const store = openNodeBuiltinSqliteStore(".reposit/data.sqlite");
 */
export function openNodeBuiltinSqliteStore(path: string, options: SqliteKvOptions = {}): KvStore {
  const db = new DatabaseSync(path);
  // Statements are handed out as they are: no wrapper closure between the store and node:sqlite.
  const driver: SqliteDriver = {
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    writeTransaction: (fn) => writeTransaction(db, fn),
    close: () => db.close(),
  };
  return createSqliteKvStore(driver, options);
}
