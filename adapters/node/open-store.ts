/**
 * @module adapters/node/open-store
 * Opens the Node server's SQLite store on the best driver the runtime has: the built-in node:sqlite
 * where it is complete enough (Node ≥ 22.13; also Bun and Deno), else better-sqlite3 (Node 20, and
 * Node 22.5-22.12 where node:sqlite is flagged and has no `StatementSync.iterate`). Both drivers run
 * the same SQL (adapters/shared/sqlite-kv.ts) on the same file format, so a data directory keeps
 * working when Node is upgraded.
 */
import type { SqliteKvOptions } from "../shared/sqlite-kv.ts";
import type { KvStore } from "../../src/storage/types.ts";

/** The SQLite binding a store runs on. */
export type SqliteDriverName = "node:sqlite" | "better-sqlite3";

/** A store and the driver it was opened with (for the start-up banner). */
export interface OpenedSqliteStore {
  readonly store: KvStore;
  readonly driver: SqliteDriverName;
}

/**
 * Whether node:sqlite exists and has everything the store uses (`iterate` came in Node 22.13).
 * Any failure to import a built-in means it is missing: Node 20 throws ERR_UNKNOWN_BUILTIN_MODULE,
 * and so does Node 22.5-22.12 without --experimental-sqlite.
 * @example if (await hasNodeSqlite()) console.log("node:sqlite");
 */
export async function hasNodeSqlite(): Promise<boolean> {
  // Kept in step with NODE_SQLITE in ../shared/node-sqlite-store.ts, which must not be imported here
  // before the probe (it loads node:sqlite at its top level). A string-typed variable, not a literal,
  // because @types/node 20 declares no node:sqlite module.
  const specifier: string = "node:sqlite";
  try {
    const sqlite = (await import(specifier)) as { StatementSync?: { prototype?: { iterate?: unknown } } };
    return typeof sqlite.StatementSync?.prototype?.iterate === "function";
  } catch {
    return false;
  }
}

/**
 * Opens (creating if needed) the store in the SQLite file at `path`, or in memory for ":memory:",
 * on node:sqlite when the runtime has it and on better-sqlite3 otherwise.
 * @example const { store, driver } = await openSqliteStore(".reposit/data.sqlite");
 */
export async function openSqliteStore(path: string, options: SqliteKvOptions = {}): Promise<OpenedSqliteStore> {
  // Each driver is imported only when chosen: better-sqlite3 loads a native addon built for one
  // Node ABI, and the node:sqlite adapter cannot load where node:sqlite is missing.
  if (await hasNodeSqlite()) {
    const { openNodeBuiltinSqliteStore } = await import("../shared/node-sqlite-store.ts");
    return { store: openNodeBuiltinSqliteStore(path, options), driver: "node:sqlite" };
  }
  const { openNodeSqliteStore } = await import("./sqlite-store.ts");
  return { store: openNodeSqliteStore(path, options), driver: "better-sqlite3" };
}
