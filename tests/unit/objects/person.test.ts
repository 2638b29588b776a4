import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Ident, formatIdent, parseIdent } from "../../../src/objects/person.ts";
import { ProtocolError } from "../../../src/errors.ts";

describe("parseIdent", () => {
  it("reads the canonical form", () => {
    assert.deepEqual(parseIdent("A U Thor <author@example.com> 1700000000 +0100"), {
      name: "A U Thor",
      email: "author@example.com",
      timestamp: 1700000000,
      timezone: "+0100",
    });
    assert.deepEqual(parseIdent("Zoë Ünïcode <z@example.com> 0 -0930"), {
      name: "Zoë Ünïcode",
      email: "z@example.com",
      timestamp: 0,
      timezone: "-0930",
    });
    // Canonical too: an empty e-mail, and leading spaces (git keeps them as part of the name).
    assert.deepEqual(parseIdent("Name <> 7 +0200"), { name: "Name", email: "", timestamp: 7, timezone: "+0200" });
    assert.deepEqual(parseIdent("  Leading <a@b> 1 +0000"), { name: "  Leading", email: "a@b", timestamp: 1, timezone: "+0000" });
  });

  // Each odd line git's split_ident_line accepts, with the fields git reads from it.
  const odd: [string, Omit<Ident, "raw">][] = [
    ["<a@b> 5 +0000", { name: "", email: "a@b", timestamp: 5, timezone: "+0000" }],
    ["Name   <a@b>   12   -0700", { name: "Name", email: "a@b", timestamp: 12, timezone: "-0700" }],
    ["Name <a@b>", { name: "Name", email: "a@b", timestamp: 0, timezone: "+0000" }],
    ["Name <a@b> 1234", { name: "Name", email: "a@b", timestamp: 0, timezone: "+0000" }],
    ["Name <a@b> junk +0100", { name: "Name", email: "a@b", timestamp: 0, timezone: "+0000" }],
    ["Name <a@b> 007 +02", { name: "Name", email: "a@b", timestamp: 7, timezone: "+02" }],
    ["Name <a@b> 9 +0100 trailing", { name: "Name", email: "a@b", timestamp: 9, timezone: "+0100" }],
    ["Name <a<b@c>d> 3 +0000", { name: "Name", email: "a<b@c", timestamp: 3, timezone: "+0000" }],
    ["Tab\t<a@b>\t4\t+0000", { name: "Tab", email: "a@b", timestamp: 4, timezone: "+0000" }],
  ];
  for (const [line, fields] of odd) {
    it(`tolerates ${JSON.stringify(line)} and writes it back unchanged`, () => {
      const ident = parseIdent(line);
      const { raw, ...rest } = ident;
      assert.deepEqual(rest, fields);
      assert.equal(raw, line);
      assert.equal(formatIdent(ident), line);
    });
  }

  it("rejects lines without an e-mail in angle brackets", () => {
    for (const line of ["garbage", "", "Name a@b 1 +0000", "Name <a@b 1 +0000", "Name a@b> 1 +0000"]) {
      assert.throws(() => parseIdent(line), (e: unknown) => e instanceof ProtocolError && e.code === "ERR_OBJECT" && e.message.includes(JSON.stringify(line)));
    }
  });
});

describe("formatIdent", () => {
  it("writes the canonical form", () => {
    assert.equal(formatIdent({ name: "A", email: "a@b", timestamp: 1700000000, timezone: "-0500" }), "A <a@b> 1700000000 -0500");
  });

  it("drops the stored spelling once a field changes", () => {
    const ident = parseIdent("Name   <a@b>   12   -0700");
    ident.name = "Other";
    assert.equal(formatIdent(ident), "Other <a@b> 12 -0700");
  });

  it("rejects fields it cannot write", () => {
    const base = { name: "A", email: "a@b", timestamp: 1, timezone: "+0000" };
    for (const bad of [{ name: "A <x>" }, { email: "a>b" }, { name: "A\nB" }, { timestamp: -1 }, { timestamp: 1.5 }, { timezone: "0100" }, { timezone: "+01:00" }]) {
      assert.throws(() => formatIdent({ ...base, ...bad }), ProtocolError, JSON.stringify(bad));
    }
  });

  it("round-trips generated identities", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 20 }).filter((s) => !/[<>\n\0]/.test(s));
    const arb = fc.record({
      name: text.map((s) => s.replace(/[ \t\r]+$/, "")),
      email: text,
      timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
      timezone: fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 1459 })).map(([s, n]) => s + String(n).padStart(4, "0")),
    });
    fc.assert(
      fc.property(arb, (ident) => {
        const line = formatIdent(ident);
        assert.equal(line, `${ident.name} <${ident.email}> ${ident.timestamp} ${ident.timezone}`);
        assert.deepEqual(parseIdent(line), { ...ident });
      }),
      { numRuns: 300 },
    );
  });
});
