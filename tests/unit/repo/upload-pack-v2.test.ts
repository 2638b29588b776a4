import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { uploadPackV2 } from "../../../src/repo/upload-pack-v2.ts";
import type { RepoContext } from "../../../src/repo/repo-context.ts";
import { PktLineReader, pktLineText } from "../../../src/git/pkt-line.ts";
import { demuxSideband } from "../../../src/git/sideband.ts";
import {
  emptyBareRepo,
  gitUploadPackMany,
  indexPack,
  ingestAndPublish,
  makeEnv,
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
let emptyCtx: RepoContext;
let emptyRepo: string;

before(async () => {
  h = standardHistory();
  const env = makeEnv();
  await ingestAndPublish(env, "p", packOf(h.dir, ["--all"]));
  await setRefs(env, "r", showRefs(h.dir));
  ctx = { env, repoId: "r", poolId: "p", head: "refs/heads/main", sharedPool: false };
  emptyCtx = { env: makeEnv(), repoId: "e", poolId: "e", head: "refs/heads/main", sharedPool: false };
  emptyRepo = emptyBareRepo();
});

const command = (name: string, args: readonly string[]) => pkt([`command=${name}\n`, "0001", ...args.map((a) => `${a}\n`), "0000"]);

async function ours(body: Uint8Array, c: RepoContext = ctx): Promise<Uint8Array> {
  return readStream(await uploadPackV2(c, source(body)));
}

/** The response up to and including "packfile\n" (the pack itself differs byte for byte). */
const head = (bytes: Uint8Array) => splitResponse(bytes, "packfile\n").lines;

describe("upload-pack v2 ls-refs", () => {
  const variants: string[][] = [
    [],
    ["symrefs", "peel"],
    ["ref-prefix refs/heads/"],
    ["ref-prefix refs/tags/", "peel"],
    ["ref-prefix refs/heads/m", "ref-prefix refs/tags/v1", "symrefs"],
    ["ref-prefix HEAD", "symrefs"],
    ["symrefs", "unborn", "peel"],
  ];
  it("answers byte for byte what git upload-pack answers", SLOW, async () => {
    const bodies = variants.map((args) => command("ls-refs", args));
    const expected = gitUploadPackMany(h.dir, bodies, true);
    for (let k = 0; k < variants.length; k++) {
      assert.deepEqual(head(await ours(bodies[k]!)), head(expected[k]!), `ls-refs ${variants[k]!.join(", ")}`);
    }
  });

  it("describes an unborn HEAD as git does", SLOW, async () => {
    const unbornVariants = [["symrefs", "unborn"], ["unborn"], ["symrefs"], []];
    const bodies = unbornVariants.map((args) => command("ls-refs", args));
    const expected = gitUploadPackMany(emptyRepo, bodies, true);
    for (let k = 0; k < bodies.length; k++) {
      assert.deepEqual(head(await ours(bodies[k]!, emptyCtx)), head(expected[k]!), `ls-refs ${unbornVariants[k]!.join(", ")}`);
    }
    assert.deepEqual(head(await ours(bodies[0]!, emptyCtx)), ["unborn HEAD symref-target:refs/heads/main\n", "0000"]);
  });
});

describe("upload-pack v2 fetch", () => {
  it("sends a full clone as side-band pack data that git indexes", SLOW, async () => {
    const wants = ["H4", "G", "T2", "v1", "vside", "vtopic"].map((n) => `want ${h.ids[n]}`);
    const response = await uploadPackV2(ctx, source(command("fetch", [...wants, "ofs-delta", "done"])));
    const reader = new PktLineReader(response);
    const first = await reader.read();
    assert.ok(first && first.kind === "data");
    assert.equal(pktLineText(first.payload), "packfile");
    const data: Uint8Array[] = [];
    const progress: string[] = [];
    for await (const packet of demuxSideband(reader)) {
      assert.notEqual(packet.band, 3, "no error band");
      if (packet.band === 1) data.push(packet.data.slice());
      else progress.push(new TextDecoder().decode(packet.data));
    }
    assert.equal(await reader.read(), null, "nothing after the flush");
    assert.ok(progress.length > 0, "progress on band 2");
    const pack = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
    data.reduce((at, d) => (pack.set(d, at), at + d.length), 0);
    const rows = indexPack(pack, { strict: true });
    assert.deepEqual(rows.map((r) => r.id).sort(), revListObjects(h.dir, ["--all"]).sort());
  });

  it("negotiates like git: acknowledgments, ready, shallow-info, then the packfile", SLOW, async () => {
    const unknown = "1234".repeat(10);
    const want = `want ${h.ids.H4}`;
    const cases: string[][] = [
      [want, `have ${unknown}`],
      [want, `have ${unknown}`, `have ${h.ids.T1}`],
      [want, `have ${h.ids.E}`],
      [want, `have ${h.ids.H2}`, `have ${h.ids.H1}`, `have ${h.ids.E}`],
      [want, `have ${h.ids.E}`, `have ${h.ids.E}`],
      [want, `have ${h.ids.E}`, "wait-for-done"],
      [want, `want ${h.ids.T2}`, `have ${h.ids.E}`],
      [want, `have ${h.ids.E}`, "done"],
      [want, "deepen 2", "done"],
      [want, `shallow ${h.ids.E}`, `have ${h.ids.H4}`, "deepen 2147483647", "done"],
      [want, "deepen-since " + h.times.E, `have ${h.ids.H1}`],
      [want, "no-progress", "filter blob:none", "done"],
      [want, want, `want ${h.ids.T2}`, want, `want ${h.ids.T2}`, `have ${h.ids.E}`, `have ${unknown}`, `have ${h.ids.A}`],
      [want, want, want, "deepen 2", "done"],
      [`want ${h.ids.D}`, `have ${h.ids.G}`],
    ];
    const bodies = cases.map((args) => command("fetch", ["no-progress", ...args]));
    const expected = gitUploadPackMany(h.dir, bodies, true);
    // Compared without the final LF, which clients strip: git writes shallow-info lines without
    // one although gitprotocol-v2 shows it; we follow the document.
    const chomped = (bytes: Uint8Array) => head(bytes).map((l) => l.replace(/\n$/, ""));
    for (let k = 0; k < cases.length; k++) {
      assert.deepEqual(chomped(await ours(bodies[k]!)), chomped(expected[k]!), cases[k]!.join(" | "));
    }
  });

  it("refuses a want this repository does not reach, and unknown commands and arguments", SLOW, async () => {
    const missing = "ab".repeat(20);
    const bodies = [command("fetch", [`want ${missing}`, "done"]), command("frobnicate", []), command("fetch", [`want ${h.ids.H4}`, "bogus"])];
    const answers = await Promise.all(bodies.map((b) => ours(b)));
    assert.deepEqual(head(answers[0]!), [`ERR upload-pack: not our ref ${missing}\n`]);
    assert.deepEqual(head(answers[1]!), ["ERR invalid command 'frobnicate'\n"]);
    assert.deepEqual(head(answers[2]!), ["ERR unexpected line: 'bogus'\n"]);
  });
});
