/**
 * @module repo/remote/ssrf
 * Import must not become a way to reach the server's own network: targets that are loopback,
 * private (RFC 1918, unique-local), link-local, carrier-grade NAT, unspecified or otherwise
 * non-public are refused unless their host is explicitly allowed (REPOSIT_IMPORT_ALLOW_PRIVATE, or
 * REPOSIT_IMPORT_ALLOW_HTTP for plain-http hosts). The check runs before every request and every
 * redirect hop. Here we judge literal addresses and reserved names; entry points that can resolve
 * DNS add a check of every address a name resolves to (adapters/shared/dns-target-check.ts), which
 * closes names that point at private addresses.
 */
import { ArtifactsError } from "../../errors.ts";
import type { TargetCheck } from "./transport.ts";

/** True when an IPv4 or IPv6 literal is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) {
    const [b0, b1] = [Number(v4[1]), Number(v4[2])];
    return (
      b0 === 0 || b0 === 10 || b0 === 127 || b0 >= 224 || // this network, private, loopback, multicast/reserved
      (b0 === 169 && b1 === 254) || // link-local (cloud metadata lives here)
      (b0 === 172 && b1 >= 16 && b1 <= 31) ||
      (b0 === 192 && b1 === 168) ||
      (b0 === 100 && b1 >= 64 && b1 <= 127) || // carrier-grade NAT
      (b0 === 192 && b1 === 0 && Number(v4[3]) === 0) ||
      (b0 === 198 && (b1 === 18 || b1 === 19)) // benchmarking
    );
  }
  if (!a.includes(":")) return false;
  if (a === "::" || a === "::1") return true;
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(a);
  if (mapped) return isNonPublicAddress(mapped[1]!);
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(a)) return true; // mapped, hex form: refuse rather than parse
  const first = parseInt(a.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00; // ULA, link-local, multicast
}

/** Names that only ever mean this machine or a local network. */
function isLocalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || h === "metadata.google.internal";
}

/**
 * The literal check, with `allowed` hosts ("host" or "host:port") exempt.
 * Throws INVALID_URL naming the refused host.
 */
export function literalTargetCheck(allowed: readonly string[] = []): TargetCheck {
  const exempt = new Set(allowed.map((h) => h.toLowerCase()));
  return (url) => {
    const host = url.hostname.toLowerCase();
    if (exempt.has(host) || exempt.has(url.host.toLowerCase())) return;
    if (isNonPublicAddress(host) || isLocalName(host)) {
      throw new ArtifactsError("INVALID_URL", `Refusing to import from ${url.host}: it is not a public address`, { pointer: "/url" });
    }
  };
}

/** Combines checks: every one must pass. */
export function allTargetChecks(...checks: (TargetCheck | undefined)[]): TargetCheck {
  return async (url) => {
    for (const check of checks) await check?.(url);
  };
}
