/**
 * @module http/handler
 * `createHandler(options)` returns `{ fetch }`: the whole server as one WinterCG fetch handler,
 * mountable under a path prefix inside another app. Every runtime entry point (adapters/*) is a few
 * lines around it.
 *
 * @example
 * const { fetch } = createHandler({ store, signingKey, apiToken });
 * Bun.serve({ fetch });
 */
import { Router, type IRequest } from "itty-router";
import type { KvStore } from "../storage/types.ts";
import type { Platform } from "../platform.ts";
import { resolveLimits, type Limits } from "../limits.ts";
import { Reposit } from "../api/reposit.ts";
import type { ImportSettings } from "../api/import-repo.ts";
import { portablePlatform } from "../git/portable-platform.ts";
import { addGitRoutes } from "./git-routes.ts";
import { addRestRoutes } from "./rest-routes.ts";
import { addNamespaceRoutes } from "./rest-namespace-routes.ts";
import { addTokenRoutes } from "./rest-token-routes.ts";
import { addContentRoutes } from "./rest-content-routes.ts";
import { addRefsRoutes } from "./rest-refs-routes.ts";
import { addConsoleRoutes } from "./console-routes.ts";
import { createCors } from "./cors.ts";
import { DEFAULT_RATE_LIMIT, RequestLimiter, type RateLimitOptions } from "./rate-limit.ts";
import { describe, rateLimited, text } from "./error-response.ts";
import type { AppContext, Logger } from "./app-context.ts";

export interface HandlerOptions {
  /** Where everything is stored. */
  readonly store: KvStore;
  /** Key that signs repository tokens (32+ bytes). */
  readonly signingKey: Uint8Array;
  /** Control-plane bearer token. */
  readonly apiToken: string;
  /** Native SHA-1/zlib for the runtime (default: portable implementations). */
  readonly platform?: Platform;
  readonly limits?: Partial<Limits>;
  /** Base for `remote` URLs (e.g. "https://git.example.com"); default: derived from each request. */
  readonly publicUrl?: string;
  /** Mount point inside a host app, e.g. "/git-service". */
  readonly basePath?: string;
  /** Only this account id is served over REST (default: any). */
  readonly accountId?: string;
  readonly log?: Logger;
  readonly now?: () => number;
  /** How imports reach remotes (e.g. `{ allowHttpHosts: ["127.0.0.1:8080"] }`). */
  readonly import?: ImportSettings;
  /** Origins allowed to call the git and REST routes from a browser (exact origins; "*" = any). Default: none. */
  readonly corsOrigins?: readonly string[];
  /** Serve the web console at /console (default: false; the servers turn it on for loopback hosts). */
  readonly console?: boolean;
  /**
   * Requests per window per namespace (REST) and per repository (git); false disables. Default:
   * 2,000 per 10 s. Requests without valid credentials have a budget of their own per key, so they
   * cannot use up the budget of the key's authenticated users.
   */
  readonly rateLimit?: RateLimitOptions | false;
}

export interface Handler {
  fetch(request: Request): Promise<Response>;
  /** The service itself (for the binding API and tests). */
  readonly reposit: Reposit;
}

const defaultLog: Logger = (level, message, fields) => {
  const line = fields ? `${message} ${JSON.stringify(fields)}` : message;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

export function createHandler(options: HandlerOptions): Handler {
  const log = options.log ?? defaultLog;
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  const reposit = new Reposit({
    store: options.store,
    platform: options.platform ?? portablePlatform,
    limits: resolveLimits(options.limits),
    signingKey: options.signingKey,
    ...(options.now ? { now: options.now } : {}),
    ...(options.import ? { import: options.import } : {}),
    onError: (error) => log("error", "unexpected failure", { error: describe(error) }),
  });
  const app: AppContext = {
    reposit,
    apiToken: options.apiToken,
    publicUrl: options.publicUrl ? options.publicUrl.replace(/\/+$/, "") : null,
    basePath,
    accountId: options.accountId ?? null,
    log,
    limiter: options.rateLimit === false ? null : new RequestLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, basePath, options.now),
  };
  const router = Router<IRequest, [AppContext]>({ base: basePath });
  addGitRoutes(router);
  addNamespaceRoutes(router);
  addRestRoutes(router);
  addContentRoutes(router);
  addTokenRoutes(router);
  addRefsRoutes(router);
  if (options.console) addConsoleRoutes(router);
  const cors = createCors({ origins: options.corsOrigins ?? [], basePath });
  return {
    reposit,
    async fetch(request: Request): Promise<Response> {
      const preflight = cors.preflight(request);
      if (preflight) return preflight;
      let response: Response;
      // HEAD is answered as GET without the body (RFC 9110 §9.3.2): same status and headers.
      const head = request.method === "HEAD";
      const routed = head ? new Request(request, { method: "GET" }) : request;
      try {
        // Rate limits are counted by the routes, once they know whether the request authenticated
        // (src/http/rate-limit.ts): before that, a flood of anonymous requests would use up the
        // budget of a repository's or namespace's real users.
        const answer = await router.fetch(routed as IRequest, app);
        response = answer instanceof Response ? answer : new Response("404 Not Found", { status: 404, headers: { "Content-Type": "text/plain; charset=UTF-8" } });
      } catch (error) {
        log("error", "unhandled failure", { error: describe(error) });
        response = text(500, "Internal server error");
      }
      const wait = app.limiter?.settle(routed) ?? 0;
      if (wait > 0) {
        void response.body?.cancel().catch(() => {});
        response = rateLimited(request, wait);
      }
      if (head) response = withoutBody(response);
      return cors.apply(request, response);
    },
  };
}

/** The same status and headers, no body; a streamed body is cancelled so its producer stops. */
function withoutBody(response: Response): Response {
  void response.body?.cancel().catch(() => {});
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
}
