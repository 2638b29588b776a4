/**
 * The Node side of tests/workers/kv-probe-worker.ts: the probe's Miniflare worker options (bound to
 * the Reposit worker's RepoStore objects), a KvStore whose every operation runs inside workerd on
 * Durable Object SQLite, and a raw request helper for the platform endpoints.
 */
import type { WorkerOptions } from "miniflare";
import type { KvEntry, KvLimits, KvStore } from "../../src/storage/types.ts";
import { DURABLE_OBJECT_KV_LIMITS } from "../../adapters/cloudflare/sql-storage-driver.ts";
import { bundleWorker, COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, REPOSIT_WORKER, settle, type WorkerdServer } from "../helpers/workerd.ts";

export const PROBE_WORKER = "kv-probe";

/** Miniflare options of the probe worker (bundles it first). */
export async function probeWorkerOptions(): Promise<WorkerOptions> {
  return {
    name: PROBE_WORKER,
    modules: true,
    scriptPath: await bundleWorker("tests/workers/kv-probe-worker.ts", PROBE_WORKER),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    durableObjects: { REPO_STORE: { className: "RepoStore", scriptName: REPOSIT_WORKER, useSQLite: true } },
  };
}

/** Sends one request to the probe worker and returns its JSON, throwing the worker's error. */
export async function probe(server: WorkerdServer, path: string, body?: unknown): Promise<any> {
  await settle();
  const worker = await server.miniflare().getWorker(PROBE_WORKER);
  const response = await worker.fetch(`http://probe${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  const json = (await response.json()) as any;
  if (response.status !== 200) {
    const error = json.name === "RangeError" ? new RangeError(json.message) : new Error(json.message);
    if (json.name !== "RangeError") error.name = json.name;
    throw error;
  }
  return json;
}

interface WireEntry {
  key: string;
  value: string;
  version: string;
}

const fromWire = (e: WireEntry | null): KvEntry | null => (e === null ? null : { key: e.key, value: new Uint8Array(Buffer.from(e.value, "base64")), version: e.version });
const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/**
 * A KvStore run inside workerd: on the object `object`, or through the routing store when null.
 * @example storageContract("do", async () => remoteStore(server, "contract-1"));
 */
export function remoteStore(server: WorkerdServer, object: string | null, limits: KvLimits = DURABLE_OBJECT_KV_LIMITS): KvStore {
  const target = object === null ? { routed: true } : { object };
  const call = (op: string, args: unknown) => probe(server, "/kv", { target, op, args });
  return {
    limits,
    get: async (key) => fromWire(await call("get", { key })),
    getMany: async (keys) => ((await call("getMany", { keys })) as (WireEntry | null)[]).map(fromWire),
    async *list(options) {
      for (const entry of (await call("list", { options })) as WireEntry[]) yield fromWire(entry)!;
    },
    commit: (checks, mutations) =>
      call("commit", {
        checks,
        mutations: mutations.map((m) => (m.type === "set" ? { type: "set", key: m.key, value: base64(m.value) } : m)),
      }),
    async close() {},
  };
}
