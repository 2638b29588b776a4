import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { createDelta } from "../../../src/git/delta.ts";
import { oidToBytes } from "../../../src/git/object-id.ts";
import { hashObject, type ObjectType } from "../../../src/git/object-type.ts";
import { type PackEntry, parsePack } from "../../../src/git/pack-parser.ts";
import { PackWriter } from "../../../src/git/pack-writer.ts";
import { DEFAULT_LIMITS } from "../../../src/limits.ts";
import { concatBytes, hexEncode, utf8Encode } from "../../../src/util/bytes.ts";
import { chunked, git, gitText, makeHistoryRepo, packObjects, tempDir, verifyPack } from "./pack-fixtures.ts";

const p = nodePlatform;
const text = (s: string) => utf8Encode(s);

function collector(): { sink: (chunk: Uint8Array) => Promise<void>; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    sink: async (chunk) => {
      await Promise.resolve();
      chunks.push(chunk);
    },
    bytes: () => concatBytes(chunks),
  };
}

async function parse(pack: Uint8Array): Promise<PackEntry[]> {
  const entries: PackEntry[] = [];
  await parsePack(chunked(pack, 1000), {
    platform: p,
    limits: DEFAULT_LIMITS,
    onEntry: (e) => void entries.push(e),
  });
  return entries;
}

/** Indexes `pack` in a new bare repository with `git index-pack --strict --stdin`; returns the repo. */
function indexInGit(pack: Uint8Array): string {
  const repo = tempDir("reposit-writer-");
  git(repo, ["init", "-q", "--bare"]);
  gitText(repo, ["index-pack", "--strict", "--stdin"], pack);
  return repo;
}

describe("PackWriter", () => {
  // Valid objects, so `index-pack --strict` checks their links too.
  const blobA = text("line one\nline two\nline three\n".repeat(40));
  const blobB = concatBytes([blobA, text("line four, added later\n")]);
  const blobC = concatBytes([text("a new first line\n"), blobA.subarray(0, 600)]);
  const blobD = concatBytes([blobB, text("and line five\n")]);
  const idA = hashObject(p, "blob", blobA);
  const idB = hashObject(p, "blob", blobB);
  const tree = concatBytes([
    text("100644 a.txt\0"),
    oidToBytes(idA),
    text("100644 b.txt\0"),
    oidToBytes(idB),
  ]);
  const treeId = hashObject(p, "tree", tree);
  const commit = text(
    `tree ${treeId}\nauthor A U Thor <a@example.com> 1700000000 +0000\ncommitter A U Thor <a@example.com> 1700000000 +0000\n\nFirst\n`,
  );
  const commitId = hashObject(p, "commit", commit);
  const tag = text(
    `object ${commitId}\ntype commit\ntag v1\ntagger T <t@example.com> 1700000000 +0000\n\nRelease\n`,
  );

  it("writes whole objects, OFS and REF deltas that git index-pack accepts", async () => {
    const out = collector();
    const writer = new PackWriter(p, 8, out.sink);
    assert.equal(writer.offset, 12);
    const offA = await writer.writeWhole(3, blobA);
    assert.equal(offA, 12);
    await writer.writeWhole(2, tree);
    await writer.writeWhole(1, commit, p.deflate(commit)); // a reused compressed stream
    await writer.writeWhole(4, tag);
    const deltaB = createDelta(blobA, blobB);
    const offB = await writer.writeOfsDelta(deltaB.length, writer.offset - offA, p.deflate(deltaB));
    const deltaC = createDelta(blobA, blobC);
    await writer.writeRefDelta(deltaC.length, idA, p.deflate(deltaC));
    const deltaD = createDelta(blobB, blobD); // a delta whose base is itself a delta
    await writer.writeOfsDelta(deltaD.length, writer.offset - offB, p.deflate(deltaD));
    const big = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251); // a stream emitted apart from its header
    await writer.writeWhole(3, big);
    assert.equal(writer.written, 8);
    const trailer = await writer.finish();
    const pack = out.bytes();
    assert.equal(writer.offset, pack.length);
    assert.deepEqual(trailer, pack.subarray(pack.length - 20));

    const repo = indexInGit(pack);
    const rows = verifyPack(pack);
    const expected: [ObjectType, Uint8Array][] = [
      ["blob", blobA],
      ["tree", tree],
      ["commit", commit],
      ["tag", tag],
      ["blob", blobB],
      ["blob", blobC],
      ["blob", blobD],
      ["blob", big],
    ];
    assert.deepEqual(
      rows.map((r) => r.id).sort(),
      expected.map(([type, content]) => hashObject(p, type, content)).sort(),
    );
    const deltas = rows.filter((r) => r.baseId !== undefined).map((r) => [r.id, r.baseId]);
    assert.deepEqual(
      deltas.sort(),
      [
        [idB, idA],
        [hashObject(p, "blob", blobC), idA],
        [hashObject(p, "blob", blobD), idB],
      ].sort(),
    );
    assert.deepEqual(git(repo, ["cat-file", "blob", hashObject(p, "blob", blobD)]), blobD);
    assert.equal(gitText(repo, ["cat-file", "-t", hashObject(p, "tag", tag)]), "tag\n");
    fs.rmSync(repo, { recursive: true, force: true });

    const entries = await parse(pack);
    assert.deepEqual(
      entries.map((e) => e.packType),
      [3, 2, 1, 4, 6, 7, 6, 3],
    );
    assert.equal(entries[4]!.baseOffset, offA);
    assert.equal(entries[6]!.baseOffset, offB);
    assert.equal(entries[5]!.baseId, idA);
  });

  it("splices stored entries back into an identical pack", async () => {
    const repo = makeHistoryRepo(40, 3);
    const original = packObjects(repo, ["--all", "--delta-base-offset"], "");
    const entries = await parse(original);
    const out = collector();
    const writer = new PackWriter(p, entries.length, out.sink);
    for (const e of entries) {
      const headerEnd = e.offset + e.headerLength;
      const at = await writer.writeRaw(
        original.subarray(e.offset, headerEnd),
        original.subarray(headerEnd, headerEnd + e.compressedLength),
      );
      assert.equal(at, e.offset);
    }
    await writer.finish();
    assert.ok(Buffer.from(out.bytes()).equals(Buffer.from(original)));
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it("writes the same empty pack as git", async () => {
    const out = collector();
    const trailer = await new PackWriter(p, 0, out.sink).finish();
    const repo = tempDir("reposit-empty-");
    git(repo, ["init", "-q"]);
    const fromGit = git(repo, ["pack-objects", "--stdout", "-q"], "");
    fs.rmSync(repo, { recursive: true, force: true });
    assert.deepEqual(out.bytes(), fromGit);
    assert.equal(hexEncode(trailer), "029d08823bd8a8eab510ad6ac75c823cfd3ed31e");
  });

  it("enforces the declared object count and order of use", async () => {
    const out = collector();
    const writer = new PackWriter(p, 1, out.sink);
    await assert.rejects(
      writer.finish(),
      /^RangeError: Cannot finish the pack: its header declares 1 objects but 0 were written$/,
    );
    await writer.writeWhole(3, text("x"));
    await assert.rejects(
      writer.writeWhole(3, text("y")),
      /Cannot write entry 2: the pack header declares 1 objects/,
    );
    await writer.finish();
    await assert.rejects(writer.writeWhole(3, text("z")), /already finished/);
    await assert.rejects(
      new PackWriter(p, 2, out.sink).writeOfsDelta(1, 1, new Uint8Array(8)),
      /Invalid OFS_DELTA distance 1 at offset 12/,
    );
    await assert.rejects(
      new PackWriter(p, 1, out.sink).writeRefDelta(1, "not-an-id", new Uint8Array(8)),
      /Invalid object id/,
    );
  });
});
