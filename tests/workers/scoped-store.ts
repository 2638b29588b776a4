/**
 * A KvStore seen through a key prefix: every key the caller uses is stored as `prefix + key`. It lets
 * the storage contract (whose keys are "a", "refs/heads/x", ...) run against the routing store under
 * a prefix that routes to one chosen kind of Durable Object ("repo/<id>/", "packdata/<id>/", or a
 * registry prefix). maxKeyBytes shrinks by the prefix so the contract's longest keys still fit.
 */
import { utf8Length } from "../../src/storage/storage.ts";
import type { KvEntry, KvStore } from "../../src/storage/types.ts";

export function scopedStore(store: KvStore, prefix: string): KvStore {
  const strip = (entry: KvEntry): KvEntry => ({ key: entry.key.slice(prefix.length), value: entry.value, version: entry.version });
  return {
    limits: Object.freeze({ ...store.limits, maxKeyBytes: store.limits.maxKeyBytes - utf8Length(prefix) }),
    get: async (key) => {
      const entry = await store.get(prefix + key);
      return entry === null ? null : strip(entry);
    },
    getMany: async (keys) => (await store.getMany(keys.map((k) => prefix + k))).map((e) => (e === null ? null : strip(e))),
    async *list(options) {
      // A bound outside options.prefix stays outside it after prefixing, so the store still rejects it.
      const scoped = {
        ...options,
        prefix: prefix + options.prefix,
        ...(options.start === undefined ? {} : { start: prefix + options.start }),
        ...(options.end === undefined ? {} : { end: prefix + options.end }),
      };
      for await (const entry of store.list(scoped)) yield strip(entry);
    },
    commit: (checks, mutations) =>
      store.commit(
        checks.map((c) => ({ key: prefix + c.key, version: c.version })),
        mutations.map((m) => (m.type === "set" ? { type: "set", key: prefix + m.key, value: m.value } : { type: "delete", key: prefix + m.key })),
      ),
    close: () => store.close(),
  };
}
