import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeFetchV0, decodeFetchV2Args, emptyFetchRequest } from "../../../src/repo/fetch-request.ts";
import { PktLineReader } from "../../../src/git/pkt-line.ts";
import { resolveLimits } from "../../../src/limits.ts";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { chunked, pkt } from "./fixtures.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
const limits = resolveLimits();

/** Decodes a v0 body delivered in 3-byte chunks (frames span chunks). */
const v0 = (lines: string[], l = limits) => decodeFetchV0(new PktLineReader(chunked(pkt(lines), 3)), l);

describe("decodeFetchV0", () => {
  it("reads wants with the first line's capabilities, haves and done", async () => {
    const req = await v0([
      `want ${A} multi_ack_detailed no-done side-band-64k thin-pack ofs-delta include-tag no-progress deepen-relative agent=git/2.39\n`,
      `want ${B}\n`,
      "0000",
      `have ${C}\n`,
      `have ${A}\n`,
      "done\n",
    ]);
    assert.deepEqual(req, {
      ...emptyFetchRequest(),
      wants: [A, B],
      haves: [C, A],
      done: true,
      sawHaves: true,
      thinPack: true,
      ofsDelta: true,
      sideband: 65520,
      noProgress: true,
      includeTag: true,
      multiAck: 2,
      noDone: true,
      deepenRelative: true,
    });
  });

  it("reads the shallow, deepen and filter lines", async () => {
    const req = await v0([`want ${A} multi_ack side-band shallow filter\n`, `shallow ${B}\n`, "deepen 3\n", "filter blob:none\n", "0000", "done\n"]);
    assert.equal(req.multiAck, 1);
    assert.equal(req.sideband, 1000);
    assert.deepEqual(req.clientShallow, [B]);
    assert.equal(req.depth, 3);
    assert.equal(req.filter, "blob:none");
    const since = await v0([`want ${A}\n`, "deepen-since 1700000000\n", "deepen-not refs/heads/x\n", "deepen-not v1\n", "0000"]);
    assert.equal(since.deepenSince, 1700000000);
    assert.deepEqual(since.deepenNot, ["refs/heads/x", "v1"]);
    assert.equal(since.endedAfterWants, true, "a stateless client's first deepen request ends after the wants");
  });

  it("tells a negotiation round (flush) from the last request (done)", async () => {
    const round = await v0([`want ${A}\n`, "0000", `have ${B}\n`, "0000"]);
    assert.equal(round.done, false);
    assert.equal(round.endedAfterWants, false);
    assert.deepEqual(round.haves, [B]);
    const empty = await v0([]);
    assert.deepEqual(empty.wants, []);
  });

  it("refuses malformed requests with git's messages", async () => {
    const refuses = async (lines: string[], pattern: RegExp, type: typeof ProtocolError | typeof LimitError = ProtocolError, l = limits) =>
      assert.rejects(v0(lines, l), (e: unknown) => e instanceof type && pattern.test(e.message), lines.join("|"));
    await refuses([`have ${A}\n`, "0000"], /^git upload-pack: protocol error, expected to get object ID, not 'have a+'$/);
    await refuses([`want ${A.toUpperCase()}\n`, "0000"], /^Invalid want line "want A+": expected a 40-character lowercase hex object id$/);
    await refuses([`want ${A} bogus-cap\n`, "0000"], /client requested capability "bogus-cap"/);
    await refuses([`want ${A}\n`, "filter blob:none\n", "0000"], /^git upload-pack: filtering capability not negotiated$/);
    await refuses([`want ${A} filter\n`, "filter blob:none\n", "filter tree:0\n", "0000"], /^multiple filter-specs cannot be combined$/);
    await refuses([`want ${A}\n`, "deepen 0\n", "0000"], /^Invalid deepen: deepen 0$/);
    await refuses([`want ${A}\n`, "0000", "want b\n"], /^git upload-pack: expected SHA1 list, got 'want b'$/);
    await refuses([`want ${A}\n`], /ended before the flush after the want lines/);
    await refuses([`want ${A}\n`, `want ${B}\n`, "0000"], /^Too many want lines: more than 1$/, LimitError, resolveLimits({ maxWants: 1 }));
    await refuses([`want ${A}\n`, "0000", `have ${A}\n`, `have ${B}\n`, "done\n"], /^Too many have lines: more than 1$/, LimitError, resolveLimits({ maxHaves: 1 }));
  });
});

describe("repeated want lines", () => {
  it("keep one want each, in first-seen order, as upload-pack's WANTED flag does; the limit counts lines", async () => {
    const v0req = await v0([`want ${A} multi_ack_detailed\n`, `want ${B}\n`, `want ${A}\n`, `want ${B}\n`, `want ${C}\n`, "0000", "done\n"]);
    assert.deepEqual(v0req.wants, [A, B, C]);
    assert.equal(v0req.multiAck, 2);
    const v2req = decodeFetchV2Args([`want ${B}`, `want ${B}`, `want ${A}`, `want ${B}`, "done"], limits);
    assert.deepEqual(v2req.wants, [B, A]);
    const two = resolveLimits({ maxWants: 2 });
    await assert.rejects(v0([`want ${A}\n`, `want ${A}\n`, `want ${A}\n`, "0000"], two), (e: unknown) => e instanceof LimitError && e.message === "Too many want lines: more than 2");
    assert.throws(() => decodeFetchV2Args([`want ${A}`, `want ${A}`, `want ${A}`], two), (e: unknown) => e instanceof LimitError && e.message === "Too many want lines: more than 2");
  });
});

describe("decodeFetchV2Args", () => {
  it("reads every argument of a v2 fetch", () => {
    const req = decodeFetchV2Args(
      [`want ${A}`, `have ${B}`, "thin-pack", "ofs-delta", "no-progress", "include-tag", "wait-for-done", "deepen 2", "deepen-relative", `shallow ${C}`, "filter tree:0", "done"],
      limits,
    );
    assert.deepEqual(req, {
      ...emptyFetchRequest(),
      wants: [A],
      haves: [B],
      sawHaves: true,
      done: true,
      waitForDone: true,
      thinPack: true,
      ofsDelta: true,
      noProgress: true,
      includeTag: true,
      sideband: 65520,
      depth: 2,
      deepenRelative: true,
      clientShallow: [C],
      filter: "tree:0",
    });
  });

  it("refuses unknown arguments", () => {
    assert.throws(() => decodeFetchV2Args([`want ${A}`, "sideband-all"], limits), (e: unknown) => e instanceof ProtocolError && e.message === "unexpected line: 'sideband-all'");
    assert.throws(() => decodeFetchV2Args(["want 123"], limits), /Invalid want line "want 123"/);
  });
});
