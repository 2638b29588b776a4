/**
 * @module http/rate-limit
 * Request rate limits with Artifacts' numbers as defaults: 2,000 requests per 10 seconds per
 * namespace on the control plane and per repository on git routes. Over the limit a request gets
 * 429 with `Retry-After`. Counting is a sliding window over two fixed windows (the previous
 * window's count weighted by how much of it still overlaps), per process: several processes (or
 * Worker isolates) each allow the limit, so put a shared limiter in front if that matters.
 *
 * Each key has two budgets: requests that authenticated (counted where authentication succeeds:
 * src/http/git-routes.ts, src/http/rest-auth.ts) and every other request for that key (no or bad
 * credentials, unknown repository, malformed request: `<key> anonymous`). A flood of requests
 * without valid credentials therefore only throttles other such requests, never the owner's.
 */
import { nameKey } from "../api/names.ts";
import { ArtifactsError } from "../errors.ts";

export interface RateLimitOptions {
  /** Requests allowed per window and key. */
  readonly requests: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = Object.freeze({ requests: 2000, windowMs: 10_000 });

interface Counter {
  window: number;
  current: number;
  previous: number;
}

/** Keeps counts for at most this many keys; the oldest are dropped first (they are idle anyway). */
const MAX_KEYS = 100_000;

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  readonly #counters = new Map<string, Counter>();

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Counts a request for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const { requests, windowMs } = this.#options;
    const now = this.#now();
    const window = Math.floor(now / windowMs);
    let c = this.#counters.get(key);
    if (!c) {
      if (this.#counters.size >= MAX_KEYS) this.#counters.delete(this.#counters.keys().next().value!);
      c = { window, current: 0, previous: 0 };
      this.#counters.set(key, c);
    } else if (c.window !== window) {
      c.previous = c.window === window - 1 ? c.current : 0;
      c.current = 0;
      c.window = window;
    }
    const elapsed = (now - window * windowMs) / windowMs;
    const estimate = c.previous * (1 - elapsed) + c.current;
    if (estimate >= requests) return Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    c.current++;
    return 0;
  }
}

/**
 * The key a request is limited by: its repository (git), its namespace (REST), or null (not
 * limited). Names are percent-decoded and case-folded as lookups do (src/api/names.ts), so every
 * spelling of one repository shares one budget; a path that does not decode gets one shared key.
 */
export function rateLimitKey(pathname: string, basePath: string): string | null {
  const path = basePath && pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname;
  let m = /^\/git\/([^/]+)\/([^/]+)\//.exec(path);
  if (m) {
    const ns = decodeName(m[1]!);
    let repo = decodeName(m[2]!);
    if (ns === null || repo === null) return `git:${UNDECODABLE}`;
    // As src/http/git-routes.ts reads the name: decoded first, then one ".git" dropped.
    if (repo.endsWith(".git")) repo = repo.slice(0, -4);
    return `git:${nameKey(ns)}/${nameKey(repo)}`;
  }
  m = /^\/client\/v4\/accounts\/[^/]+\/artifacts\/namespaces\/([^/]+)/.exec(path);
  if (m) {
    const ns = decodeName(m[1]!);
    return `ns:${ns === null ? UNDECODABLE : nameKey(ns)}`;
  }
  if (/^\/client\/v4\/accounts\/[^/]+\/artifacts\//.test(path)) return "control";
  return null;
}

/** Stands for a path segment that is not valid percent-encoding ("(" never occurs in a name). */
const UNDECODABLE = "(undecodable)";

function decodeName(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The bucket of `key` that requests without valid credentials draw from. */
export function anonymousKey(key: string): string {
  return `${key} anonymous`;
}

/** Thrown where a counted request is over its budget; the handler answers 429 (see `RequestLimiter.settle`). */
export class RateLimitedError extends ArtifactsError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super("RATE_LIMITED", `Too many requests: retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Counts each request once, in the budget its authentication outcome selects, and remembers the
 * requests it refused so the handler can answer them with 429 whatever route caught the error.
 * @example
 * const wait = limiter.take(request, true); // after the credentials checked out
 * if (wait > 0) throw limiter.refuse(request, wait);
 */
export class RequestLimiter {
  readonly #limiter: RateLimiter;
  readonly #basePath: string;
  /** Requests already counted → seconds to wait (0 = allowed). */
  readonly #counted = new WeakMap<object, number>();
  readonly #refused = new WeakMap<object, number>();

  constructor(options: RateLimitOptions, basePath: string, now?: () => number) {
    this.#limiter = new RateLimiter(options, now);
    this.#basePath = basePath;
  }

  /**
   * Counts `request` in its key's budget (`authenticated`) or the key's anonymous budget, and
   * returns 0 when allowed, else the seconds to wait. A request is counted once: later calls
   * return the first answer. Requests outside the limited routes are never counted (0).
   */
  take(request: Request, authenticated: boolean): number {
    const known = this.#counted.get(request);
    if (known !== undefined) return known;
    const key = rateLimitKey(new URL(request.url).pathname, this.#basePath);
    const wait = key === null ? 0 : this.#limiter.take(authenticated ? key : anonymousKey(key));
    this.#counted.set(request, wait);
    return wait;
  }

  /** Marks `request` as refused for `wait` seconds and returns the error to throw. */
  refuse(request: Request, wait: number): RateLimitedError {
    this.#refused.set(request, wait);
    return new RateLimitedError(wait);
  }

  /** Counts and refuses in one step: throws RateLimitedError when `request` is over its budget. */
  enforce(request: Request, authenticated: boolean): void {
    const wait = this.take(request, authenticated);
    if (wait > 0) throw this.refuse(request, wait);
  }

  /**
   * After routing: counts a request no route counted (a 404, a malformed request) as anonymous,
   * refusing it when over, and returns the seconds a refused request must wait (0: answer as routed).
   */
  settle(request: Request): number {
    if (!this.#counted.has(request)) {
      const wait = this.take(request, false);
      if (wait > 0) this.#refused.set(request, wait);
    }
    return this.#refused.get(request) ?? 0;
  }
}
