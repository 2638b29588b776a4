import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isNonPublicAddress, literalTargetCheck } from "../../../src/repo/remote/ssrf.ts";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { ArtifactsError } from "../../../src/errors.ts";

describe("isNonPublicAddress()", () => {
  const table: [string, boolean][] = [
    ["127.0.0.1", true], ["127.255.1.2", true], ["10.1.2.3", true], ["172.16.0.1", true], ["172.31.255.255", true],
    ["172.32.0.1", false], ["192.168.1.1", true], ["169.254.169.254", true], ["100.64.0.1", true], ["0.0.0.0", true],
    ["224.0.0.1", true], ["8.8.8.8", false], ["140.82.112.3", false], ["::1", true], ["[::1]", true], ["::", true],
    ["fd00::1", true], ["fe80::1", true], ["ff02::1", true], ["::ffff:127.0.0.1", true], ["::ffff:8.8.8.8", false],
    ["2606:4700::1111", false], ["example.com", false],
  ];
  for (const [address, expected] of table) it(`${address} → ${expected ? "refused" : "public"}`, () => assert.equal(isNonPublicAddress(address), expected));

  // Every IPv4 block the IANA special-purpose registry marks not globally reachable: its first and
  // last address are refused, and where a neighbour is ordinary unicast, that neighbour is public.
  const v4Blocks: [block: string, first: string, last: string, publicNeighbours: string[]][] = [
    ["0.0.0.0/8", "0.0.0.0", "0.255.255.255", ["1.0.0.1"]],
    ["10.0.0.0/8", "10.0.0.0", "10.255.255.255", ["9.255.255.255", "11.0.0.0"]],
    ["100.64.0.0/10", "100.64.0.0", "100.127.255.255", ["100.63.255.255", "100.128.0.0"]],
    ["127.0.0.0/8", "127.0.0.0", "127.255.255.255", ["126.255.255.255", "128.0.0.0"]],
    ["169.254.0.0/16", "169.254.0.0", "169.254.255.255", ["169.253.255.255", "169.255.0.0"]],
    ["172.16.0.0/12", "172.16.0.0", "172.31.255.255", ["172.15.255.255", "172.32.0.0"]],
    ["192.0.0.0/24", "192.0.0.0", "192.0.0.255", ["191.255.255.255", "192.0.1.1"]],
    ["192.0.2.0/24", "192.0.2.0", "192.0.2.255", ["192.0.1.255", "192.0.3.1"]],
    ["192.88.99.0/24", "192.88.99.0", "192.88.99.255", ["192.88.98.255", "192.88.100.0"]],
    ["192.168.0.0/16", "192.168.0.0", "192.168.255.255", ["192.167.255.255", "192.169.0.0"]],
    ["198.18.0.0/15", "198.18.0.0", "198.19.255.255", ["198.17.255.255", "198.20.0.1"]],
    ["198.51.100.0/24", "198.51.100.0", "198.51.100.255", ["198.51.99.255", "198.51.101.0"]],
    ["203.0.113.0/24", "203.0.113.0", "203.0.113.255", ["203.0.112.255", "203.0.114.0"]],
    ["224.0.0.0/4 multicast", "224.0.0.0", "239.255.255.255", ["223.255.255.255"]],
    ["240.0.0.0/4 reserved", "240.0.0.0", "255.255.255.255", []],
  ];
  for (const [block, first, last, neighbours] of v4Blocks) {
    it(`IPv4 ${block}: ${first} and ${last} refused, ${neighbours.join(", ") || "no neighbour"} public`, () => {
      assert.equal(isNonPublicAddress(first), true, first);
      assert.equal(isNonPublicAddress(last), true, last);
      for (const n of neighbours) assert.equal(isNonPublicAddress(n), false, n);
    });
  }

  it("IPv4 blocks IANA marks globally reachable stay public", () => {
    for (const a of ["192.31.196.1", "192.52.193.1", "192.175.48.1", "1.1.1.1", "223.255.255.254"]) assert.equal(isNonPublicAddress(a), false, a);
  });

  it("refuses numeric hosts that are not a canonical dotted quad (a resolver reads them as inet_aton)", () => {
    for (const a of ["127.1", "2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.0.0.1.", "256.1.1.1", "1.2.3.4.5"]) assert.equal(isNonPublicAddress(a), true, a);
  });

  const v6: [string, boolean, string][] = [
    // Outside 2000::/3: refused by the allow-list.
    ["::", true, "unspecified"], ["::1", true, "loopback"], ["0:0:0:0:0:0:0:1", true, "loopback, uncompressed"],
    ["::127.0.0.1", true, "IPv4-compatible ::/96"], ["::7f00:1", true, "IPv4-compatible, as the URL parser writes it"],
    ["::8.8.8.8", true, "IPv4-compatible is deprecated even for a public IPv4"],
    ["64:ff9b::7f00:1", true, "NAT64 64:ff9b::/96"], ["64:ff9b::8.8.8.8", true, "NAT64 reaches IPv4 through a translator"],
    ["64:ff9b:1::1", true, "local-use NAT64 64:ff9b:1::/48"], ["100::1", true, "discard 100::/64"],
    ["fc00::1", true, "unique-local"], ["fdff:ffff::1", true, "unique-local"], ["fe80::1", true, "link-local"],
    ["fe80::1%eth0", true, "link-local with a zone id"], ["febf::1", true, "link-local, last /16"],
    ["fec0::1", true, "site-local fec0::/10"], ["feff::1", true, "site-local, last /16"], ["ff02::1", true, "multicast"],
    ["1fff:ffff::1", true, "just below 2000::/3"], ["4000::1", true, "just above 2000::/3"],
    ["::ffff:0:7f00:1", true, "IPv4-translated ::ffff:0:0:0/96"],
    // IPv4-mapped: judged as the IPv4 address, in every spelling.
    ["::ffff:7f00:1", true, "mapped loopback in hex"], ["::FFFF:7F00:1", true, "mapped, upper case"],
    ["0:0:0:0:0:ffff:127.0.0.1", true, "mapped, uncompressed"], ["::ffff:c000:202", true, "mapped 192.0.2.2"],
    ["::ffff:a9fe:a9fe", true, "mapped metadata address"], ["::ffff:808:808", false, "mapped 8.8.8.8 in hex"],
    // Inside 2000::/3.
    ["2001::1", true, "Teredo 2001::/32"], ["2001:1ff:ffff::1", true, "end of 2001::/23"], ["2001:2::1", true, "benchmarking"],
    ["2001:200::1", false, "just after 2001::/23"], ["2001:4860:4860::8888", false, "public, in 2001::/16 but not 2001::/23"],
    ["2001:db8::1", true, "documentation"], ["2001:DB8:0:0:1:0:0:1", true, "documentation, upper case"],
    ["2001:db7:ffff::1", false, "just below 2001:db8::/32"], ["2001:db9::1", false, "just above 2001:db8::/32"],
    ["2002:7f00:1::1", true, "6to4"], ["2002:808:808::1", true, "6to4, even for a public IPv4"],
    ["2003::1", false, "just after 2002::/16"], ["3fff::1", true, "documentation 3fff::/20"],
    ["3fff:fff::1", true, "end of 3fff::/20"], ["3fff:1000::1", false, "just after 3fff::/20"],
    ["2606:4700:4700::1111", false, "public"], ["2a00:1450:4001:80b::200e", false, "public"],
    ["[2606:4700::1111]", false, "public, bracketed"], ["[FEC0::1]", true, "site-local, bracketed upper case"],
    // Not an address at all, yet with a colon: refused rather than guessed at.
    ["1::2::3", true, "two ::"], ["1:2:3:4:5:6:7:8:9", true, "nine groups"], ["12345::1", true, "group too long"],
    ["::ffff:999.0.0.1", true, "bad IPv4 tail"], ["g::1", true, "not hex"],
  ];
  for (const [address, expected, why] of v6) it(`IPv6 ${address} → ${expected ? "refused" : "public"} (${why})`, () => assert.equal(isNonPublicAddress(address), expected));

  it("judges hostnames exactly as the URL parser writes them", () => {
    const refused = ["https://192.0.2.2/x", "https://[::127.0.0.1]/x", "https://[64:ff9b::127.0.0.1]/x", "https://[fec0::1]/x", "https://[::ffff:127.0.0.1]/x", "https://0x7f.1/x", "https://2130706433/x", "https://[2001:db8::1]/x", "https://198.51.100.7/x", "https://203.0.113.9/x"];
    for (const url of refused) assert.equal(isNonPublicAddress(new URL(url).hostname), true, `${url} as ${new URL(url).hostname}`);
    for (const url of ["https://192.0.3.1/x", "https://[2606:4700::1111]/x", "https://[::ffff:8.8.8.8]/x"]) assert.equal(isNonPublicAddress(new URL(url).hostname), false, url);
  });
});

describe("literalTargetCheck()", () => {
  it("refuses loopback, private, link-local and local names unless explicitly allowed", async () => {
    const check = literalTargetCheck(["127.0.0.1:8080", "git.internal"]);
    for (const url of ["https://127.0.0.1/r.git", "https://localhost/r", "https://169.254.169.254/latest", "https://[::1]/r", "https://10.0.0.5/r", "https://db.local/r", "https://127.0.0.1:9000/r", "https://192.0.2.2/x", "https://[::127.0.0.1]/r", "https://[64:ff9b::7f00:1]/r", "https://[fec0::1]/r"]) {
      await assert.rejects(async () => check(new URL(url)), (e: unknown) => e instanceof ArtifactsError && e.code === "INVALID_URL" && /not a public address/.test(e.message), url);
    }
    for (const url of ["https://github.com/o/r", "http://127.0.0.1:8080/r", "https://git.internal/r"]) await check(new URL(url));
  });

  it("guards imports before any request is made", async () => {
    const calls: string[] = [];
    const handler = createHandler({
      store: createMemoryStore(),
      signingKey: new Uint8Array(32).fill(3),
      apiToken: "t",
      import: { fetch: async (request: Request) => (calls.push(request.url), new Response("nope", { status: 404 })) },
    });
    for (const url of ["https://127.0.0.1/owner/repo", "https://169.254.169.254/latest/meta-data", "https://[::1]/x"]) {
      const response = await handler.fetch(new Request("http://x/client/v4/accounts/a/artifacts/namespaces/ns/repos/imp/import", {
        method: "POST",
        headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
        body: JSON.stringify({ url }),
      }));
      const body = await response.json();
      assert.equal(response.status, 400, url);
      assert.equal(body.errors[0].code, 10104);
      assert.equal(body.errors[0].source.pointer, "/url");
    }
    assert.deepEqual(calls, [], "no request may reach a refused target");
  });
});
