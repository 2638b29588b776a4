/**
 * @module http/cors
 * Cross-origin access for browser git clients (isomorphic-git) and browser REST clients, following
 * the Fetch standard's CORS protocol ("CORS protocol", "CORS-preflight fetch"). Only the git
 * (`/git/...`) and REST (`/client/v4/...`) paths take part; the console is same-origin and gets
 * nothing.
 *
 * Origins are an exact allow-list (`corsOrigins`, env REPOSIT_CORS_ORIGINS); "*" allows any origin
 * but only when configured on purpose. Credentials travel in the Authorization header, never in
 * cookies, so `Access-Control-Allow-Credentials` is never sent and "*" is answered literally.
 *
 * A request from an origin that is not allowed gets no `Access-Control-*` header at all, so the
 * browser refuses to expose the response to the page. Its preflight is answered 403 with a short
 * text body (also without CORS headers): the browser fails the request either way, and the 403 with
 * a reason is what a developer sees in the network panel, where a bare 204 would look like success.
 *
 * @example
 * const cors = createCors({ origins: ["https://app.example"], basePath: "" });
 * const early = cors.preflight(request);
 * if (early) return early;
 * return cors.apply(request, await route(request));
 */

/** Methods the git and REST routes answer. */
const ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS";

/**
 * Request headers browser clients send that are not CORS-safelisted: the Basic/Bearer credential,
 * the git request content types, protocol v2 negotiation (gitprotocol-http "Smart Clients"), and
 * the ones isomorphic-git (http/web) and REST clients set: `Accept` with git media types and a
 * `User-Agent` where the browser lets a page set it.
 */
const ALLOWED_HEADERS = "Authorization, Content-Type, Git-Protocol, User-Agent, Accept";

/**
 * Response headers a browser client must be able to read beyond the safelisted ones: the auth
 * challenge (isomorphic-git calls onAuth on 401), Retry-After on 409/429/503, and the content
 * headers of byte routes (Content-Type and Content-Length are safelisted in current browsers but
 * not in older ones).
 */
const EXPOSED_HEADERS = "Content-Type, Content-Length, WWW-Authenticate, Retry-After, X-Content-Type-Options";

/** Seconds a browser may cache a preflight; short, so a configuration change applies soon. */
const MAX_AGE_SECONDS = "600";

export interface CorsOptions {
  /** Allowed origins, e.g. "https://app.example" or "http://127.0.0.1:5173"; "*" = any. */
  readonly origins: readonly string[];
  /** Mount point of the handler ("" or e.g. "/git-service"). */
  readonly basePath?: string;
}

export interface Cors {
  /** The answer to an OPTIONS request on a git or REST path, or null for any other request. */
  preflight(request: Request): Response | null;
  /** `response` with the CORS headers `request` is entitled to (the same object when possible). */
  apply(request: Request, response: Response): Response;
}

/**
 * Checks and normalizes one allowed origin: "*" or a serialized http(s) origin (scheme, host and
 * port only; one trailing "/" is tolerated). Throws TypeError otherwise: this is configuration,
 * checked once at start-up.
 * @example normalizeOrigin("HTTPS://App.Example/") // "https://app.example"
 */
export function normalizeOrigin(entry: string): string {
  const text = entry.trim();
  if (text === "*") return "*";
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  if (
    url === null ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== "" ||
    // Patterns such as "https://*.example" parse as a host but would never match: say so now.
    url.hostname.includes("*") ||
    !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(text)
  ) {
    throw new TypeError(`Invalid CORS origin "${text.slice(0, 200)}": expected "*" or scheme://host[:port], e.g. https://app.example`);
  }
  return url.origin;
}

/**
 * Parses a comma-separated origin list (REPOSIT_CORS_ORIGINS); empty or undefined = none.
 * @example parseCorsOrigins("http://127.0.0.1:5173, https://app.example") // two origins
 */
export function parseCorsOrigins(text: string | undefined): string[] {
  if (text === undefined) return [];
  const out: string[] = [];
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const origin = normalizeOrigin(part);
    if (!out.includes(origin)) out.push(origin);
  }
  return out;
}

/** Builds the CORS policy of a handler. With no origins it only answers preflights (403). */
export function createCors(options: CorsOptions): Cors {
  const origins = new Set(options.origins.map(normalizeOrigin));
  const any = origins.has("*");
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const prefixes = [`${base}/git/`, `${base}/client/v4/`];

  const covers = (request: Request): boolean => {
    const path = new URL(request.url).pathname;
    return prefixes.some((p) => path.startsWith(p));
  };
  /** The Access-Control-Allow-Origin value for `origin`, or null when it is not allowed. */
  const allowFor = (origin: string | null): string | null => {
    if (origin === null) return null;
    if (any) return "*";
    return origins.has(origin) ? origin : null;
  };

  return {
    preflight(request) {
      if (request.method !== "OPTIONS" || !covers(request)) return null;
      const origin = request.headers.get("origin");
      if (origin === null || request.headers.get("access-control-request-method") === null) {
        // A plain OPTIONS (not a preflight): say what the resource supports (RFC 9110 §9.3.7).
        return new Response(null, { status: 204, headers: { Allow: ALLOWED_METHODS } });
      }
      const allow = allowFor(origin);
      if (allow === null) {
        return new Response(`Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed: expected one of the configured CORS origins (REPOSIT_CORS_ORIGINS)\n`, {
          status: 403,
          headers: { "Content-Type": "text/plain; charset=utf-8", Vary: "Origin" },
        });
      }
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": allow,
          "Access-Control-Allow-Methods": ALLOWED_METHODS,
          "Access-Control-Allow-Headers": ALLOWED_HEADERS,
          "Access-Control-Max-Age": MAX_AGE_SECONDS,
          Vary: "Origin",
        },
      });
    },

    apply(request, response) {
      if (origins.size === 0) return response;
      const allow = allowFor(request.headers.get("origin"));
      // Shared caches must not serve one origin's answer to another (Fetch "CORS protocol and HTTP caches").
      const varies = !any;
      if ((allow === null && !varies) || !covers(request)) return response;
      const decorate = (headers: Headers) => {
        if (varies) headers.append("Vary", "Origin");
        if (allow !== null) {
          headers.set("Access-Control-Allow-Origin", allow);
          headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
      };
      try {
        decorate(response.headers);
        return response;
      } catch {
        // Immutable headers (Response.redirect/error, or a fetched response): copy, sharing the body stream.
        const copy = new Response(response.body, { status: response.status, statusText: response.statusText, headers: response.headers });
        decorate(copy.headers);
        return copy;
      }
    },
  };
}
