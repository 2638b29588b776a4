/**
 * @module http/app-context
 * What every route handler receives besides the request: the service, the resolved options, the
 * logger and the rate limiter. Built once per handler by src/http/handler.ts.
 */
import type { Reposit } from "../api/reposit.ts";
import type { RequestLimiter } from "./rate-limit.ts";

export interface Logger {
  (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void;
}

export interface AppContext {
  readonly reposit: Reposit;
  /** Control-plane bearer token (compared in constant time). */
  readonly apiToken: string;
  /** Base of `remote` URLs, without a trailing slash; null = derived from each request. */
  readonly publicUrl: string | null;
  /** Path prefix the handler is mounted under ("" or e.g. "/git-service"). */
  readonly basePath: string;
  /** When set, REST calls for any other account id are refused. */
  readonly accountId: string | null;
  readonly log: Logger;
  /**
   * Request budgets per repository (git) and namespace (REST); null or absent: no rate limiting.
   * Routes count a request where its authentication succeeds or fails (src/http/rate-limit.ts).
   */
  readonly limiter?: RequestLimiter | null;
}

/** The base URL clients should use for this server, as seen in `request`. */
export function publicBase(app: AppContext, request: Request): string {
  if (app.publicUrl) return app.publicUrl;
  return new URL(request.url).origin + app.basePath;
}

/** The git remote of a repository. */
export function remoteUrl(app: AppContext, request: Request, ns: string, name: string): string {
  return `${publicBase(app, request)}/git/${encodeURIComponent(ns)}/${encodeURIComponent(name)}.git`;
}
