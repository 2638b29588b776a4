import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { receivePack, type PushEvent } from "../../../src/repo/receive-pack.ts";
import type { RepoContext } from "../../../src/repo/repo-context.ts";
import { ObjectPool, type PoolEnv } from "../../../src/repo/object-pool.ts";
import { readRefs } from "../../../src/repo/refs.ts";
import { PktLineReader, pktLineText } from "../../../src/git/pkt-line.ts";
import { demuxSideband } from "../../../src/git/sideband.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import { listAll } from "../../../src/storage/storage.ts";
import {
  buildPack,
  catAll,
  gitText,
  ingestAndPublish,
  makeDelta,
  objectId,
  makeEnv,
  packObjects,
  packOf,
  pkt,
  readStream,
  revListObjects,
  setRefs,
  source,
  splitResponse,
  standardHistory,
  assertBytes,
  type History,
} from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
const id = (name: string) => h.ids[name] ?? name;
/** git's packs: the starting repository, and what main and side gain from E and F to H4 and G. */
let startPack: Uint8Array;
let updatePack: Uint8Array;
let mainPack: Uint8Array;

before(() => {
  h = standardHistory();
  startPack = packOf(h.dir, [id("E"), id("F")]);
  updatePack = packOf(h.dir, [id("H4"), id("G"), `^${id("E")}`, `^${id("F")}`]);
  mainPack = packOf(h.dir, [id("H4"), `^${id("E")}`]);
});

/** A repository holding E's and F's history with main → E, side → F, old → A. */
async function repo(): Promise<{ ctx: RepoContext; env: PoolEnv; events: PushEvent[] }> {
  const env = makeEnv();
  await ingestAndPublish(env, "p", startPack);
  await setRefs(env, "r", new Map([["refs/heads/main", id("E")], ["refs/heads/side", id("F")], ["refs/heads/old", id("A")]]));
  return { ctx: { env, repoId: "r", poolId: "p", head: "refs/heads/main", sharedPool: false }, env, events: [] };
}

/** A push body: commands (old new ref, by name or id), capabilities on the first, options, then the pack. */
function pushBody(commands: readonly [string, string, string][], caps: string, pack?: Uint8Array, options: readonly string[] = []): Uint8Array {
  const lines = commands.map(([o, n, ref], i) => `${o === "0" ? ZERO_ID : id(o)} ${n === "0" ? ZERO_ID : id(n)} ${ref}${i === 0 ? `\0${caps}` : ""}\n`);
  lines.push("0000");
  if (options.length > 0) lines.push(...options.map((o) => `${o}\n`), "0000");
  const head = pkt(lines);
  if (!pack) return head;
  const out = new Uint8Array(head.length + pack.length);
  out.set(head);
  out.set(pack, head.length);
  return out;
}

async function push(ctx: RepoContext, body: Uint8Array, events?: PushEvent[]): Promise<string[]> {
  const response = await receivePack(ctx, source(body), { onPushed: (e) => void events?.push(e) });
  return splitResponse(await readStream(response)).lines;
}

async function refsOf(env: PoolEnv): Promise<Record<string, string>> {
  return Object.fromEntries((await readRefs(env.store, "r")).refs);
}

async function packBlobs(env: PoolEnv): Promise<Set<string>> {
  return new Set((await listAll(env.store, { prefix: "packdata/p/" })).map((e) => e.key.split("/")[2]!));
}

describe("receive-pack report-status", () => {
  it("reports ok and ng per ref, moving only the refs that pass", SLOW, async () => {
    const { ctx, env, events } = await repo();
    const ghost = "5".repeat(40);
    const lines = await push(
      ctx,
      pushBody(
        [
          ["E", "H4", "refs/heads/main"],
          ["B", "G", "refs/heads/side"],
          ["0", "G", "refs/heads/new"],
          ["0", "G", "refs/heads/bad..name"],
          ["0", ghost, "refs/heads/ghost"],
          ["A", "0", "refs/heads/old"],
          ["0", "E", "refs/heads/main/sub"],
          ["0", "H2", "refs/tags/at-h2"],
        ],
        "report-status",
        updatePack,
      ),
      events,
    );
    assert.deepEqual(lines, [
      "unpack ok\n",
      "ok refs/heads/main\n",
      "ng refs/heads/side incorrect old value provided\n",
      "ok refs/heads/new\n",
      "ng refs/heads/bad..name funny refname\n",
      "ng refs/heads/ghost missing necessary objects\n",
      "ok refs/heads/old\n",
      "ng refs/heads/main/sub refname conflict\n",
      "ok refs/tags/at-h2\n",
      "0000",
    ]);
    assert.deepEqual(await refsOf(env), {
      "refs/heads/main": id("H4"),
      "refs/heads/new": id("G"),
      "refs/heads/side": id("F"),
      "refs/tags/at-h2": id("H2"),
    });
    assert.deepEqual(
      events.map((e) => e.updates.map((u) => u.name)),
      [["refs/heads/main", "refs/heads/new", "refs/heads/old", "refs/tags/at-h2"]],
    );
    // The pushed objects read back as git has them.
    const pool = await ObjectPool.open(env, "p");
    const ids = revListObjects(h.dir, [id("H4"), id("G")]);
    const objects = catAll(h.dir, ids);
    for (const x of ids) assertBytes((await pool.readById(x))!.content, objects.get(x)!.content, x);
  });

  it("atomic: one refused ref refuses them all, and no ref moves", SLOW, async () => {
    const { ctx, env } = await repo();
    const pack = updatePack;
    const stale = await push(ctx, pushBody([["E", "H4", "refs/heads/main"], ["B", "G", "refs/heads/side"]], "report-status atomic", pack));
    assert.deepEqual(stale, ["unpack ok\n", "ng refs/heads/main atomic push failure\n", "ng refs/heads/side incorrect old value provided\n", "0000"]);
    const funny = await push(ctx, pushBody([["E", "H4", "refs/heads/main"], ["0", "G", "refs/heads/a..b"]], "report-status atomic", pack));
    assert.deepEqual(funny, ["unpack ok\n", "ng refs/heads/main atomic push failure\n", "ng refs/heads/a..b funny refname\n", "0000"]);
    assert.deepEqual(await refsOf(env), { "refs/heads/main": id("E"), "refs/heads/old": id("A"), "refs/heads/side": id("F") });
    const ok = await push(ctx, pushBody([["E", "H4", "refs/heads/main"], ["F", "G", "refs/heads/side"]], "report-status atomic", pack));
    assert.deepEqual(ok, ["unpack ok\n", "ok refs/heads/main\n", "ok refs/heads/side\n", "0000"]);
  });

  it("refuses to delete the current branch, and deletes others without a pack", SLOW, async () => {
    const { ctx, env } = await repo();
    const lines = await push(ctx, pushBody([["E", "0", "refs/heads/main"], ["F", "0", "refs/heads/side"]], "report-status delete-refs"));
    assert.deepEqual(lines, ["unpack ok\n", "ng refs/heads/main deletion of the current branch prohibited\n", "ok refs/heads/side\n", "0000"]);
    assert.deepEqual(await refsOf(env), { "refs/heads/main": id("E"), "refs/heads/old": id("A") });
  });

  it("accepts a thin pack completed by stored objects", SLOW, async () => {
    const { ctx, env } = await repo();
    const thin = packOf(h.dir, [id("H4"), `^${id("E")}`], { thin: true });
    assert.deepEqual(await push(ctx, pushBody([["E", "H4", "refs/heads/main"]], "report-status", thin)), ["unpack ok\n", "ok refs/heads/main\n", "0000"]);
    const pool = await ObjectPool.open(env, "p");
    for (const x of revListObjects(h.dir, [id("H4")])) assert.notEqual(pool.locateId(x), -1, x);
  });

  it("accepts an empty pack when the new commits are already stored, and keeps no blob for it", SLOW, async () => {
    const { ctx, env } = await repo();
    const before = await packBlobs(env);
    const lines = await push(ctx, pushBody([["0", "B", "refs/heads/at-b"]], "report-status", packObjects(h.dir, [])));
    assert.deepEqual(lines, ["unpack ok\n", "ok refs/heads/at-b\n", "0000"]);
    assert.deepEqual(await packBlobs(env), before);
  });
});

describe("receive-pack failures", () => {
  it("refuses a pack that is not closed and does not publish it", SLOW, async () => {
    const { ctx, env } = await repo();
    const before = await packBlobs(env);
    // H1 alone: its tree is neither in the pack nor stored.
    const lines = await push(ctx, pushBody([["E", "H1", "refs/heads/main"], ["F", "0", "refs/heads/side"]], "report-status", packObjects(h.dir, [id("H1")])));
    assert.deepEqual(lines, ["unpack ok\n", "ng refs/heads/main missing necessary objects\n", "ok refs/heads/side\n", "0000"]);
    assert.deepEqual(await packBlobs(env), before, "the refused pack's blobs are deleted");
    assert.equal((await ObjectPool.open(env, "p")).locateId(id("H1")), -1);
    assert.deepEqual(await refsOf(env), { "refs/heads/main": id("E"), "refs/heads/old": id("A") });
  });

  it("reports a broken pack as an unpack error and leaves nothing behind", SLOW, async () => {
    const { ctx, env } = await repo();
    const before = await packBlobs(env);
    const truncated = mainPack.subarray(0, mainPack.length - 100);
    const lines = await push(ctx, pushBody([["E", "H4", "refs/heads/main"], ["F", "0", "refs/heads/side"]], "report-status", truncated));
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^unpack .+\n$/);
    assert.notEqual(lines[0], "unpack ok\n");
    assert.deepEqual(lines.slice(1), ["ng refs/heads/main unpacker error\n", "ng refs/heads/side unpacker error\n", "0000"]);
    assert.deepEqual(await packBlobs(env), before);
    assert.deepEqual(await refsOf(env), { "refs/heads/main": id("E"), "refs/heads/old": id("A"), "refs/heads/side": id("F") });
  });

  it("answers an empty request with nothing, and a malformed command with ERR", SLOW, async () => {
    const { ctx } = await repo();
    assert.equal((await readStream(await receivePack(ctx, source(new Uint8Array(0))))).length, 0);
    assert.equal((await readStream(await receivePack(ctx, source(pkt(["0000"]))))).length, 0);
    const bad = await push(ctx, pkt(["not a command\0report-status\n", "0000"]));
    assert.deepEqual(bad, ['ERR Invalid push command "not a command": expected "<old-id> <new-id> <ref>"\n']);
  });
});

describe("receive-pack side-band", () => {
  it("sends the report on band 1 and push options and progress on band 2, quiet hides progress", SLOW, async () => {
    for (const quiet of [false, true]) {
      const { ctx } = await repo();
      const caps = `report-status side-band-64k push-options${quiet ? " quiet" : ""}`;
      const body = pushBody([["E", "H4", "refs/heads/main"]], caps, mainPack, ["ci.skip", "note=1"]);
      const reader = new PktLineReader(await receivePack(ctx, source(body)));
      const report: Uint8Array[] = [];
      const messages: string[] = [];
      for await (const packet of demuxSideband(reader)) {
        if (packet.band === 1) report.push(packet.data.slice());
        else messages.push(new TextDecoder().decode(packet.data));
      }
      assert.equal(await reader.read(), null);
      const inner = new PktLineReader(source(report.reduce((a, b) => {
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return out;
      }, new Uint8Array(0))));
      const lines: string[] = [];
      for (let f = await inner.read(); f; f = await inner.read()) lines.push(f.kind === "data" ? pktLineText(f.payload) : f.kind);
      assert.deepEqual(lines, ["unpack ok", "ok refs/heads/main", "flush"]);
      assert.deepEqual(messages.slice(0, 2), ["Received push option: ci.skip\n", "Received push option: note=1\n"]);
      assert.equal(messages.some((m) => /^Received \d+ objects, \d+ new\n$/.test(m)), !quiet, `quiet=${quiet}`);
    }
  });

  it("sends nothing without report-status or side-band", SLOW, async () => {
    const { ctx, env } = await repo();
    const out = await readStream(await receivePack(ctx, source(pushBody([["F", "0", "refs/heads/side"]], "delete-refs"))));
    assert.equal(out.length, 0);
    assert.equal((await refsOf(env))["refs/heads/side"], undefined);
  });
});

describe("receive-pack object checks", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  const hex = (id: string) => Uint8Array.from(id.match(/../g)!.map((b) => parseInt(b, 16)));
  const person = "A U Thor <a@example.com> 1700000000 +0000";
  const commitText = (tree: string, parents: string[] = []) => text(`tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join("")}author ${person}\ncommitter ${person}\n\nhand-made\n`);
  const treeEntry = (mode: string, name: string, target: string) => new Uint8Array([...text(`${mode} ${name}\0`), ...hex(target)]);

  it("refuses objects whose links name the wrong type, as git's connectivity check does; nothing moves", SLOW, async () => {
    const { ctx, env } = await repo();
    const treeOfE = gitText(h.dir, ["rev-parse", `${id("E")}^{tree}`]);
    const blob = text("just a blob\n");
    const blobId = objectId("blob", blob);
    const cases: [string, ReturnType<typeof buildPack>, string, string][] = [];
    const commitOnBlob = commitText(blobId);
    cases.push(["a commit whose tree is a blob", buildPack([{ type: "blob", content: blob }, { type: "commit", content: commitOnBlob }]), objectId("commit", commitOnBlob), "refs/heads/bad1"]);
    const commitOnTreeParent = commitText(treeOfE, [treeOfE]);
    cases.push(["a commit whose parent is a tree", buildPack([{ type: "commit", content: commitOnTreeParent }]), objectId("commit", commitOnTreeParent), "refs/heads/bad2"]);
    const dirIsBlob = treeEntry("40000", "dir", blobId);
    const commitOnBadTree = commitText(objectId("tree", dirIsBlob));
    cases.push(["a tree whose directory entry is a blob", buildPack([{ type: "blob", content: blob }, { type: "tree", content: dirIsBlob }, { type: "commit", content: commitOnBadTree }]), objectId("commit", commitOnBadTree), "refs/heads/bad3"]);
    const lyingTag = text(`object ${treeOfE}\ntype commit\ntag lie\ntagger ${person}\n\nsays commit, is a tree\n`);
    cases.push(["a tag whose target is not of the type it names", buildPack([{ type: "tag", content: lyingTag }]), objectId("tag", lyingTag), "refs/tags/lie"]);
    const before = await refsOf(env);
    for (const [what, pack, target, ref] of cases) {
      const lines = await push(ctx, pushBody([["0", target, ref]], "report-status", pack));
      assert.deepEqual(lines, ["unpack ok\n", `ng ${ref} missing necessary objects\n`, "0000"], what);
      assert.equal((await ObjectPool.open(env, "p")).locateId(target), -1, `${what}: nothing published`);
    }
    assert.deepEqual(await refsOf(env), before);
    // The same shapes with the right types are accepted.
    const good = commitText(treeOfE, [id("E")]);
    assert.deepEqual(await push(ctx, pushBody([["0", objectId("commit", good), "refs/heads/good"]], "report-status", buildPack([{ type: "commit", content: good }]))), ["unpack ok\n", "ok refs/heads/good\n", "0000"]);
  });

  it("refuses a branch that names a tree, blob or tag object; tags may name anything", SLOW, async () => {
    const { ctx, env } = await repo();
    const tree = gitText(h.dir, ["rev-parse", `${id("E")}^{tree}`]);
    const blob = gitText(h.dir, ["rev-parse", `${id("E")}:${gitText(h.dir, ["ls-tree", "--name-only", id("E")]).split("\n")[0]}`]);
    const lines = await push(
      ctx,
      pushBody(
        [
          ["0", tree, "refs/heads/tree-branch"],
          ["0", blob, "refs/heads/blob-branch"],
          ["E", tree, "refs/heads/main"],
          ["0", tree, "refs/tags/tree-tag"],
          ["0", blob, "refs/notes/blob-note"],
        ],
        "report-status",
        buildPack([]),
      ),
    );
    assert.deepEqual(lines, [
      "unpack ok\n",
      "ng refs/heads/tree-branch non-commit object cannot be a branch\n",
      "ng refs/heads/blob-branch non-commit object cannot be a branch\n",
      "ng refs/heads/main non-commit object cannot be a branch\n",
      "ok refs/tags/tree-tag\n",
      "ok refs/notes/blob-note\n",
      "0000",
    ]);
    const refs = await refsOf(env);
    assert.equal(refs["refs/heads/main"], id("E"));
    assert.equal(refs["refs/heads/tree-branch"], undefined);
    assert.equal(refs["refs/tags/tree-tag"], tree);
  });

  it("updates a ref named twice in one push once: the second command fails, and atomic fails both", SLOW, async () => {
    const { ctx, env } = await repo();
    const plain = await push(ctx, pushBody([["0", "E", "refs/heads/dup"], ["0", "F", "refs/heads/dup"]], "report-status", buildPack([])));
    assert.deepEqual(plain, ["unpack ok\n", "ok refs/heads/dup\n", "ng refs/heads/dup ref updated twice in one push\n", "0000"]);
    assert.equal((await refsOf(env))["refs/heads/dup"], id("E"));
    const atomic = await push(ctx, pushBody([["0", "E", "refs/heads/dup2"], ["0", "F", "refs/heads/dup2"]], "report-status atomic", buildPack([])));
    assert.deepEqual(atomic, ["unpack ok\n", "ng refs/heads/dup2 atomic push failure\n", "ng refs/heads/dup2 ref updated twice in one push\n", "0000"]);
    assert.equal((await refsOf(env))["refs/heads/dup2"], undefined);
  });

  it("in a fork network, a thin pack may delta only against objects this repository's refs reach", SLOW, async () => {
    // "r" and "f" share pool "p"; only f's ref reaches the secret blob. A REF_DELTA against it pushed
    // to r would rebuild (and so reveal, byte by byte through ref statuses) f's content.
    const { env } = await repo();
    const secret = text("only the fork has this: 0123456789abcdef\n");
    const secretTree = treeEntry("100644", "secret.txt", objectId("blob", secret));
    const secretCommit = commitText(objectId("tree", secretTree));
    await ingestAndPublish(env, "p", buildPack([{ type: "blob", content: secret }, { type: "tree", content: secretTree }, { type: "commit", content: secretCommit }]));
    await setRefs(env, "f", new Map([["refs/heads/main", objectId("commit", secretCommit)]]));
    const r: RepoContext = { env, repoId: "r", poolId: "p", head: "refs/heads/main", sharedPool: true };
    const f: RepoContext = { env, repoId: "f", poolId: "p", head: "refs/heads/main", sharedPool: true };
    const derived = text("only the fork has this: 0123456789abcdef\nand one more line\n");
    const derivedId = objectId("blob", derived);
    const pack = buildPack([{ refBase: objectId("blob", secret), delta: makeDelta(secret, derived) }]);
    const refused = await push(r, pushBody([["0", derivedId, "refs/tags/leak"]], "report-status", pack));
    assert.match(refused[0]!, /^unpack .*is neither in the pack nor in the repository/);
    assert.ok(!refused[0]!.includes("bytes"), "the error must not reveal the base's size");
    assert.deepEqual(refused.slice(1), ["ng refs/tags/leak unpacker error\n", "0000"]);
    assert.equal((await ObjectPool.open(env, "p")).locateId(derivedId), -1);
    assert.equal((await readRefs(env.store, "r")).refs.get("refs/tags/leak"), undefined);
    // The fork itself has the base, so the same thin pack is fine there.
    assert.deepEqual(await push(f, pushBody([["0", derivedId, "refs/tags/mine"]], "report-status", pack)), ["unpack ok\n", "ok refs/tags/mine\n", "0000"]);
  });
});
