/**
 * Limits against a live server whose limits are lowered through the environment
 * (REPOSIT_MAX_PUSH_BYTES, REPOSIT_MAX_OBJECT_BYTES; adapters/shared/server-config.ts): a push body
 * over maxPushBytes (plain, gzip-encoded, and from the git CLI), an object declaring more than
 * maxObjectBytes (refused from its header, before inflating), and a delta whose declared result is
 * over the limit. Each refusal must be clear and leave nothing stored (Guard).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { encodeEntryHeader, encodePackHeader } from "../../src/git/pack-format.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { git } from "../helpers/git.ts";
import {
  buildPack,
  errMessage,
  fetchBodyV0,
  gitPost,
  Guard,
  packOf,
  pushBody,
  pushReport,
  readObject,
  removeScratch,
  seedRepo,
  type LocalObject,
  type Seeded,
} from "./bad-input-helpers.ts";

const MAX_PUSH = 256 * 1024;
const MAX_OBJECT = 64 * 1024;
let server: TestServer;
let rest: Rest;

before(async () => {
  server = await startServer({ env: { REPOSIT_MAX_PUSH_BYTES: String(MAX_PUSH), REPOSIT_MAX_OBJECT_BYTES: String(MAX_OBJECT) } });
  rest = new Rest(server.url, server.apiToken);
});
after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

/** A commit adding `count` incompressible files of `bytes` each; its new objects in pack order. */
function bulkyCommit(repo: Seeded, count: number, bytes: number): { commit: string; objects: LocalObject[] } {
  mkdirSync(join(repo.source, "bulk"), { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(repo.source, "bulk", `${i}.bin`), randomBytes(bytes));
  git(["add", "bulk"], { cwd: repo.source });
  git(["commit", "-q", "-m", `bulk ${count}`], { cwd: repo.source });
  const commit = git(["rev-parse", "HEAD"], { cwd: repo.source }).stdout.trim();
  const ids = git(["rev-list", "--objects", `${repo.head}..${commit}`], { cwd: repo.source }).stdout.split("\n").filter(Boolean).map((l) => l.slice(0, 40));
  return { commit, objects: ids.map((id) => readObject(repo.source, id)) };
}

function commands(repo: Seeded, commit: string): string[] {
  return [`${repo.head} ${commit} refs/heads/main`, `${"0".repeat(40)} ${commit} refs/heads/feature`];
}

function unpackFailed(reason: string): string[] {
  return [`unpack ${reason}`, "ng refs/heads/main unpacker error", "ng refs/heads/feature unpacker error"];
}

describe("lowered limits", () => {
  it("refuses a push body over maxPushBytes and stores nothing of it", async () => {
    const repo = await seedRepo(rest, "limits", "push-bytes");
    const { commit, objects } = bulkyCommit(repo, 8, 48 * 1024);
    const { pack } = await packOf(objects);
    assert.ok(pack.length > MAX_PUSH, `pack of ${pack.length} bytes`);
    const guard = Guard.capture(server, repo);
    const reason = `Input exceeds the limit maxPushBytes of ${MAX_PUSH} bytes`;
    const reply = await gitPost(repo, "git-receive-pack", pushBody(commands(repo, commit), "report-status", pack));
    assert.deepEqual(pushReport(reply), unpackFailed(reason));
    // The limit applies after gzip decoding: ~1.2 MB of zeros in a few KiB is refused the same way.
    // Entries in stored (level 0) deflate blocks keep the pack itself that large.
    const zeros = await buildPack(20, async (w) => {
      for (let i = 0; i < 20; i++) {
        const content = Buffer.alloc(60_000, i);
        await w.writeWhole(3, content, deflateSync(content, { level: 0 }));
      }
    });
    assert.ok(zeros.length > 1_200_000);
    const bomb = gzipSync(pushBody(commands(repo, commit), "report-status", zeros));
    assert.ok(bomb.length < 64 * 1024);
    assert.deepEqual(pushReport(await gitPost(repo, "git-receive-pack", bomb, { "Content-Encoding": "gzip" })), unpackFailed(reason));
    // The git CLI shows the reason, and the objects it sent are not served.
    const result = git(["push", repo.remote, "main"], { cwd: repo.source, allowFail: true });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, new RegExp(`remote unpack failed: ${reason}`));
    assert.equal(errMessage(await gitPost(repo, "git-upload-pack", fetchBodyV0([commit]))), `upload-pack: not our ref ${commit}`);
    guard.assertUnchanged();
  });

  it("answers a push body that never ends with the limit error, without waiting for its end", async () => {
    const repo = await seedRepo(rest, "limits", "push-endless");
    const guard = Guard.capture(server, repo);
    // A pack declaring a million 60 KB blobs in stored deflate blocks, streamed until 256 MiB at most.
    const content = Buffer.alloc(60_000, 7);
    const entry = Buffer.concat([encodeEntryHeader(3, content.length), deflateSync(content, { level: 0 })]);
    const start = Buffer.concat([pushBody(commands(repo, "1".repeat(40)), "report-status"), encodePackHeader(1_000_000)]);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(start),
      pull(controller) {
        if (sent >= 256 << 20) return controller.close();
        sent += entry.length;
        controller.enqueue(entry);
      },
    });
    const response = await fetch(`${repo.url}/git-receive-pack`, {
      method: "POST",
      body,
      duplex: "half",
      headers: { Authorization: "Basic " + Buffer.from(`x:${repo.token}`).toString("base64"), "Content-Type": "application/x-git-receive-pack-request" },
      signal: AbortSignal.timeout(60_000),
    } as RequestInit);
    const reply = { status: response.status, contentType: response.headers.get("content-type") ?? "", body: Buffer.from(await response.arrayBuffer()), text: "" };
    assert.deepEqual(pushReport(reply), unpackFailed(`Input exceeds the limit maxPushBytes of ${MAX_PUSH} bytes`));
    assert.ok(sent < 256 << 20, `the server waited for all ${sent} bytes`);
    guard.assertUnchanged();
  });

  it("accepts a push just under maxPushBytes (the limit is not off by a lot)", async () => {
    const repo = await seedRepo(rest, "limits", "push-under");
    const { commit, objects } = bulkyCommit(repo, 4, 48 * 1024);
    const { pack } = await packOf(objects);
    const body = pushBody(commands(repo, commit), "report-status", pack);
    assert.ok(body.length < MAX_PUSH && body.length > MAX_PUSH / 2, `body of ${body.length} bytes`);
    assert.deepEqual(pushReport(await gitPost(repo, "git-receive-pack", body)), ["unpack ok", "ok refs/heads/main", "ok refs/heads/feature"]);
  });

  it("refuses an object declaring more than maxObjectBytes from its header, before inflating", async () => {
    const repo = await seedRepo(rest, "limits", "object-bytes");
    const { commit } = bulkyCommit(repo, 1, 100);
    const guard = Guard.capture(server, repo);
    // The "zlib stream" is junk: inflating it would fail with a zlib error instead of the limit.
    const pack = await buildPack(1, async (w) => void (await w.writeWhole(3, new Uint8Array(1 << 20), randomBytes(200))));
    assert.deepEqual(
      pushReport(await gitPost(repo, "git-receive-pack", pushBody(commands(repo, commit), "report-status", pack))),
      unpackFailed(`Object 0 at offset 12 declares 1048576 bytes: the limit is ${MAX_OBJECT}`),
    );
    // From the git CLI: one file of 100 KB.
    writeFileSync(join(repo.source, "big.bin"), randomBytes(100_000));
    git(["add", "big.bin"], { cwd: repo.source });
    git(["commit", "-q", "-m", "big"], { cwd: repo.source });
    const result = git(["push", repo.remote, "main"], { cwd: repo.source, allowFail: true });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, new RegExp(`remote unpack failed: Object \\d+ at offset \\d+ declares \\d{6} bytes: the limit is ${MAX_OBJECT}`));
    guard.assertUnchanged();
  });

  it("refuses a delta whose declared result is over maxObjectBytes", async () => {
    const repo = await seedRepo(rest, "limits", "delta-bytes");
    const base = readObject(repo.source, "HEAD:a.txt"); // "one\n", 4 bytes, stored
    const { commit } = bulkyCommit(repo, 1, 100);
    const guard = Guard.capture(server, repo);
    // base size 4, result size 1 MiB (varint 0x80 0x80 0x40), then one copy of the whole base.
    const delta = Uint8Array.of(4, 0x80, 0x80, 0x40, 0x90, 4);
    const inPack = await buildPack(2, async (w) => {
      const at = await w.writeWhole(3, base.content);
      await w.writeOfsDelta(delta.length, w.offset - at, deflateSync(delta));
    });
    const thin = await buildPack(1, async (w) => void (await w.writeRefDelta(delta.length, base.id, deflateSync(delta))));
    for (const pack of [inPack, thin]) {
      assert.deepEqual(
        pushReport(await gitPost(repo, "git-receive-pack", pushBody(commands(repo, commit), "report-status", pack))),
        unpackFailed(`Delta result of 1048576 bytes exceeds the limit of ${MAX_OBJECT} bytes`),
      );
    }
    guard.assertUnchanged();
  });
});
