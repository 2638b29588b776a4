/**
 * @module repo/remote/ssrf
 * Import must not become a way to reach the server's own network: targets that are loopback,
 * private (RFC 1918, unique-local), link-local, carrier-grade NAT, unspecified, documentation,
 * reserved or otherwise not globally reachable (per the IANA special-purpose address registries)
 * are refused unless their host is explicitly allowed (REPOSIT_IMPORT_ALLOW_PRIVATE, or
 * REPOSIT_IMPORT_ALLOW_HTTP for plain-http hosts). The check runs before every request and every
 * redirect hop. Here we judge literal addresses and reserved names; entry points that can resolve
 * DNS add a check of every address a name resolves to (adapters/shared/dns-target-check.ts), which
 * closes names that point at private addresses.
 */
import { ArtifactsError } from "../../errors.ts";
import type { TargetCheck } from "./transport.ts";

/**
 * IPv4 blocks that are not globally reachable, from the IANA IPv4 Special-Purpose Address Registry.
 * Blocks the registry marks globally reachable (AS112 192.31.196.0/24 and 192.175.48.0/24, AMT
 * 192.52.193.0/24) are public. 192.0.0.0/24 is refused whole although two of its /32s (192.0.0.9,
 * .10) are anycast services: no git host lives there, and a partial rule is easy to get wrong.
 */
const NON_PUBLIC_V4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network": 0.0.0.0 connects to the local host on most stacks
  ["10.0.0.0", 8], // private (RFC 1918)
  ["100.64.0.0", 10], // carrier-grade NAT shared space
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata lives here)
  ["172.16.0.0", 12], // private (RFC 1918)
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation TEST-NET-1: never routed, so any host answering it is local
  ["192.88.99.0", 24], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16], // private (RFC 1918)
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation TEST-NET-2
  ["203.0.113.0", 24], // documentation TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, including limited broadcast 255.255.255.255
];

/** [network, mask] pairs of NON_PUBLIC_V4, as unsigned 32-bit numbers. */
const NON_PUBLIC_V4_MASKS = NON_PUBLIC_V4.map(([network, bits]) => {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return [parseIPv4(network)!, mask] as const;
});

/**
 * IPv6 blocks inside 2000::/3 (the only block we treat as public at all) that are not public:
 * everything outside 2000::/3 is refused by default, so new IANA assignments start out refused.
 * 2001::/23 is special-purpose as a whole (Teredo 2001::/32, benchmarking, ORCHID, …); a few of its
 * blocks are globally reachable, but refusing all of it is simple and costs no real git host.
 */
const NON_PUBLIC_V6_IN_GLOBAL: readonly (readonly [string, number])[] = [
  ["2001::", 23], // IETF protocol assignments, including Teredo (tunnels to an embedded IPv4)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: reaches the embedded IPv4 through a relay, and relays are deprecated (RFC 7526)
  ["3fff::", 20], // documentation
];

/** [groups, prefix length] pairs of NON_PUBLIC_V6_IN_GLOBAL. */
const NON_PUBLIC_V6_GROUPS = NON_PUBLIC_V6_IN_GLOBAL.map(([network, bits]) => [parseIPv6(network)!, bits] as const);

/**
 * True when an IPv4 or IPv6 literal is not a public unicast address. Accepts every form a URL
 * hostname or a resolver answer takes: brackets, upper case, compressed IPv6, a dotted IPv4 tail,
 * and a zone id (fe80::1%eth0). Plain names answer false: they are judged by name and by resolution.
 */
export function isNonPublicAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  const v4 = parseIPv4(a);
  if (v4 !== undefined) return isNonPublicIPv4(v4);
  // Numbers that are not a canonical dotted quad (127.1, 2130706433, 0177.0.0.1, 0x7f.1): URLs
  // normalise these, but a resolver reads them as inet_aton does, so refuse rather than guess.
  if (/^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+))*\.?$/.test(a)) return true;
  if (!a.includes(":")) return false;
  const v6 = parseIPv6(a);
  return v6 === undefined || isNonPublicIPv6(v6); // a colon but no valid address: refuse rather than guess
}

function isNonPublicIPv4(address: number): boolean {
  return NON_PUBLIC_V4_MASKS.some(([network, mask]) => ((address & mask) >>> 0) === network);
}

/**
 * An allow-list: only 2000::/3 global unicast can be public. That alone refuses the unspecified and
 * loopback addresses, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48 (a translator
 * would carry us to any IPv4 address, private ones included), discard 100::/64, unique-local
 * fc00::/7, link-local fe80::/10, site-local fec0::/10 and multicast ff00::/8. IPv4-mapped
 * addresses (::ffff:a.b.c.d) are the IPv4 address itself to a dual-stack socket, so they are judged
 * as that address.
 */
function isNonPublicIPv6(groups: readonly number[]): boolean {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return isNonPublicIPv4(((groups[6]! << 16) | groups[7]!) >>> 0);
  if ((groups[0]! & 0xe000) !== 0x2000) return true;
  return NON_PUBLIC_V6_GROUPS.some(([network, bits]) => inIPv6Prefix(groups, network, bits));
}

/** True when the first `bits` bits of two IPv6 addresses (as eight 16-bit groups) agree. */
function inIPv6Prefix(groups: readonly number[], network: readonly number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((groups[i]! & mask) !== (network[i]! & mask)) return false;
  }
  return true;
}

/**
 * A canonical dotted quad as an unsigned 32-bit number, or undefined. Octets with leading zeros are
 * not canonical: inet_aton would read them as octal.
 */
function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/**
 * The eight 16-bit groups of a lower-case IPv6 literal (compressed or not, with or without a dotted
 * IPv4 tail), or undefined when it is not one.
 */
function parseIPv6(text: string): number[] | undefined {
  let s = text;
  const tail = /^(.*:)([^:]*\.[^:]*)$/.exec(s); // a dotted IPv4 tail becomes the last two groups
  if (tail) {
    const v4 = parseIPv4(tail[2]!);
    if (v4 === undefined) return undefined;
    s = `${tail[1]}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const split = (part: string) => (part === "" ? [] : part.split(":"));
  const head = split(halves[0]!);
  const rest = halves.length === 2 ? split(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
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
