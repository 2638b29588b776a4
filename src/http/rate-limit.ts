/**
 * @module http/rate-limit
 * Request rate limits with Artifacts' numbers as defaults: 2,000 requests per 10 seconds per
 * namespace on the control plane and per repository on git routes. Over the limit a request gets
 * 429 with `Retry-After`. Counting is a sliding window over two fixed windows (the previous
 * window's count weighted by how much of it still overlaps), per process: several processes (or
 * Worker isolates) each allow the limit, so put a shared limiter in front if that matters.
 */

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

/** The key a request is limited by: its repository (git), its namespace (REST), or null (not limited). */
export function rateLimitKey(pathname: string, basePath: string): string | null {
  const path = basePath && pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname;
  let m = /^\/git\/([^/]+)\/([^/]+?)(?:\.git)?\//.exec(path);
  if (m) return `git:${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`;
  m = /^\/client\/v4\/accounts\/[^/]+\/artifacts\/namespaces\/([^/]+)/.exec(path);
  if (m) return `ns:${m[1]!.toLowerCase()}`;
  if (/^\/client\/v4\/accounts\/[^/]+\/artifacts\//.test(path)) return "control";
  return null;
}
