import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { negotiateV0, uploadPackV0 } from "../../../src/repo/upload-pack-v0.ts";
import { decodeFetchV0 } from "../../../src/repo/fetch-request.ts";
import { prepareFetch } from "../../../src/repo/fetch-plan.ts";
import { Negotiator } from "../../../src/repo/negotiate.ts";
import type { RepoContext } from "../../../src/repo/repo-context.ts";
import { PktLineReader, pktLineText } from "../../../src/git/pkt-line.ts";
import { demuxSideband } from "../../../src/git/sideband.ts";
import {
  assertBytes,
  gitUploadPackMany,
  indexPack,
  ingestAndPublish,
  makeEnv,
  packIdsMany,
  packOf,
  pkt,
  readStream,
  revListObjects,
  setRefs,
  showRefs,
  source,
  splitResponse,
  standardHistory,
  type History,
} from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let ctx: RepoContext;
const UNKNOWN = "1234".repeat(10);

before(async () => {
  h = standardHistory();
  const env = makeEnv();
  await ingestAndPublish(env, "p", packOf(h.dir, ["--all"]));
  await setRefs(env, "r", showRefs(h.dir));
  ctx = { env, repoId: "r", poolId: "p", head: "refs/heads/main", sharedPool: false };
});

async function ours(body: Uint8Array): Promise<Uint8Array> {
  return readStream(await uploadPackV0(ctx, source(body)));
}

const id = (name: string) => h.ids[name] ?? name;

/** A v0 request: want lines (capabilities on the first), extra lines, flush, have lines, then "done" or a flush. */
function request(caps: string, wants: readonly string[], haves: readonly string[], end: "done" | "flush" | "eof", extra: readonly string[] = []): Uint8Array {
  const lines = wants.map((w, i) => `want ${id(w)}${i === 0 && caps ? ` ${caps}` : ""}\n`);
  lines.push(...extra.map((e) => `${e}\n`), "0000");
  if (end === "eof") return pkt(lines);
  lines.push(...haves.map((x) => `have ${id(x)}\n`));
  lines.push(end === "done" ? "done\n" : "0000");
  return pkt(lines);
}

const MAD = "multi_ack_detailed ofs-delta no-progress";

describe("upload-pack v0 negotiation", () => {
  const cases: [title: string, body: Uint8Array][] = [];
  before(() => {
    cases.push(
      ["multi_ack_detailed: an unknown have, then a common one", request(MAD, ["H4"], [UNKNOWN, "T1"], "flush")],
      ["multi_ack_detailed: all common, ready at the flush", request(MAD, ["H4"], ["H2", "H1", "E"], "flush")],
      ["multi_ack_detailed: unknown before common, no ready", request(MAD, ["H4"], [UNKNOWN, "H2"], "flush")],
      ["multi_ack_detailed: unknown after common, ready on it", request(MAD, ["H4"], ["H2", UNKNOWN], "flush")],
      ["multi_ack_detailed: two wants, one not reached yet", request(MAD, ["H4", "T2"], ["E"], "flush")],
      ["multi_ack_detailed: a repeated have", request(MAD, ["H4"], ["E", "E"], "flush")],
      ["multi_ack", request("multi_ack ofs-delta no-progress", ["H4"], ["H2", UNKNOWN, "E"], "flush")],
      ["multi_ack: nothing common", request("multi_ack ofs-delta no-progress", ["H4"], [UNKNOWN], "flush")],
      ["no multi_ack", request("ofs-delta no-progress", ["H4"], [UNKNOWN, "H2", "C"], "flush")],
      ["no multi_ack: the first common have's parent", request("ofs-delta no-progress", ["H4"], ["H2", "H1"], "flush")],
      ["no multi_ack: nothing common", request("ofs-delta no-progress", ["H4"], [UNKNOWN], "flush")],
      ["no-done: ready, then the pack", request(`${MAD} no-done`, ["H4"], ["H2"], "flush")],
      ["done with nothing common", request(MAD, ["H4"], [UNKNOWN], "done")],
      ["done with a common commit", request(MAD, ["H4"], ["E", UNKNOWN], "done")],
      ["done without multi_ack", request("ofs-delta no-progress", ["H4"], ["E", "H1"], "done")],
      ["a clone", request(MAD, ["H4", "G", "vtopic"], [], "done")],
      ["include-tag", request(`${MAD} include-tag`, ["H4", "T2"], ["B"], "done")],
      ["a filtered fetch", request(`${MAD} filter`, ["H4"], ["C"], "done", ["filter blob:limit=100"])],
      ["depth 2, first request of a stateless client", request(`${MAD} shallow`, ["H4"], [], "eof", ["deepen 2"])],
      ["depth 2 with done", request(`${MAD} shallow`, ["H4"], [], "done", ["deepen 2"])],
      ["deepen-not", request(`${MAD} shallow deepen-not`, ["H4"], [], "done", ["deepen-not side"])],
      ["unshallow", request(`${MAD} shallow`, ["H4"], ["H4"], "done", [`shallow ${h.ids.E}`, "deepen 2147483647"])],
      ["repeated wants", request(MAD, ["H4", "T2", "H4", "H4", "T2"], ["E", UNKNOWN, "A", UNKNOWN], "flush")],
      ["repeated wants, done", request(MAD, ["H4", "H4", "vtopic", "T2", "H4"], ["E", UNKNOWN], "done")],
      ["repeated wants, shallow", request(`${MAD} shallow`, ["H4", "H4", "H4"], [], "done", ["deepen 2"])],
      ["a want older than the oldest have", request(MAD, ["D"], ["G", UNKNOWN], "flush")],
    );
  });

  it("writes the same shallow, ACK and NAK lines as git upload-pack --stateless-rpc, and packs the same objects", SLOW, async () => {
    const expected = gitUploadPackMany(h.dir, cases.map(([, body]) => body));
    const actual = await Promise.all(cases.map(([, body]) => ours(body)));
    const gitPacks: Uint8Array[] = [];
    const ourPacks: Uint8Array[] = [];
    const titles: string[] = [];
    // Lines are compared without their final LF, which clients strip: git writes shallow lines
    // without one (pkt-line senders SHOULD add it, receivers MUST NOT care).
    const chomp = (lines: string[]) => lines.map((l) => l.replace(/\n$/, ""));
    cases.forEach(([title], k) => {
      const theirs = splitResponse(expected[k]!);
      const mine = splitResponse(actual[k]!);
      assert.deepEqual(chomp(mine.lines), chomp(theirs.lines), title);
      assert.equal(mine.rest.length > 0, theirs.rest.length > 0, `${title}: a pack follows`);
      if (theirs.rest.length > 0) {
        gitPacks.push(theirs.rest);
        ourPacks.push(mine.rest);
        titles.push(title);
      }
    });
    assert.ok(gitPacks.length >= 8);
    const [gitIds, ourIds] = [packIdsMany(gitPacks), packIdsMany(ourPacks)];
    titles.forEach((title, k) => {
      if (title !== "unshallow") return assert.deepEqual(ourIds[k], gitIds[k], `${title}: objects`);
      // git also resends trees the shallow client has (see shallow.test.ts); we send a subset.
      const theirs = new Set(gitIds[k]);
      assert.deepEqual(ourIds[k]!.filter((x) => !theirs.has(x)), [], `${title}: objects`);
      assert.ok(ourIds[k]!.includes(h.ids.D!), `${title}: the history below E`);
    });
  });
});

describe("upload-pack v0 responses", () => {
  it("sends the pack in side-band-64k frames after NAK", SLOW, async () => {
    const response = await uploadPackV0(ctx, source(request("side-band-64k ofs-delta", ["H4", "G", "T2", "v1", "vside", "vtopic"], [], "done")));
    const reader = new PktLineReader(response);
    const nak = await reader.read();
    assert.ok(nak && nak.kind === "data");
    assert.equal(pktLineText(nak.payload), "NAK");
    const data: Uint8Array[] = [];
    let progress = 0;
    for await (const packet of demuxSideband(reader)) {
      assert.notEqual(packet.band, 3);
      if (packet.band === 1) data.push(packet.data.slice());
      else progress++;
    }
    assert.ok(progress > 0, "progress, since no-progress was not asked");
    const pack = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
    data.reduce((at, d) => (pack.set(d, at), at + d.length), 0);
    const rows = indexPack(pack, { strict: true });
    assert.deepEqual(rows.map((r) => r.id).sort(), revListObjects(h.dir, ["--all"]).sort());
  });

  it("answers an empty request with nothing", SLOW, async () => {
    assert.equal((await ours(new Uint8Array(0))).length, 0);
    assert.equal((await ours(pkt(["0000"]))).length, 0);
  });

  it("reports errors as an ERR pkt-line", SLOW, async () => {
    const cases: [Uint8Array, string][] = [
      [request(MAD, ["ab".repeat(20)], [], "done"), `ERR upload-pack: not our ref ${"ab".repeat(20)}\n`],
      [request("no-such-capability", ["H4"], [], "done"), 'ERR upload-pack: client requested capability "no-such-capability", which the server did not advertise\n'],
      [request(MAD, ["H4"], [], "done", ["filter blob:none"]), "ERR git upload-pack: filtering capability not negotiated\n"],
      [request(`${MAD} filter`, ["H4"], [], "done", ["filter sparse:oid=x"]), "ERR filter 'sparse' not supported\n"],
      [pkt(["have 1234\n", "0000"]), "ERR git upload-pack: protocol error, expected to get object ID, not 'have 1234'\n"],
    ];
    for (const [body, message] of cases) assert.deepEqual(splitResponse(await ours(body)).lines, [message]);
  });
});

describe("upload-pack v0 repeated wants", () => {
  it("answers repeated wants byte for byte as the wants once each", SLOW, async () => {
    const variants: [caps: string, haves: string[], end: "done" | "flush" | "eof", extra?: string[]][] = [
      [MAD, ["E", UNKNOWN, "A", UNKNOWN], "flush"],
      [`${MAD} no-done`, ["H2", UNKNOWN], "flush"],
      ["multi_ack ofs-delta no-progress", ["H2", UNKNOWN, "E"], "flush"],
      ["ofs-delta no-progress", [UNKNOWN, "H2", "C"], "flush"],
      [MAD, ["E", UNKNOWN], "done"],
      [`${MAD} side-band-64k include-tag`, ["B"], "done"],
      [`${MAD} shallow`, [], "eof", ["deepen 2"]],
    ];
    const once = ["H4", "T2", "vside"];
    const repeated = Array.from({ length: 300 }, (_, k) => once[k % once.length]!);
    for (const [caps, haves, end, extra] of variants) {
      const single = await ours(request(caps, once, haves, end, extra));
      const many = await ours(request(caps, repeated, haves, end, extra));
      assert.ok(single.length > 0);
      assertBytes(many, single, `${caps} | ${haves.join(" ")} | ${end}`);
    }
  });

  it("negotiates 10,000 repeated wants against 5,000 unknown haves in work linear in the request", SLOW, async () => {
    const haves = ["E", ...Array.from({ length: 5000 }, (_, k) => k.toString(16).padStart(40, "f"))];
    for (const [wants, ready] of [[["H4"], true], [["H4", "T2"], false]] as const) {
      const lines = Array.from({ length: 10_000 }, (_, k) => wants[k % wants.length]!);
      const req = await decodeFetchV0(new PktLineReader(source(request(MAD, lines, haves, "flush"))), ctx.env.limits);
      assert.deepEqual(req.wants, wants.map(id), "a repeated want line adds nothing (upload-pack's WANTED flag)");
      const state = await prepareFetch(ctx, req);
      const { head, sendPack } = await negotiateV0(state, req);
      assert.equal(sendPack, false);
      const acks = splitResponse(head).lines;
      assert.equal(acks.filter((l) => l.endsWith(" ready\n")).length, ready ? 5000 : 0);
      assert.ok(state.negotiator.stats.steps < 100_000, `${state.negotiator.stats.steps} steps`);
      // The negotiator itself, given the repeats anyway, stays linear too.
      const n = new Negotiator(state.pool, lines.map((w) => state.pool.locateId(id(w))));
      for (const x of haves) if (n.have(state.pool.locateId(id(x))) === -1) assert.equal(n.okToGiveUp(), ready);
      assert.ok(n.stats.steps < 100_000, `${n.stats.steps} steps`);
    }
  });
});
