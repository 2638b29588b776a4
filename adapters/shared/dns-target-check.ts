/**
 * @module adapters/shared/dns-target-check
 * The DNS half of import's SSRF rule (src/repo/remote/ssrf.ts): a name is refused when any address it
 * resolves to is not public, unless the host is explicitly allowed. Node, Bun and Deno all provide
 * node:dns. (The connection resolves again; a rebinding name could still flip between the two
 * lookups — a resolver-pinning proxy in front closes that, if it matters to you.)
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ArtifactsError } from "../../src/errors.ts";
import { isNonPublicAddress } from "../../src/repo/remote/ssrf.ts";
import type { TargetCheck } from "../../src/repo/remote/transport.ts";

export function dnsTargetCheck(allowed: readonly string[] = []): TargetCheck {
  const exempt = new Set(allowed.map((h) => h.toLowerCase()));
  return async (url) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (exempt.has(url.hostname.toLowerCase()) || exempt.has(url.host.toLowerCase()) || isIP(host) !== 0) return;
    let addresses: { address: string }[];
    try {
      addresses = await lookup(host, { all: true });
    } catch {
      return; // unresolvable: the request itself fails and is reported as unreachable
    }
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) throw new ArtifactsError("INVALID_URL", `Refusing to import from ${url.host}: it resolves to ${bad.address}, which is not a public address`, { pointer: "/url" });
  };
}
