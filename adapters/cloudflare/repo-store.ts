/**
 * @module adapters/cloudflare/repo-store
 * The Durable Object class behind every storage shard (spec/artifacts-api.md §1.1: one Durable Object
 * per repository): "repo:<id>" holds a repository's refs, "pool:<id>" a fork network's packs, and
 * the single "registry" everything else (adapters/cloudflare/routing-store.ts decides which key goes
 * where). Each instance is the shared SQLite KvStore (adapters/shared/sqlite-kv.ts) on its own
 * `ctx.storage.sql`, exposed over Workers RPC as the four KvRpc methods.
 *
 * A Durable Object runs one event at a time and a commit is one synchronous `transactionSync`, so a
 * commit is atomic and isolated without any lock; reads never wait behind an open transaction.
 */
import { DurableObject, type DurableObjectState } from "cloudflare:workers";
import { createSqliteKvStore } from "../shared/sqlite-kv.ts";
import type { KvCheck, KvEntry, KvListOptions, KvMutation } from "../../src/storage/types.ts";
import { serveKvRpc, type KvListPage, type KvRpc } from "./kv-rpc.ts";
import { DURABLE_OBJECT_KV_LIMITS, sqlStorageDriver } from "./sql-storage-driver.ts";

/**
 * A KvStore shard over Durable Object SQLite, reached by RPC.
 * @example const page = await env.REPO_STORE.getByName("registry").listPage({ prefix: "ns/" });
 */
export class RepoStore extends DurableObject implements KvRpc {
  readonly #rpc: KvRpc;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    const store = createSqliteKvStore(sqlStorageDriver(ctx.storage), { durability: "platform", limits: DURABLE_OBJECT_KV_LIMITS });
    this.#rpc = serveKvRpc(store);
  }

  get(key: string): Promise<KvEntry | null> {
    return this.#rpc.get(key);
  }

  getMany(keys: string[]): Promise<(KvEntry | null)[]> {
    return this.#rpc.getMany(keys);
  }

  listPage(options: KvListOptions): Promise<KvListPage> {
    return this.#rpc.listPage(options);
  }

  commit(checks: KvCheck[], mutations: KvMutation[]): Promise<boolean> {
    return this.#rpc.commit(checks, mutations);
  }
}
