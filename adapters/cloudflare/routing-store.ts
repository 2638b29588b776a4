/**
 * @module adapters/cloudflare/routing-store
 * One KvStore over many Durable Objects: each key belongs to exactly one object, named by the key's
 * prefix (the key layouts are documented in src/repo/keys.ts, src/api/records.ts and
 * src/auth/repo-tokens.ts):
 *
 *   repo/<repoId>/…                        → "repo:<repoId>"   refs, refs-seq, shallow list
 *   pool/<poolId>/member/…                 → "registry"        fork-network membership
 *   pool/<poolId>/…  (pack records, seq)   → "pool:<poolId>"   a fork network shares its parent's pool
 *   packdata/<poolId>/…                    → "pool:<poolId>"   pack bytes and indexes
 *   everything else                        → "registry"        namespaces, repo records, tokens, tombstones
 *
 * A Durable Object is a transaction boundary, so a commit must stay inside one object: a commit that
 * names keys of two objects is a programming error and throws. The core never makes one (ref
 * batches are all repo/<id>/, pack publication all pool/<id>/pack…, records and tokens all registry).
 *
 * Reads may span objects: getMany groups its keys by object and reads the groups in parallel; a list
 * whose prefix covers a known set of objects merges their ordered lists. Only `pool/<id>/` (which
 * Reposit.deletePool clears) covers two; a prefix covering unboundedly many objects ("", "repo/",
 * "pool/") throws, because no object can enumerate the others.
 */
import { assertCommit, assertGetMany, assertKey, compareKeys } from "../../src/storage/storage.ts";
import type { KvCheck, KvEntry, KvLimits, KvListOptions, KvMutation, KvStore } from "../../src/storage/types.ts";
import { kvStoreOverRpc, type KvRpc } from "./kv-rpc.ts";

/** The name of the Durable Object holding everything that is not repository or pool data. */
export const REGISTRY = "registry";

/** Key roots whose second segment names a Durable Object. */
const ROOTS = ["repo/", "pool/", "packdata/"] as const;
const MEMBER = "member/";

/** Splits `key` into its root and the id segment after it, when it has one ending in "/". */
function rootAndId(key: string): { root: (typeof ROOTS)[number]; id: string; rest: string } | null {
  for (const root of ROOTS) {
    if (!key.startsWith(root)) continue;
    const slash = key.indexOf("/", root.length);
    if (slash <= root.length) return null;
    return { root, id: key.slice(root.length, slash), rest: key.slice(slash + 1) };
  }
  return null;
}

/**
 * The Durable Object that owns `key`.
 * @example durableObjectOf("repo/abc/ref/refs/heads/main") === "repo:abc"
 */
export function durableObjectOf(key: string): string {
  const parts = rootAndId(key);
  if (parts === null) return REGISTRY;
  if (parts.root === "repo/") return `repo:${parts.id}`;
  if (parts.root === "pool/" && parts.rest.startsWith(MEMBER)) return REGISTRY;
  return `pool:${parts.id}`;
}

/**
 * The Durable Objects that may own a key starting with `prefix`, in no particular order; throws a
 * RangeError when they cannot be enumerated.
 * @example durableObjectsOfPrefix("pool/p1/") // ["registry", "pool:p1"]
 */
export function durableObjectsOfPrefix(prefix: string): string[] {
  const parts = rootAndId(prefix);
  if (parts !== null) {
    if (parts.root !== "pool/" || parts.rest.startsWith(MEMBER)) return [durableObjectOf(prefix)];
    // "pool/<id>/" up to "pool/<id>/member" also covers member keys; anything else only pack keys.
    return MEMBER.startsWith(parts.rest) ? [REGISTRY, `pool:${parts.id}`] : [`pool:${parts.id}`];
  }
  // Without a complete id segment the prefix either covers every object of a root or none.
  if (ROOTS.some((root) => root.startsWith(prefix) || prefix.startsWith(root))) {
    throw new RangeError(
      `Cannot list prefix "${prefix}": its keys span every Durable Object under ${ROOTS.map((r) => `"${r}"`).join(", ")}; expected a prefix inside one repository or pool`,
    );
  }
  return [REGISTRY];
}

/** The one object that every key of a commit belongs to; throws when they belong to several. */
function commitTarget(checks: readonly KvCheck[], mutations: readonly KvMutation[]): string | null {
  let target: string | null = null;
  let first = "";
  for (const { key } of [...checks, ...mutations]) {
    const owner = durableObjectOf(key);
    if (target === null) {
      target = owner;
      first = key;
    } else if (owner !== target) {
      throw new Error(
        `Cannot commit across Durable Objects: "${first}" belongs to ${target} and "${key}" to ${owner}; a commit must stay inside one object`,
      );
    }
  }
  return target;
}

/** Merges ordered streams into one ordered stream (ascending, or descending when `reverse`). */
async function* mergeOrdered(streams: AsyncIterable<KvEntry>[], reverse: boolean, limit: number): AsyncGenerator<KvEntry> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  try {
    for (let emitted = 0; emitted < limit; emitted++) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        if (heads[i]!.done) continue;
        if (best === -1) best = i;
        else {
          const order = compareKeys(heads[i]!.value.key, heads[best]!.value.key);
          if (reverse ? order > 0 : order < 0) best = i;
        }
      }
      if (best === -1) return;
      yield heads[best]!.value as KvEntry;
      heads[best] = await iterators[best]!.next();
    }
  } finally {
    await Promise.all(iterators.map((it, i) => (heads[i]!.done ? undefined : it.return?.())));
  }
}

/**
 * Creates the routing store. `connect(name)` returns the RPC surface of the Durable Object called
 * `name` (a stub from `namespace.getByName(name)` in the Worker, a plain object in tests).
 * @example const store = createRoutingStore((name) => env.REPO_STORE.getByName(name), DURABLE_OBJECT_KV_LIMITS);
 */
export function createRoutingStore(connect: (name: string) => KvRpc, limits: KvLimits): KvStore {
  const store = (name: string) => kvStoreOverRpc(connect(name), limits);

  async function getMany(keys: readonly string[]): Promise<(KvEntry | null)[]> {
    assertGetMany(limits, keys);
    const groups = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const owner = durableObjectOf(key);
      const group = groups.get(owner);
      if (group === undefined) groups.set(owner, [i]);
      else group.push(i);
    });
    const out = new Array<KvEntry | null>(keys.length);
    await Promise.all(
      [...groups].map(async ([owner, indexes]) => {
        const found = await store(owner).getMany(indexes.map((i) => keys[i]!));
        indexes.forEach((index, j) => (out[index] = found[j]!));
      }),
    );
    return out;
  }

  function list(options: KvListOptions): AsyncIterable<KvEntry> {
    const owners = durableObjectsOfPrefix(options.prefix);
    if (owners.length === 1) return store(owners[0]!).list(options);
    return mergeOrdered(owners.map((owner) => store(owner).list(options)), options.reverse === true, options.limit ?? Number.MAX_SAFE_INTEGER);
  }

  return {
    limits,
    get(key) {
      assertKey(limits, key);
      return store(durableObjectOf(key)).get(key);
    },
    getMany,
    list,
    async commit(checks, mutations) {
      // Checked here too, so an oversized commit fails before it is copied into an RPC message.
      assertCommit(limits, checks, mutations);
      const target = commitTarget(checks, mutations);
      // Nothing to check and nothing to write: trivially applied, no object involved.
      if (target === null) return true;
      return store(target).commit(checks, mutations);
    },
    async close() {},
  };
}
