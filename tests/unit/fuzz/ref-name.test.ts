/**
 * Fuzzing the ref name rules (repo/ref-name.ts; git-check-ref-format "DESCRIPTION"). Names are
 * built from the pieces the rules are about (".", "..", "@{", ".lock", "/", control characters,
 * ~^:?*[\ and space, non-ASCII, lone surrogates) and checked against the real
 * `git check-ref-format` (with and without --allow-onelevel, and receive-pack's "refs/" rule on
 * top). The checks never throw on any string or byte string, agree between a string and its UTF-8
 * bytes, and refSortCompare orders like a byte comparison of UTF-8.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import process from "node:process";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { checkBranchName, checkRefFormat, checkRefnameFormat, isValidBranchName, refSortCompare } from "../../../src/repo/ref-name.ts";
import { fuzzParams, settleSync } from "./fuzz-support.ts";

const encoder = new TextEncoder();

/** Pieces names are made of: ordinary ones and every character or sequence a rule is about. */
const piece = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("main", "heads", "tags", "v1.0", "a", "x-y_z", "HEAD", "refs", "feature", "\u00e9t\u00e9", "\u{1f600}") },
  { weight: 4, arbitrary: fc.constantFrom("/", ".", "..", "@", "@{", "{", ".lock", "lock", "-", "~", "^", ":", "?", "*", "[", "\\", " ", "\t", "\x7f", "\x01", "\n") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
);
/** Mostly "a/b/c"-shaped: 1-4 components of 0-3 pieces each. */
const name = fc.array(fc.array(piece, { maxLength: 3 }).map((parts) => parts.join("")), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));

/** Strings with lone surrogates too (git never sees those: they are not UTF-8). */
const anyString = fc.oneof(name, fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 }));

/**
 * Asks git about every name with one shell: the exit status of `git check-ref-format
 * --allow-onelevel` (129 means git took the name for an option). Without the flag git accepts the
 * same names when they have two components (refs.c check_refname_format counts them only for that
 * rule), which saves a process per name.
 */
function gitVerdicts(names: readonly string[]): number[] {
  const script = 'while IFS= read -r -d "" n; do git check-ref-format --allow-onelevel "$n" 2>/dev/null; echo $?; done';
  const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LC_ALL: "C", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" };
  const out = execFileSync("bash", ["-c", script], { input: names.map((n) => `${n}\0`).join(""), env });
  return new TextDecoder().decode(out).trim().split("\n").map(Number);
}

describe("fuzz: ref names against git check-ref-format", () => {
  it("accepts exactly what git accepts, onelevel or not, and under refs/ as receive-pack does (property)", () => {
    let compared = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(name.filter((n) => !n.includes("\0")), { minLength: 40, maxLength: 40 }), (names) => {
        const verdicts = gitVerdicts(names);
        assert.equal(verdicts.length, names.length);
        names.forEach((n, i) => {
          const onelevel = verdicts[i]!;
          if (onelevel === 129) return; // "-x" is an option to the git CLI
          const plain = onelevel === 0 && n.includes("/") ? 0 : 1;
          compared++;
          const ours = settleSync("checkRefnameFormat", () => checkRefnameFormat(n));
          const oursOnelevel = settleSync("checkRefnameFormat", () => checkRefnameFormat(n, { allowOnelevel: true }));
          assert.ok(ours.ok && oursOnelevel.ok);
          assert.equal(oursOnelevel.value === null, onelevel === 0, `${JSON.stringify(n)} with --allow-onelevel: git says ${onelevel}, we say ${oursOnelevel.value}`);
          assert.equal(ours.value === null, plain === 0, `${JSON.stringify(n)}: git says ${plain}, we say ${ours.value}`);
          const pushed = checkRefFormat(`refs/${n}`);
          const fits = encoder.encode(`refs/${n}`).length <= 1024;
          assert.equal(pushed === null, plain === 0 && fits, `refs/${JSON.stringify(n)}: git says ${plain}, we say ${pushed}`);
          if (plain === 0) accepted++;
        });
      }),
      fuzzParams(2),
    );
    assert.ok(accepted > 0 && accepted < compared, `${accepted} of ${compared} names were valid: the generator misses a side`);
  });
});

describe("fuzz: ref name checks", () => {
  it("never throw, and a string and its UTF-8 bytes get the same verdict (property)", () => {
    fc.assert(
      fc.property(anyString, fc.integer({ min: 0, max: 64 }), (n, maxBytes) => {
        const text = settleSync("checkRefFormat", () => checkRefFormat(n, maxBytes));
        assert.ok(text.ok && (text.value === null || typeof text.value === "string"));
        const checks: (() => unknown)[] = [() => checkRefnameFormat(n), () => checkBranchName(n), () => isValidBranchName(n), () => checkRefFormat(n)];
        for (const check of checks) {
          assert.ok(settleSync("ref name check", check).ok);
        }
        const bytes = encoder.encode(n);
        const fromBytes = settleSync("checkRefFormat", () => checkRefFormat(bytes, maxBytes));
        assert.ok(fromBytes.ok);
        const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(n);
        if (lone) assert.equal(text.value, "must be valid UTF-8");
        else assert.equal(fromBytes.value, text.value);
        if (bytes.length > maxBytes && !lone) assert.match(text.value!, /must be at most/);
      }),
      fuzzParams(3000),
    );
  });

  it("refuse byte strings that are not UTF-8, whatever else they hold (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const verdict = settleSync("checkRefFormat", () => checkRefFormat(bytes));
        assert.ok(verdict.ok);
        let valid = true;
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        if (!valid) assert.equal(verdict.value, "must be valid UTF-8");
      }),
      fuzzParams(2000),
    );
  });

  it("refSortCompare orders like comparing UTF-8 bytes (property)", () => {
    const unicode = fc.string({ unit: "binary", maxLength: 8 });
    fc.assert(
      fc.property(unicode, unicode, (a, b) => {
        const expected = Math.sign(Buffer.compare(encoder.encode(a), encoder.encode(b)));
        assert.equal(Math.sign(refSortCompare(a, b)), expected);
        assert.equal(Math.sign(refSortCompare(b, a)), 0 - expected);
      }),
      fuzzParams(3000),
    );
  });
});
