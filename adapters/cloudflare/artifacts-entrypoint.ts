/**
 * @module adapters/cloudflare/artifacts-entrypoint
 * The Artifacts binding (spec/artifacts-api.md §2.2) for other Workers, over Workers RPC: a consumer
 * binds this Worker's `ArtifactsEntrypoint` as a service and calls it exactly like Cloudflare's own
 * binding —
 *
 *   // consumer wrangler.jsonc
 *   "services": [{ "binding": "ARTIFACTS", "service": "reposit", "entrypoint": "ArtifactsEntrypoint",
 *                  "props": { "namespace": "agents" } }]
 *   // consumer code
 *   const { remote, token } = await env.ARTIFACTS.create("scratch");
 *   using repo = await env.ARTIFACTS.get("scratch");
 *   const { plaintext } = await repo.createToken("read", 3600);
 *
 * Namespace: Cloudflare's binding fixes one namespace per binding (§2.1), so ours is fixed per
 * service binding too: `props.namespace` of the binding when given (one Reposit Worker can serve
 * several bindings with different namespaces), else the Worker's `ARTIFACTS_NAMESPACE` var, else
 * "default". The binding is the credential (§2.1): whoever holds it needs no API token.
 *
 * `get()` returns an RpcTarget, so the consumer holds a stub whose methods run here; metadata
 * properties (`repo.remote`, …) are getters of the snapshot taken at `get()` time, awaited over RPC.
 * Errors arrive as `ArtifactsError`-named errors with `code` and `numericCode`: workerd serializes
 * an error's own properties from compatibility date 2026-04-21 (`enhanced_error_serialization`).
 *
 * Blob results: workerd serializes `Blob` over RPC only in releases newer than our pinned one
 * (workerd PR #6815). Where it cannot, readBlob/readFile return a `Response` with the same bytes and
 * Content-Type instead, which shares Blob's `text()`, `arrayBuffer()` and `bytes()`.
 */
import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
import { createArtifacts, type Artifacts, type ArtifactsRepo } from "../../src/api/binding.ts";
import type { LogOptions } from "../../src/api/content.ts";
import type { TokenScope } from "../../src/auth/token-claims.ts";
import { ArtifactsError } from "../../src/errors.ts";
import { handlerFor, type RepositEnv } from "./worker-env.ts";

let blobCrossesRpc: boolean | undefined;

/** Whether this runtime can send a Blob over RPC (the same serializer backs structuredClone). */
function canSendBlob(): boolean {
  if (blobCrossesRpc === undefined) {
    try {
      structuredClone(new Blob([]));
      blobCrossesRpc = true;
    } catch {
      blobCrossesRpc = false;
    }
  }
  return blobCrossesRpc;
}

/** A Blob as the runtime can send it: itself, or a Response carrying its bytes and type. */
function sendable(blob: Blob | null): Blob | Response | null {
  if (blob === null || canSendBlob()) return blob;
  return new Response(blob, { headers: { "Content-Type": blob.type || "application/octet-stream" } });
}

/**
 * A repository handle as an RPC capability (what `get()` returns to the consumer).
 * @example using repo = await env.ARTIFACTS.get("scratch"); await repo.info();
 */
export class ArtifactsRepoTarget extends RpcTarget {
  readonly #repo: ArtifactsRepo;

  constructor(repo: ArtifactsRepo) {
    super();
    this.#repo = repo;
  }

  get id() { return this.#repo.id; }
  get name() { return this.#repo.name; }
  get description() { return this.#repo.description; }
  get defaultBranch() { return this.#repo.defaultBranch; }
  get createdAt() { return this.#repo.createdAt; }
  get updatedAt() { return this.#repo.updatedAt; }
  get lastPushAt() { return this.#repo.lastPushAt; }
  get source() { return this.#repo.source; }
  get readOnly() { return this.#repo.readOnly; }
  get remote() { return this.#repo.remote; }

  info() { return this.#repo.info(); }
  createToken(scope?: TokenScope, ttl?: number) { return this.#repo.createToken(scope, ttl); }
  listTokens() { return this.#repo.listTokens(); }
  revokeToken(tokenOrId: string) { return this.#repo.revokeToken(tokenOrId); }
  fork(name: string, opts?: Parameters<ArtifactsRepo["fork"]>[1]) { return this.#repo.fork(name, opts); }
  log(opts?: LogOptions) { return this.#repo.log(opts); }
  readCommit(hash: string) { return this.#repo.readCommit(hash); }
  readTree(hash: string) { return this.#repo.readTree(hash); }
  async readBlob(hash: string) { return sendable(await this.#repo.readBlob(hash)); }
  async readFile(args: { ref: string; path: string }) { return sendable(await this.#repo.readFile(args)); }
}

/** What a service binding may pass as `props`. */
interface ArtifactsProps {
  readonly namespace?: string;
}

/**
 * The binding's entry point: `create`, `get`, `import`, `list`, `delete` on one namespace.
 * @example // miniflare: serviceBindings: { ARTIFACTS: { name: "reposit", entrypoint: "ArtifactsEntrypoint" } }
 */
export class ArtifactsEntrypoint extends WorkerEntrypoint<RepositEnv> {
  #artifacts(): Artifacts {
    const env = this.env;
    if (!env.REPOSIT_PUBLIC_URL) {
      throw new ArtifactsError("INTERNAL_ERROR", "Cannot build remote URLs: set REPOSIT_PUBLIC_URL (e.g. \"https://git.example.com\") in the Reposit Worker's vars");
    }
    const props = (this.ctx as { props?: ArtifactsProps }).props;
    const namespace = props?.namespace ?? env.ARTIFACTS_NAMESPACE ?? "default";
    return createArtifacts({ reposit: handlerFor(env).reposit, publicUrl: env.REPOSIT_PUBLIC_URL }).namespace(namespace);
  }

  create(name: string, opts?: Parameters<Artifacts["create"]>[1]) {
    return this.#artifacts().create(name, opts);
  }

  async get(name: string): Promise<ArtifactsRepoTarget> {
    return new ArtifactsRepoTarget(await this.#artifacts().get(name));
  }

  import(params: Parameters<Artifacts["import"]>[0]) {
    return this.#artifacts().import(params);
  }

  list(opts?: Parameters<Artifacts["list"]>[0]) {
    return this.#artifacts().list(opts);
  }

  delete(name: string) {
    return this.#artifacts().delete(name);
  }
}
