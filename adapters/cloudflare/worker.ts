/**
 * @module adapters/cloudflare/worker
 * Reposit as a Cloudflare Worker: REST control plane and git smart HTTP from the one fetch handler
 * (src/http/handler.ts), storage in Durable Objects (one per repository, one per fork network's
 * packs, one registry: adapters/cloudflare/routing-store.ts), and the Artifacts binding for other
 * Workers as the `ArtifactsEntrypoint` RPC entry point. Configured by wrangler.jsonc beside this
 * file; bindings and secrets are listed in ./worker-env.ts.
 *
 * `npx wrangler dev -c adapters/cloudflare/wrangler.jsonc` runs it locally; `wrangler deploy` ships it.
 * A Worker module may export only handlers and classes (workerd refuses other values at start-up).
 */
import { handlerFor, type RepositEnv } from "./worker-env.ts";

export { RepoStore } from "./repo-store.ts";
export { ArtifactsEntrypoint } from "./artifacts-entrypoint.ts";

export default {
  async fetch(request: Request, env: RepositEnv): Promise<Response> {
    let handler;
    try {
      handler = handlerFor(env);
    } catch (error) {
      // A configuration mistake (a missing secret): say which, never the secret itself.
      return new Response(`Reposit is not configured: ${(error as Error).message}\n`, { status: 500 });
    }
    return handler.fetch(request);
  },
};
