/**
 * A realistic history (scripts/synthetic-repo.ts: 2,000 commits with merges, renames, deletions,
 * binary files and annotated tags) pushed to a live Bun server, then cloned back with protocol v0
 * and v2: same refs, same object ids, `git fsck --strict` clean, and the pack served is mostly
 * deltas, i.e. the server reuses the deltas it received (gitformat-pack "Deltified
 * representation") instead of sending every object whole.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { allObjects, git, refsOf, scratchDirs, withToken } from "../helpers/git.ts";
import { generateLargePack, generateRepo, type RepoStats } from "../../scripts/synthetic-repo.ts";

let server: TestServer;
let remote: string;
let source: string;
let stats: RepoStats;
let sourceObjects: string[];
const { scratch, removeAll: removeScratch } = scratchDirs();

before(async () => {
  server = await startServer();
  source = join(scratch(), "source.git");
  stats = await generateRepo(source, { commits: 2000, files: 250, seed: 2024 });
  sourceObjects = allObjects(source);
  const repo = await new Rest(server.url, server.apiToken).createRepo("synthetic", "history");
  remote = withToken(repo.remote, repo.token);
  git(["push", "-q", remote, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], { cwd: source });
});
after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

interface PackEntry {
  type: string;
  size: number;
  delta: boolean;
}

/** Entries of every pack in a repository (git verify-pack -v). */
function packEntries(dir: string): PackEntry[] {
  const packDir = join(dir, "objects/pack");
  const idx = readdirSync(packDir).filter((f) => f.endsWith(".idx")).map((f) => join(packDir, f));
  assert.ok(idx.length > 0, `no pack in ${packDir}`);
  const entries: PackEntry[] = [];
  for (const line of git(["verify-pack", "-v", ...idx]).stdout.split("\n")) {
    // "<oid> <type> <size> <size-in-pack> <offset>", then "<depth> <base-oid>" for a delta.
    const fields = line.split(/\s+/);
    if (!/^[0-9a-f]{40}$/.test(fields[0] ?? "")) continue;
    entries.push({ type: fields[1]!, size: Number(fields[2]), delta: fields.length >= 7 });
  }
  return entries;
}

describe("synthetic history", () => {
  it("is the size asked for, with merges, tags, and every kind of tree entry", () => {
    assert.equal(stats.commits, 2000);
    assert.equal(Number(git(["rev-list", "--count", "--all"], { cwd: source }).stdout.trim()), 2000);
    assert.equal(stats.objects, sourceObjects.length);
    assert.ok(Number(git(["rev-list", "--count", "--merges", "main"], { cwd: source }).stdout.trim()) > 10);
    assert.ok(refsOf(source, "refs/tags/").length >= 8);
    const modes = new Set(git(["ls-tree", "-r", "main"], { cwd: source }).stdout.split("\n").filter(Boolean).map((l) => l.split(" ")[0]));
    assert.deepEqual([...modes].sort(), ["100644", "100755", "120000"]);
    git(["fsck", "--strict"], { cwd: source });
  });

  it("lands every ref on the server", () => {
    const listed = git(["ls-remote", remote]).stdout.split("\n").filter((l) => l && !l.endsWith("^{}") && !l.endsWith("\tHEAD"));
    const expected = refsOf(source).map((l) => l.replace(" ", "\t"));
    assert.deepEqual(listed.sort(), expected.sort());
  });

  for (const protocol of ["0", "2"]) {
    it(`clones back over protocol v${protocol}: same objects, fsck clean, deltas reused`, () => {
      const dir = join(scratch(), "clone.git");
      git(["-c", `protocol.version=${protocol}`, "clone", "-q", "--bare", remote, dir]);
      assert.deepEqual(refsOf(dir), refsOf(source));
      assert.deepEqual(allObjects(dir), sourceObjects);
      git(["fsck", "--strict"], { cwd: dir });
      const entries = packEntries(dir);
      const deltas = entries.filter((e) => e.delta).length;
      assert.equal(entries.length, sourceObjects.length);
      // The source pack is about 85% deltas; a server that inflated and resent objects whole would
      // be at 0%, one that only reused blob deltas well under half.
      assert.ok(deltas > 0.6 * sourceObjects.length, `only ${deltas} of ${entries.length} entries are deltas`);
    });
  }
});

describe("synthetic-repo generator", () => {
  it("is deterministic: the same seed gives the same object ids, another seed different ones", async () => {
    const [a, b, c] = [join(scratch(), "a.git"), join(scratch(), "b.git"), join(scratch(), "c.git")];
    await generateRepo(a, { commits: 60, files: 30, seed: 5, repack: false });
    await generateRepo(b, { commits: 60, files: 30, seed: 5, repack: false });
    await generateRepo(c, { commits: 60, files: 30, seed: 6, repack: false });
    assert.deepEqual(refsOf(a), refsOf(b));
    assert.deepEqual(allObjects(a), allObjects(b));
    assert.notDeepEqual(allObjects(a), allObjects(c));
  });

  it("makes a large pack of incompressible blobs of about the size asked for", async () => {
    const dir = join(scratch(), "large.git");
    const large = await generateLargePack(dir, 3 * 1024 * 1024, { blobBytes: 256 * 1024 });
    assert.equal(large.commits, 8);
    assert.ok(large.packBytes >= 3 * 1024 * 1024 && large.packBytes < 3.3 * 1024 * 1024, `pack is ${large.packBytes} bytes`);
    assert.equal(Number(git(["rev-list", "--count", "main"], { cwd: dir }).stdout.trim()), 8);
    const blobs = packEntries(dir).filter((e) => e.type === "blob" && e.size === 256 * 1024);
    assert.equal(blobs.length, 12);
    assert.ok(blobs.every((e) => !e.delta), "random blobs should be stored whole");
    git(["fsck", "--strict"], { cwd: dir });
  });
});
