/**
 * @module adapters/node/sqlite-store
 * The SQLite KvStore on Node 20 (no node:sqlite there) over better-sqlite3; the SQL and the store
 * live in adapters/shared/sqlite-kv.ts, this file only adapts better-sqlite3's synchronous API.
 */
import Database from "better-sqlite3";
import { createSqliteKvStore, type SqliteDriver, type SqliteKvOptions, type SqliteRow } from "../shared/sqlite-kv.ts";
import type { KvStore } from "../../src/storage/types.ts";

/**
 * Opens (creating if needed) the store in the SQLite file at `path`, or in memory for ":memory:".
 * @example const store = openNodeSqliteStore(".reposit/data.sqlite");
 */
export function openNodeSqliteStore(path: string, options: SqliteKvOptions = {}): KvStore {
  const db = new Database(path);
  // One wrapper made once: better-sqlite3 builds its BEGIN/COMMIT statements per wrapper.
  const transaction = db.transaction((fn: () => unknown) => fn());
  const driver: SqliteDriver = {
    exec: (sql) => void db.exec(sql),
    prepare(sql) {
      const statement = db.prepare<unknown[], SqliteRow>(sql);
      return {
        run: (...params) => statement.run(...params),
        get: (...params) => statement.get(...params),
        all: (...params) => statement.all(...params),
        iterate: (...params) => statement.iterate(...params),
      };
    },
    writeTransaction: <T>(fn: () => T) => transaction.immediate(fn) as T,
    close: () => void db.close(),
  };
  return createSqliteKvStore(driver, options);
}
