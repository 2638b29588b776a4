/**
 * Hostile and broken protocol input against a live server: malformed pkt-lines in push commands and
 * in upload-pack requests (v0 and v2; gitprotocol-common "pkt-line Format"), invalid ref names
 * (git-check-ref-format; receive-pack's "funny refname"), unadvertised capabilities
 * (gitprotocol-capabilities), wants that are not reachable from the repository's refs ("not our
 * ref"), broken request encodings (gitprotocol-http), and routes that are not smart HTTP. Each case
 * asserts the exact status and message, then that the repository is exactly as before (Guard).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git } from "../helpers/git.ts";
import {
  errMessage,
  fetchBodyV0,
  fetchBodyV2,
  FLUSH,
  DELIM,
  gitGet,
  gitPost,
  Guard,
  packOf,
  pkt,
  pktTexts,
  pushBody,
  pushReport,
  readObject,
  removeScratch,
  scratch,
  seedRepo,
  V2,
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

const decodeError = (detail: string) => `Cannot decode pkt-line: ${detail}`;

/** Malformed frames, each after `prefix` (valid frames), and the message that must name the problem. */
function malformed(prefix: Buffer, frame: number): [string, Buffer, string][] {
  const at = `(frame ${frame})`;
  return [
    ["non-hex length", Buffer.concat([prefix, Buffer.from("00zzwant")]), decodeError(`length prefix "00zz" is not hexadecimal ${at}`)],
    ["length 0003", Buffer.concat([prefix, Buffer.from("0003abc")]), decodeError(`length prefix "0003" is invalid: expected 0000, 0001, 0002 or a length of at least 4 ${at}`)],
    ["length 65521", Buffer.concat([prefix, Buffer.from("fff1"), Buffer.alloc(65517, 0x61)]), decodeError(`length 65521 exceeds the maximum of 65520 bytes ${at}`)],
    ["length 0xffff", Buffer.concat([prefix, Buffer.from("ffff"), Buffer.alloc(70000, 0x61)]), decodeError(`length 65535 exceeds the maximum of 65520 bytes ${at}`)],
    ["cut-off frame", Buffer.concat([prefix, Buffer.from("00ff0123456789")]), decodeError(`input ended after 14 of 255 bytes ${at}`)],
    ["cut-off length", Buffer.concat([prefix, Buffer.from("00f")]), decodeError(`input ended after 3 of 4 bytes of the length prefix ${at}`)],
  ];
}

async function expectErrors(repo: Seeded, cases: [string, Buffer, string][], send: (body: Buffer) => Promise<Awaited<ReturnType<typeof gitPost>>>): Promise<void> {
  for (const [name, body, message] of cases) assert.equal(errMessage(await send(body)), message, name);
}

describe("malformed pkt-lines", () => {
  it("in the command section of a push: 200 with an ERR pkt-line naming the problem", async () => {
    const repo = await seedRepo(rest, "bad-proto", "pkt-push");
    const guard = Guard.capture(server, repo);
    const first = pkt(`${repo.head} ${repo.head} refs/heads/other\0report-status\n`);
    const cases = [...malformed(Buffer.alloc(0), 0), ...malformed(first, 1)];
    cases.push(["not a command", pkt("hello\0report-status\n"), `Invalid push command "hello": expected "<old-id> <new-id> <ref>"`]);
    cases.push(["no flush", first, "Push request ended before the flush after the commands"]);
    await expectErrors(repo, cases, (body) => gitPost(repo, "git-receive-pack", body));
    guard.assertUnchanged();
  });

  it("in a v0 upload-pack request", async () => {
    const repo = await seedRepo(rest, "bad-proto", "pkt-fetch-v0");
    const guard = Guard.capture(server, repo);
    const want = pkt(`want ${repo.head} ofs-delta\n`);
    const cases = [...malformed(Buffer.alloc(0), 0), ...malformed(want, 1), ...malformed(Buffer.concat([want, FLUSH]), 2)];
    cases.push(["not a want", pkt("wnat x\n"), "git upload-pack: protocol error, expected to get object ID, not 'wnat x'"]);
    cases.push(["short id", pkt(`want ${repo.head.slice(0, 39)}\n`), `Invalid want line "want ${repo.head.slice(0, 39)}": expected a 40-character lowercase hex object id`]);
    await expectErrors(repo, cases, (body) => gitPost(repo, "git-upload-pack", body));
    guard.assertUnchanged();
  });

  it("in a v2 request", async () => {
    const repo = await seedRepo(rest, "bad-proto", "pkt-fetch-v2");
    const guard = Guard.capture(server, repo);
    const command = Buffer.concat([pkt("command=fetch\n"), pkt("agent=git/2.39\n"), DELIM]);
    const cases = [...malformed(Buffer.alloc(0), 0), ...malformed(command, 3)];
    cases.push(["not a command", Buffer.concat([pkt("fetch\n"), FLUSH]), `Expected "command=<name>", got "fetch"`]);
    cases.push(["unknown command", Buffer.concat([pkt("command=upload-archive\n"), FLUSH]), "invalid command 'upload-archive'"]);
    cases.push(["no flush", Buffer.concat([command, pkt(`want ${repo.head}\n`)]), "Request ended before the flush-pkt that ends the command"]);
    await expectErrors(repo, cases, (body) => gitPost(repo, "git-upload-pack", body, V2));
    guard.assertUnchanged();
  });
});

describe("invalid ref names", () => {
  const names = [
    "refs/heads/a..b",
    "refs/heads/x.lock",
    "HEAD",
    "refs/foo",
    "refs/heads/a b",
    "refs/heads/a\x01b",
    "refs/heads/tab\there",
    "refs/heads/del\x7f",
    "refs/heads/.hidden",
    "refs/heads/ends/",
    "refs/heads/a//b",
    "refs/heads/x@{1}",
    "refs/heads/a~1",
    "refs/heads/a:b",
    "refs/heads/what?",
    "refs/heads/star*",
    "refs/heads/br[ack",
    "refs/heads/back\\slash",
    "refs/heads/dot.",
    "@",
  ];

  it("are refused per ref with \"ng <ref> funny refname\", at a commit the server has", async () => {
    const repo = await seedRepo(rest, "bad-proto", "refnames");
    const guard = Guard.capture(server, repo);
    const empty = (await packOf([])).pack;
    const commands = names.map((n) => `${ZERO} ${repo.head} ${n}`);
    const report = pushReport(await gitPost(repo, "git-receive-pack", pushBody(commands, "report-status", empty)));
    assert.deepEqual(report, ["unpack ok", ...names.map((n) => `ng ${n} funny refname`)]);
    // Deleting one is refused the same way (no pack is sent for deletions).
    const deletion = pushReport(await gitPost(repo, "git-receive-pack", pushBody([`${repo.head} ${ZERO} refs/heads/a..b`], "report-status delete-refs")));
    assert.deepEqual(deletion, ["unpack ok", "ng refs/heads/a..b funny refname"]);
    guard.assertUnchanged("empty-pack");
  });

  it("are refused for new objects too, which stay unreachable and are not served", async () => {
    const repo = await seedRepo(rest, "bad-proto", "refnames-new");
    const commit = commitFile(repo.source, "c.txt", "three\n");
    const objects = [readObject(repo.source, commit), readObject(repo.source, `${commit}^{tree}`), readObject(repo.source, `${commit}:c.txt`)];
    const guard = Guard.capture(server, repo);
    // The real client: git accepts refs/foo as a destination, the server refuses it.
    const result = git(["push", repo.remote, `${commit}:refs/foo`], { cwd: repo.source, allowFail: true });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /! \[remote rejected\] +[0-9a-f]+ -> refs\/foo \(funny refname\)/);
    const { pack } = await packOf(objects);
    const report = pushReport(await gitPost(repo, "git-receive-pack", pushBody([`${ZERO} ${commit} refs/heads/a..b`], "report-status side-band-64k", pack)), true);
    assert.deepEqual(report, ["unpack ok", "ng refs/heads/a..b funny refname"]);
    assert.equal(errMessage(await gitPost(repo, "git-upload-pack", fetchBodyV0([commit]))), `upload-pack: not our ref ${commit}`);
    guard.assertUnchanged("grow");
  });
});

describe("unadvertised capabilities", () => {
  it("in a push are refused with a message naming the capability", async () => {
    const repo = await seedRepo(rest, "bad-proto", "caps-push");
    const guard = Guard.capture(server, repo);
    const pack = (await packOf([])).pack;
    for (const [caps, name] of [
      ["report-status push-cert=1700000000-abcdef", "push-cert"],
      ["report-status side-band", "side-band"],
      ["report-status bogus-cap", "bogus-cap"],
    ]) {
      const body = pushBody([`${ZERO} ${repo.head} refs/heads/other`], caps!, pack);
      assert.equal(errMessage(await gitPost(repo, "git-receive-pack", body)), `receive-pack: client requested capability "${name}", which the server did not advertise`);
    }
    const sha256 = pushBody([`${ZERO} ${repo.head} refs/heads/other`], "report-status object-format=sha256", pack);
    assert.equal(errMessage(await gitPost(repo, "git-receive-pack", sha256)), `receive-pack: object-format "sha256" is not supported; this server uses sha1`);
    guard.assertUnchanged();
  });

  it("in a fetch (v0 want line, v2 capability and argument) are refused with a message naming it", async () => {
    const repo = await seedRepo(rest, "bad-proto", "caps-fetch");
    const guard = Guard.capture(server, repo);
    const v0 = await gitPost(repo, "git-upload-pack", fetchBodyV0([repo.head], "ofs-delta bogus-cap"));
    assert.equal(errMessage(v0), `upload-pack: client requested capability "bogus-cap", which the server did not advertise`);
    const v2cap = await gitPost(repo, "git-upload-pack", fetchBodyV2([`want ${repo.head}`, "done"], ["agent=git/2.39", "bogus-cap"]), V2);
    assert.equal(errMessage(v2cap), "unknown capability 'bogus-cap'");
    const v2arg = await gitPost(repo, "git-upload-pack", fetchBodyV2([`want ${repo.head}`, "bogus-cap", "done"]), V2);
    assert.equal(errMessage(v2arg), "unexpected line: 'bogus-cap'");
    const v2format = await gitPost(repo, "git-upload-pack", fetchBodyV2([`want ${repo.head}`, "done"], ["object-format=sha256"]), V2);
    assert.equal(errMessage(v2format), "unsupported object format 'sha256'");
    guard.assertUnchanged();
  });
});

describe("wants not reachable from the repository's refs", () => {
  it("a commit of another repository on the same server: ERR upload-pack: not our ref", async () => {
    const repo = await seedRepo(rest, "bad-proto", "want-mine");
    const other = await seedRepo(rest, "bad-proto", "want-other");
    const guard = Guard.capture(server, repo);
    const foreign = other.head;
    const expected = `upload-pack: not our ref ${foreign}`;
    assert.equal(errMessage(await gitPost(repo, "git-upload-pack", fetchBodyV0([repo.head, foreign]))), expected);
    assert.equal(errMessage(await gitPost(repo, "git-upload-pack", fetchBodyV2([`want ${foreign}`, "done"]), V2)), expected);
    const blob = readObject(other.source, "HEAD:dir/b.txt").id;
    assert.equal(errMessage(await gitPost(repo, "git-upload-pack", fetchBodyV0([blob]))), `upload-pack: not our ref ${blob}`);
    // What the git CLI shows for it, in both protocol versions.
    const clone = `${scratch()}/clone`;
    git(["clone", "-q", repo.remote, clone]);
    for (const version of ["0", "2"]) {
      const result = git(["-c", `protocol.version=${version}`, "fetch", "origin", foreign], { cwd: clone, allowFail: true });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, new RegExp(`remote error: upload-pack: not our ref ${foreign}`), `protocol ${version}`);
    }
    guard.assertUnchanged();
  });
});

describe("request encodings", () => {
  // git prints an ERR pkt-line as "remote error: <message>"; an HTTP 400 on a POST only shows
  // "RPC failed; HTTP 400", so a body we cannot decode is answered in-band, as other protocol errors are.
  it("a corrupt or cut-off gzip body is a clear ERR line that git shows", async () => {
    const repo = await seedRepo(rest, "bad-proto", "gzip");
    const guard = Guard.capture(server, repo);
    const request = gzipSync(fetchBodyV0([repo.head]));
    // Control: the same request, intact, is served.
    const good = await gitPost(repo, "git-upload-pack", request, { "Content-Encoding": "gzip" });
    assert.equal(good.status, 200);
    assert.match(good.text, /^0008NAK\n/);
    const requests = {
      "git-upload-pack": request,
      "git-receive-pack": gzipSync(pushBody([`${ZERO} ${repo.head} refs/heads/other`], "report-status", (await packOf([])).pack)),
    };
    const wrong: string[] = [];
    for (const service of ["git-upload-pack", "git-receive-pack"] as const) {
      const flipped = Buffer.from(requests[service]);
      flipped[flipped.length - 6]! ^= 0xff; // inside the CRC-32 trailer
      const bodies: [string, Buffer][] = [
        ["not gzip", Buffer.from("0032want this is not gzip at all\n")],
        ["bad CRC", flipped],
        ["cut off", requests[service].subarray(0, 16)],
      ];
      for (const [name, body] of bodies) {
        const reply = await gitPost(repo, service, body, { "Content-Encoding": "gzip" });
        if (reply.status !== 200 || !/^[0-9a-f]{4}ERR Cannot decode gzip request body: .+\n$/.test(reply.text)) {
          wrong.push(`${service} ${name}: ${reply.status} ${JSON.stringify(reply.text)}`);
        }
      }
    }
    assert.deepEqual(wrong, [], "expected 200 with \"ERR Cannot decode gzip request body: ...\"");
    guard.assertUnchanged();
  });

  it("Content-Encoding br, and a wrong Content-Type, are a 400 naming them", async () => {
    const repo = await seedRepo(rest, "bad-proto", "encoding");
    const guard = Guard.capture(server, repo);
    for (const service of ["git-upload-pack", "git-receive-pack"] as const) {
      const br = await gitPost(repo, service, fetchBodyV0([repo.head]), { "Content-Encoding": "br" });
      assert.equal(br.status, 400);
      assert.equal(br.text, `Unsupported Content-Encoding "br": expected gzip or identity\n`);
      const type = await gitPost(repo, service, fetchBodyV0([repo.head]), { "Content-Type": "application/json" });
      assert.equal(type.status, 400);
      assert.equal(type.text, `Unsupported Content-Type "application/json": expected application/x-${service}-request\n`);
    }
    guard.assertUnchanged();
  });
});

describe("routes that are not smart HTTP", () => {
  it("unknown routes and dumb-HTTP paths are 404; info/refs without a service is 400 with a message", async () => {
    const repo = await seedRepo(rest, "bad-proto", "routes");
    const guard = Guard.capture(server, repo);
    for (const path of [`${server.url}/nope`, `${server.url}/git`, `${repo.url}/HEAD`, `${repo.url}/objects/info/packs`, `${repo.url}/objects/${repo.head.slice(0, 2)}/${repo.head.slice(2)}`]) {
      const reply = await gitGet(path, repo.token);
      assert.equal(reply.status, 404, path);
    }
    const noService = await gitGet(`${repo.url}/info/refs`, repo.token);
    assert.equal(noService.status, 400);
    assert.equal(noService.text, `Unsupported service "": expected git-upload-pack or git-receive-pack\n`);
    const archive = await gitGet(`${repo.url}/info/refs?service=git-upload-archive`, repo.token);
    assert.equal(archive.status, 400);
    assert.equal(archive.text, `Unsupported service "git-upload-archive": expected git-upload-pack or git-receive-pack\n`);
    // A dumb-only client (GIT_SMART_HTTP=0) fails with the server's message.
    const result = git(["clone", repo.remote, `${scratch()}/dumb`], { env: { GIT_SMART_HTTP: "0" }, allowFail: true });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /Unsupported service ""/);
    // The same endpoints still answer a smart client normally.
    const refs = await gitGet(`${repo.url}/info/refs?service=git-upload-pack`, repo.token);
    assert.equal(refs.status, 200);
    assert.equal(pktTexts(refs.body)[0], "# service=git-upload-pack");
    guard.assertUnchanged();
  });
});
