/**
 * @module adapters/cloudflare/worker-env
 * The Worker's bindings and the one handler built from them per isolate. Secrets come from
 * `wrangler secret put` (or `--var`/.dev.vars under `wrangler dev`); plain settings from `vars`:
 *
 *   REPO_STORE            Durable Object namespace of RepoStore (every shard: registry, repos, pools)
 *   REPOSIT_API_TOKEN     control-plane bearer token (secret)
 *   REPOSIT_SIGNING_KEY   token signing key, hex or base64url of 32+ bytes (secret)
 *   REPOSIT_PUBLIC_URL    base of `remote` URLs; required by ArtifactsEntrypoint, which has no request
 *   REPOSIT_ACCOUNT_ID    only this account id is served over REST (default: any)
 *   ARTIFACTS_NAMESPACE   namespace of ArtifactsEntrypoint when the binding passes no `props`
 *   REPOSIT_PLATFORM      "hybrid" (default), "native" or "portable" (./workerd-platform.ts)
 *   REPOSIT_MAX_PUSH_BYTES, REPOSIT_MAX_OBJECT_BYTES  optional limit overrides in bytes
 *
 * An isolate is 128 MB shared by every request it serves, so the delta-base cache is a third of the
 * default (src/limits.ts).
 */
import { createHandler, type Handler } from "../../src/http/handler.ts";
import { parseSigningKey } from "../../src/auth/signing-key.ts";
import { portablePlatform } from "../../src/git/portable-platform.ts";
import type { Limits } from "../../src/limits.ts";
import type { Platform } from "../../src/platform.ts";
import type { KvRpc } from "./kv-rpc.ts";
import { createRoutingStore } from "./routing-store.ts";
import { DURABLE_OBJECT_KV_LIMITS } from "./sql-storage-driver.ts";
import { nativePlatform, workerdPlatform } from "./workerd-platform.ts";

/** The bindings the Worker expects (wrangler.jsonc). */
export interface RepositEnv {
  readonly REPO_STORE: { getByName(name: string): KvRpc };
  readonly REPOSIT_API_TOKEN?: string;
  readonly REPOSIT_SIGNING_KEY?: string;
  readonly REPOSIT_PUBLIC_URL?: string;
  readonly REPOSIT_ACCOUNT_ID?: string;
  readonly ARTIFACTS_NAMESPACE?: string;
  readonly REPOSIT_PLATFORM?: string;
  readonly REPOSIT_MAX_PUSH_BYTES?: string;
  readonly REPOSIT_MAX_OBJECT_BYTES?: string;
}

/** Limits for a 128 MB isolate (src/limits.ts has the defaults and their reasons). */
export const WORKER_LIMITS: Partial<Limits> = Object.freeze({ deltaBaseCacheBytes: 16 << 20 });

function required(env: RepositEnv, name: "REPOSIT_API_TOKEN" | "REPOSIT_SIGNING_KEY"): string {
  const value = env[name];
  if (!value) throw new Error(`Missing ${name}: set it with \`wrangler secret put ${name}\` (or --var under wrangler dev)`);
  return value;
}

function byteLimit(env: RepositEnv, name: "REPOSIT_MAX_PUSH_BYTES" | "REPOSIT_MAX_OBJECT_BYTES"): number | undefined {
  const text = env[name];
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`Invalid ${name} "${text}": expected a positive whole number of bytes`);
  return value;
}

function limitsOf(env: RepositEnv): Partial<Limits> {
  const push = byteLimit(env, "REPOSIT_MAX_PUSH_BYTES");
  const object = byteLimit(env, "REPOSIT_MAX_OBJECT_BYTES");
  return { ...WORKER_LIMITS, ...(push ? { maxPushBytes: push } : {}), ...(object ? { maxObjectBytes: object } : {}) };
}

const PLATFORMS: Record<string, Platform> = { hybrid: workerdPlatform, native: nativePlatform, portable: portablePlatform };

function platformOf(env: RepositEnv): Platform {
  const choice = env.REPOSIT_PLATFORM ?? "hybrid";
  const platform = PLATFORMS[choice];
  if (platform === undefined) throw new Error(`Invalid REPOSIT_PLATFORM "${choice}": expected "hybrid", "native" or "portable"`);
  return platform;
}

/** Builds the handler for `env`: the routing store over REPO_STORE plus the Worker's settings. */
export function createWorkerHandler(env: RepositEnv): Handler {
  const store = createRoutingStore((name) => env.REPO_STORE.getByName(name), DURABLE_OBJECT_KV_LIMITS);
  return createHandler({
    store,
    platform: platformOf(env),
    signingKey: parseSigningKey(required(env, "REPOSIT_SIGNING_KEY")),
    apiToken: required(env, "REPOSIT_API_TOKEN"),
    limits: limitsOf(env),
    ...(env.REPOSIT_PUBLIC_URL ? { publicUrl: env.REPOSIT_PUBLIC_URL } : {}),
    ...(env.REPOSIT_ACCOUNT_ID ? { accountId: env.REPOSIT_ACCOUNT_ID } : {}),
  });
}

/** One handler per env object: its caches (pool views, pack indexes) then live as long as the isolate. */
const handlers = new WeakMap<object, Handler>();

/**
 * The isolate's handler for `env`, built on first use.
 * @example const response = await handlerFor(env).fetch(request);
 */
export function handlerFor(env: RepositEnv): Handler {
  let handler = handlers.get(env);
  if (handler === undefined) {
    handler = createWorkerHandler(env);
    handlers.set(env, handler);
  }
  return handler;
}
