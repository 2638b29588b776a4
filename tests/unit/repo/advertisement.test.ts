import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { advertise } from "../../../src/repo/advertisement.ts";
import type { RepoContext } from "../../../src/repo/repo-context.ts";
import { writeRepoShallow } from "../../../src/repo/repo-shallow.ts";
import { emptyBareRepo, gitMany, ingestAndPublish, makeEnv, packOf, setRefs, showRefs, splitResponse, standardHistory, type History } from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let ctx: RepoContext;
let gitUpload: string[];
let gitReceive: string[];
let gitEmptyUpload: string[];
let gitEmptyReceive: string[];

/** The advertisement's lines without capabilities (ours and git's differ there by design). */
const refLines = (bytes: Uint8Array) => splitResponse(bytes).lines.map((l) => l.replace(/\0.*$/s, "\n"));

function gitAdvertisements(dir: string): [string[], string[]] {
  const [upload, receive] = gitMany(dir, [
    ["upload-pack", "--stateless-rpc", "--advertise-refs", "."],
    ["receive-pack", "--stateless-rpc", "--advertise-refs", "."],
  ]);
  return [refLines(new TextEncoder().encode(upload)), refLines(new TextEncoder().encode(receive))];
}

before(async () => {
  h = standardHistory();
  const env = makeEnv();
  await ingestAndPublish(env, "p", packOf(h.dir, ["--all"]));
  await setRefs(env, "r", showRefs(h.dir));
  ctx = { env, repoId: "r", poolId: "p", head: "refs/heads/main", sharedPool: false };
  [gitUpload, gitReceive] = gitAdvertisements(h.dir);
  [gitEmptyUpload, gitEmptyReceive] = gitAdvertisements(emptyBareRepo());
});

describe("advertise", () => {
  it("lists HEAD, the refs in order and peeled tags as git upload-pack does", SLOW, async () => {
    const ours = refLines(await advertise(ctx, "git-upload-pack", false));
    assert.deepEqual(ours.slice(0, 2), ["# service=git-upload-pack\n", "0000"]);
    assert.deepEqual(ours.slice(2), gitUpload);
    assert.ok(gitUpload.some((l) => l.endsWith("^{}\n")), "the fixture has annotated tags");
  });

  it("lists the refs without HEAD or peeled tags as git receive-pack does", SLOW, async () => {
    const ours = refLines(await advertise(ctx, "git-receive-pack", false));
    assert.deepEqual(ours.slice(0, 2), ["# service=git-receive-pack\n", "0000"]);
    assert.deepEqual(ours.slice(2), gitReceive);
  });

  it("advertises capabilities^{} for an empty repository", SLOW, async () => {
    const empty: RepoContext = { ...ctx, env: makeEnv(), repoId: "e", poolId: "e" };
    assert.deepEqual(refLines(await advertise(empty, "git-receive-pack", false)).slice(2), gitEmptyReceive);
    // git 2.39's upload-pack sends a bare flush here; gitprotocol-pack ("no-refs") and git 2.41+
    // send the zero id with capabilities^{}, so a client learns the capabilities of an empty repository.
    assert.deepEqual(gitEmptyUpload, ["0000"]);
    assert.deepEqual(refLines(await advertise(empty, "git-upload-pack", false)).slice(2), [`${"0".repeat(40)} capabilities^{}\n`, "0000"]);
  });

  it("puts the symref for HEAD and our capabilities on the first line", SLOW, async () => {
    const first = splitResponse(await advertise(ctx, "git-upload-pack", false)).lines[2]!;
    const caps = first.slice(first.indexOf("\0") + 1).trim().split(" ");
    for (const cap of ["multi_ack_detailed", "side-band-64k", "ofs-delta", "shallow", "filter", "symref=HEAD:refs/heads/main", "object-format=sha1"]) {
      assert.ok(caps.includes(cap), cap);
    }
    assert.equal(first.slice(0, first.indexOf("\0")), `${h.ids.H4} HEAD`);
  });

  it("answers protocol v2 with the capability advertisement", SLOW, async () => {
    const lines = splitResponse(await advertise(ctx, "git-upload-pack", true)).lines;
    assert.equal(lines[0], "version 2\n");
    assert.ok(lines.includes("ls-refs=unborn\n"));
    assert.ok(lines.some((l) => l.startsWith("fetch=") && l.includes("shallow") && l.includes("filter")));
    assert.equal(lines[lines.length - 1], "0000");
  });

  it("lists a shallow repository's shallow commits after the refs", SLOW, async () => {
    const env = makeEnv();
    await ingestAndPublish(env, "p", packOf(h.dir, ["--all"]));
    await setRefs(env, "s", new Map([["refs/heads/main", h.ids.H4!]]));
    await writeRepoShallow(env.store, "s", [h.ids.E!, h.ids.C!]);
    const lines = splitResponse(await advertise({ ...ctx, env, repoId: "s" }, "git-upload-pack", false)).lines;
    assert.deepEqual(lines.slice(-3), [...[h.ids.C!, h.ids.E!].sort().map((id) => `shallow ${id}\n`), "0000"]);
  });
});
