/**
 * @module adapters/bun/sqlite-store
 * The SQLite KvStore on Bun (the default backend) over bun:sqlite; the SQL and the store live in
 * adapters/shared/sqlite-kv.ts, this file only adapts bun:sqlite's synchronous API.
 */
import { Database, type SQLQueryBindings } from "bun:sqlite";
import { createSqliteKvStore, type SqliteDriver, type SqliteKvOptions, type SqliteRow } from "../shared/sqlite-kv.ts";
import type { KvStore } from "../../src/storage/types.ts";

/**
 * Opens (creating if needed) the store in the SQLite file at `path`, or in memory for ":memory:".
 * @example const store = openBunSqliteStore(".reposit/data.sqlite");
 */
export function openBunSqliteStore(path: string, options: SqliteKvOptions = {}): KvStore {
  const db = new Database(path, { create: true });
  // One wrapper made once; `.immediate` runs it as BEGIN IMMEDIATE.
  const transaction = db.transaction((fn: () => unknown) => fn());
  const driver: SqliteDriver = {
    exec: (sql) => void db.exec(sql),
    prepare(sql) {
      const statement = db.prepare<SqliteRow, SQLQueryBindings[]>(sql);
      return {
        run: (...params) => statement.run(...(params as SQLQueryBindings[])),
        get: (...params) => statement.get(...(params as SQLQueryBindings[])),
        all: (...params) => statement.all(...(params as SQLQueryBindings[])),
        iterate: (...params) => statement.iterate(...(params as SQLQueryBindings[])),
      };
    },
    writeTransaction: <T>(fn: () => T) => transaction.immediate(fn) as T,
    close: () => db.close(),
  };
  return createSqliteKvStore(driver, options);
}
