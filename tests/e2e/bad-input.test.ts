/**
 * Broken and hostile packs pushed to a live server (gitformat-pack; gitprotocol-pack "Report
 * Status"): truncated anywhere, a wrong trailer, a delta copying outside its base, a wrong object
 * count, junk after the trailer, a REF_DELTA whose base exists nowhere (or only in another
 * repository), a commit whose tree is missing, and a zlib bomb. Every case checks the exact report
 * and then that the repository is exactly as before and still clones (see Guard).
 * Protocol-level cases are in bad-input-protocol.test.ts, lowered limits in bad-input-limits.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git } from "../helpers/git.ts";
import {
  buildPack,
  gitPost,
  Guard,
  packOf,
  pushBody,
  pushReport,
  readObject,
  removeScratch,
  retrail,
  seedRepo,
  storedKeys,
  type LocalObject,
  type Seeded,
} from "./bad-input-helpers.ts";

const ZERO = "0".repeat(40);
let server: TestServer;
let rest: Rest;

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
});
after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

/** A new commit on the seeded main (not pushed) adding `file`; its new objects in pack order. */
function nextCommit(repo: Seeded, file: string, content: string): { commit: string; objects: LocalObject[] } {
  const commit = commitFile(repo.source, file, content);
  return { commit, objects: [readObject(repo.source, commit), readObject(repo.source, `${commit}^{tree}`), readObject(repo.source, `${commit}:${file}`)] };
}

/** Moves main and creates refs/heads/feature: two refs, so "every ref" is checked. */
function commands(repo: Seeded, commit: string): string[] {
  return [`${repo.head} ${commit} refs/heads/main`, `${ZERO} ${commit} refs/heads/feature`];
}

/** Pushes `pack` for both commands and returns the report lines. */
async function push(repo: Seeded, commit: string, pack: Uint8Array, capabilities = "report-status"): Promise<string[]> {
  const reply = await gitPost(repo, "git-receive-pack", pushBody(commands(repo, commit), capabilities, pack));
  return pushReport(reply, capabilities.includes("side-band-64k"));
}

/** The report of a push whose pack was refused: `unpack <reason>`, every ref "unpacker error". */
function unpackFailed(reason: string): string[] {
  return [`unpack ${reason}`, "ng refs/heads/main unpacker error", "ng refs/heads/feature unpacker error"];
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("bad packs in a push", () => {
  it("refuses a pack cut off anywhere: header, between and inside objects, before and inside the trailer", async () => {
    const repo = await seedRepo(rest, "bad-pack", "truncated");
    const { commit, objects } = nextCommit(repo, "c.txt", "three\n");
    const { pack, offsets } = await packOf(objects);
    const end = pack.length - 20;
    const guard = Guard.capture(server, repo);
    const cuts: [number, string][] = [
      [0, "Pack is truncated: the header needs 12 bytes but the input ended after 0"],
      [6, "Pack is truncated: the header needs 12 bytes but the input ended after 6"],
      [12, "Pack is truncated: expected 3 objects, input ended after 0"],
      [offsets[1]!, "Pack is truncated: expected 3 objects, input ended after 1"],
      [offsets[1]! + 1, `Pack is truncated: input ended inside object 1 at offset ${offsets[1]}`],
      [offsets[2]! + 4, `Pack is truncated: input ended inside object 2 at offset ${offsets[2]}`],
      [end - 1, `Pack is truncated: input ended inside object 2 at offset ${offsets[2]}`],
      [end, `Pack is truncated: the 20-byte trailer at offset ${end} is missing, input ended after 0 of its bytes`],
      [end + 13, `Pack is truncated: the 20-byte trailer at offset ${end} is missing, input ended after 13 of its bytes`],
    ];
    for (const [cut, reason] of cuts) {
      assert.deepEqual(await push(repo, commit, pack.subarray(0, cut)), unpackFailed(reason), `cut at ${cut}`);
    }
    // The same refusal inside side-band-64k, as git asks for it.
    assert.deepEqual(await push(repo, commit, pack.subarray(0, end), "report-status side-band-64k quiet"), unpackFailed(cuts[7]![1]));
    guard.assertUnchanged();
  });

  it("refuses a wrong trailer checksum and a corrupt zlib stream", async () => {
    const repo = await seedRepo(rest, "bad-pack", "checksum");
    const { commit, objects } = nextCommit(repo, "c.txt", "three\n");
    const { pack, offsets } = await packOf(objects);
    const guard = Guard.capture(server, repo);
    const wrong = Buffer.from(pack);
    wrong[wrong.length - 1]! ^= 0xff;
    const reason = `Pack checksum mismatch: the trailer says ${hex(wrong.subarray(-20))} but the pack hashes to ${hex(pack.subarray(-20))}`;
    assert.deepEqual(await push(repo, commit, wrong), unpackFailed(reason));
    // A zlib header that is not zlib (the blob's entry header is 1 byte: type 3, size 6), trailer fixed up.
    const corrupt = Buffer.from(pack.subarray(0, -20));
    corrupt[offsets[2]! + 1] = 0x00;
    const report = await push(repo, commit, retrail(corrupt).pack);
    assert.match(report[0]!, new RegExp(`^unpack Cannot inflate object 2 at offset ${offsets[2]}: .+`));
    assert.deepEqual(report.slice(1), unpackFailed("").slice(1));
    guard.assertUnchanged();
  });

  it("refuses a delta that copies bytes outside its base (in the pack, and a stored base)", async () => {
    const repo = await seedRepo(rest, "bad-pack", "delta-range");
    const commit = commitFile(repo.source, "ten.txt", "0123456789");
    const objects = [readObject(repo.source, commit), readObject(repo.source, `${commit}^{tree}`), readObject(repo.source, `${commit}:ten.txt`)];
    // base size 10, result size 20, then copy (0x80) with one offset byte (0x01) = 5 and one size byte (0x10) = 20.
    const delta = Uint8Array.of(10, 20, 0x91, 5, 20);
    const pack = await buildPack(4, async (w) => {
      await w.writeWhole(objects[0]!.packType, objects[0]!.content);
      await w.writeWhole(objects[1]!.packType, objects[1]!.content);
      const base = await w.writeWhole(objects[2]!.packType, objects[2]!.content);
      await w.writeOfsDelta(delta.length, w.offset - base, deflateSync(delta));
    });
    const guard = Guard.capture(server, repo);
    assert.deepEqual(await push(repo, commit, pack), unpackFailed("Delta copies bytes 5..25 but the base has 10 bytes"));
    // Against a.txt ("one\n", 4 bytes) that only the server has: a thin pack's REF_DELTA.
    const stored = readObject(repo.source, "HEAD~1:a.txt");
    const thinDelta = Uint8Array.of(4, 20, 0x91, 2, 20);
    const thin = await buildPack(4, async (w) => {
      for (const o of objects) await w.writeWhole(o.packType, o.content);
      await w.writeRefDelta(thinDelta.length, stored.id, deflateSync(thinDelta));
    });
    assert.deepEqual(await push(repo, commit, thin), unpackFailed("Delta copies bytes 2..22 but the base has 4 bytes"));
    guard.assertUnchanged();
  });

  it("refuses a pack declaring more objects than it holds, or fewer (junk after them)", async () => {
    const repo = await seedRepo(rest, "bad-pack", "count");
    const { commit, objects } = nextCommit(repo, "c.txt", "three\n");
    const { pack, offsets } = await packOf(objects);
    const guard = Guard.capture(server, repo);
    const withCount = (n: number) => {
      const body = Buffer.from(pack.subarray(0, -20));
      body.writeUInt32BE(n, 8);
      return body;
    };
    // Four declared, three present, trailer correct for those bytes.
    assert.deepEqual(
      await push(repo, commit, retrail(withCount(4)).pack),
      unpackFailed("Pack is truncated: expected 4 objects, input ended after 3 and a 20-byte trailer"),
    );
    // Two declared: the third entry's first 20 bytes are read as the trailer.
    const two = Buffer.concat([withCount(2), pack.subarray(-20)]);
    const hashed = retrail(two.subarray(0, offsets[2]!)).trailer;
    assert.deepEqual(
      await push(repo, commit, two),
      unpackFailed(`Pack checksum mismatch: the trailer says ${hex(two.subarray(offsets[2]!, offsets[2]! + 20))} but the pack hashes to ${hashed}`),
    );
    // A complete, valid pack of two objects followed by the rest of the entries and a trailer.
    const valid = retrail(withCount(2).subarray(0, offsets[2]!)).pack;
    const rest2 = pack.subarray(offsets[2]!);
    const report = await push(repo, commit, Buffer.concat([valid, rest2]));
    assert.match(report[0]!, new RegExp(`^unpack Pack has (${rest2.length}|more than 4) bytes after its trailer at offset ${valid.length}: expected the end of the input$`));
    assert.deepEqual(report.slice(1), unpackFailed("").slice(1));
    guard.assertUnchanged();
  });

  it("refuses a REF_DELTA whose base exists nowhere, or only in another repository", async () => {
    const repo = await seedRepo(rest, "bad-pack", "ref-delta");
    const other = await seedRepo(rest, "bad-pack", "ref-delta-other");
    const { commit, objects } = nextCommit(repo, "c.txt", "three\n");
    // A delta that would rebuild the blob from any 4-byte base: insert its 6 bytes.
    const content = objects[2]!.content;
    const delta = Uint8Array.from([4, content.length, content.length, ...content]);
    const otherOnly = readObject(other.source, "HEAD:dir/b.txt");
    const guard = Guard.capture(server, repo);
    for (const base of ["dead".repeat(10), otherOnly.id]) {
      const pack = await buildPack(3, async (w) => {
        await w.writeWhole(objects[0]!.packType, objects[0]!.content);
        await w.writeWhole(objects[1]!.packType, objects[1]!.content);
        await w.writeRefDelta(delta.length, base, deflateSync(delta));
      });
      assert.deepEqual(
        await push(repo, commit, pack),
        unpackFailed(`Cannot resolve delta at pack entry 2: base object ${base} is neither in the pack nor in the repository`),
        `base ${base}`,
      );
    }
    guard.assertUnchanged();
  });

  it("refuses refs to a commit whose tree (or a blob of it) is neither in the pack nor stored", async () => {
    const repo = await seedRepo(rest, "bad-pack", "missing");
    const { commit, objects } = nextCommit(repo, "c.txt", "three\n");
    const guard = Guard.capture(server, repo);
    const missing = ["ng refs/heads/main missing necessary objects", "ng refs/heads/feature missing necessary objects"];
    assert.deepEqual(await push(repo, commit, (await packOf(objects.slice(0, 1))).pack), ["unpack ok", ...missing]);
    assert.deepEqual(await push(repo, commit, (await packOf(objects.slice(0, 2))).pack), ["unpack ok", ...missing]);
    guard.assertUnchanged();
  });

  it("leaves nothing stored for a pack of no objects (a ref to an id nobody has; a branch at a stored commit)", async () => {
    const repo = await seedRepo(rest, "bad-pack", "empty-pack");
    const empty = (await packOf([])).pack;
    const guard = Guard.capture(server, repo);
    const nowhere = "beef".repeat(10);
    assert.deepEqual(await push(repo, nowhere, empty), [
      "unpack ok",
      "ng refs/heads/main missing necessary objects",
      "ng refs/heads/feature missing necessary objects",
    ]);
    guard.assertUnchanged();
    // git itself sends an empty pack to create a branch at a commit the server has: only the ref may be new.
    const keysBefore = storedKeys(server).filter((k) => k.startsWith("packdata/") || k.startsWith("pool/"));
    git(["push", "-q", repo.remote, "main:refs/heads/copy"], { cwd: repo.source });
    assert.match(git(["ls-remote", repo.remote]).stdout, new RegExp(`^${repo.head}\trefs/heads/copy$`, "m"));
    const keysAfter = storedKeys(server).filter((k) => k.startsWith("packdata/") || k.startsWith("pool/"));
    assert.deepEqual(keysAfter, keysBefore, "an empty pack must not leave a pack blob behind");
  });

  it("refuses a zlib bomb: an object that inflates far beyond its declared size", async () => {
    const repo = await seedRepo(rest, "bad-pack", "bomb");
    const { commit } = nextCommit(repo, "c.txt", "three\n");
    const bomb = deflateSync(Buffer.alloc(256 << 20), { level: 9 }); // 256 MiB of zeros in ~256 KiB
    const pack = await buildPack(1, async (w) => void (await w.writeWhole(3, new Uint8Array(100), bomb)));
    const guard = Guard.capture(server, repo);
    assert.deepEqual(await push(repo, commit, pack), unpackFailed("Object 0 at offset 12 inflates to more than the 100 bytes its header declares"));
    guard.assertUnchanged();
  });

  it("still accepts a good push of the same objects afterwards", async () => {
    const repo = await seedRepo(rest, "bad-pack", "good-after");
    const { commit, objects } = nextCommit(repo, "c.txt", "three\n");
    const { pack } = await packOf(objects);
    assert.deepEqual(await push(repo, commit, pack.subarray(0, 20)), unpackFailed(`Pack is truncated: input ended inside object 0 at offset 12`));
    assert.deepEqual(await push(repo, commit, pack), ["unpack ok", "ok refs/heads/main", "ok refs/heads/feature"]);
    assert.match(git(["ls-remote", repo.remote]).stdout, new RegExp(`^${commit}\trefs/heads/feature$`, "m"));
  });
});
