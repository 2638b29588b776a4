/**
 * @module limits
 * Every loop that accumulates bytes or items is bounded by one of these numbers. Hitting one is a
 * clear LimitError, never a crash or an unbounded allocation. Defaults follow Cloudflare Artifacts
 * where it publishes a number (32 MB per object, 1 GB per repository) and git itself elsewhere.
 */

export interface Limits {
  /** Longest pkt-line git allows: 65520 bytes including the 4-byte length (gitprotocol-common, LARGE_PACKET_MAX). */
  maxPktLine: number;
  /** Largest inflated object accepted in a push or produced while resolving deltas (Artifacts: 32 MB). */
  maxObjectBytes: number;
  /** Largest request body for a push (after gzip decoding). */
  maxPushBytes: number;
  /** Largest request body for an upload-pack (negotiation) request, after gzip decoding. */
  maxNegotiationBytes: number;
  /** Most objects one pack may declare. */
  maxPackObjects: number;
  /** Most ref updates in one push. */
  maxRefUpdates: number;
  /** Longest delta chain followed while reading (git's pack-objects default depth is 50; 4095 is its ceiling). */
  maxDeltaDepth: number;
  /** Most bytes one pack may inflate to, objects and resolved deltas together: where a zlib or delta bomb stops. */
  maxInflatedBytes: number;
  /** Most bytes the delta-base cache may hold while indexing or serving. */
  deltaBaseCacheBytes: number;
  /** Largest repository, measured as stored pack bytes (Artifacts: 1 GB). */
  maxRepoBytes: number;
  /** Longest ref name in bytes. */
  maxRefNameBytes: number;
  /** Most `have` lines accepted in one negotiation request. */
  maxHaves: number;
  /** Most `want` lines accepted in one request. */
  maxWants: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPktLine: 65520,
  maxObjectBytes: 32 * 1024 * 1024,
  maxPushBytes: 2 * 1024 * 1024 * 1024,
  maxNegotiationBytes: 64 * 1024 * 1024,
  maxPackObjects: 10_000_000,
  maxRefUpdates: 10_000,
  maxDeltaDepth: 4095,
  maxInflatedBytes: 16 * 1024 * 1024 * 1024,
  deltaBaseCacheBytes: 32 * 1024 * 1024,
  maxRepoBytes: 1024 * 1024 * 1024,
  maxRefNameBytes: 1024,
  maxHaves: 100_000,
  maxWants: 1_000_000,
});

/** Returns the defaults overridden by `overrides`. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
