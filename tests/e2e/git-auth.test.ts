/**
 * The token matrix against a live server, over git smart HTTP and over REST: no credentials (401 with
 * a Basic challenge), tokens for other repositories, read tokens pushing, expired tokens, tokens of a
 * deleted repository, tampered and forged JWTs (flipped signature, edited payload, `alg: none`, a
 * foreign key, an unknown jti), the informational `?expires=` suffix, and the credential forms
 * (Bearer header, Basic password under any username, percent-encoded password). Each refusal is
 * checked on the wire (status, body, challenge header) and in what the git CLI prints.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { base64url, decodeJwt, SignJWT } from "jose";
import { startServer, TEST_SIGNING_KEY, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, type RunResult, scratchDirs, withToken } from "../helpers/git.ts";
import { parseSigningKey } from "../../src/auth/signing-key.ts";
import { randomId } from "../../src/auth/ids.ts";

const NS = "auth";
const INVALID = "Invalid or expired token";
const EXPIRING_TTL = 60;

let server: TestServer;
let rest: Rest;
/** The repository most tests probe: plain remote (no credentials), write token, current head. */
let target: { id: string; remote: string; token: string; head: string };
let source: string;
/** A 60-second token minted in `before`, so its wait overlaps the other tests. */
let expiring: { token: string; exp: number; headAtMint: string; workedAtMint: string };
const { scratch, removeAll: removeScratch } = scratchDirs();

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
  const repo = await rest.createRepo(NS, "target");
  source = join(scratch(), "src");
  git(["init", "-q", "-b", "main", source]);
  const head = commitFile(source, "README.md", "guarded\n");
  git(["push", "-q", withToken(repo.remote, repo.token), "main"], { cwd: source });
  target = { ...repo, head };
  const token = await rest.token(NS, "target", "read", EXPIRING_TTL);
  expiring = { token, exp: Number(token.split("?expires=")[1]), headAtMint: head, workedAtMint: remoteHead(withToken(repo.remote, token)) };
});

after(async () => {
  await server.stop();
  server.cleanup();
  removeScratch();
});

/** `GET info/refs` with an optional Authorization header, as git's first request. */
async function infoRefs(remote: string, authorization: string | null, service = "git-upload-pack") {
  const headers: Record<string, string> = authorization === null ? {} : { Authorization: authorization };
  const response = await fetch(`${remote}/info/refs?service=${service}`, { headers });
  return { status: response.status, body: await response.text(), challenge: response.headers.get("www-authenticate") };
}

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

/** Asserts the server refuses `token` for `remote` with 403 "Invalid or expired token", for both services. */
async function assertInvalid(remote: string, token: string): Promise<void> {
  for (const service of ["git-upload-pack", "git-receive-pack"]) {
    const result = await infoRefs(remote, bearer(token), service);
    assert.equal(result.status, 403, `${service} should refuse the token`);
    assert.equal(result.body, `${INVALID}\n`);
    assert.equal(result.challenge, null);
  }
}

/** `git ls-remote` that may fail. */
function lsRemote(url: string, args: string[] = []): RunResult {
  return git([...args, "ls-remote", url, "refs/heads/main"], { allowFail: true });
}

/** The id of refs/heads/main on `url`, throwing when git fails. */
function remoteHead(url: string, args: string[] = []): string {
  return git([...args, "ls-remote", url, "refs/heads/main"]).stdout.split("\t")[0]!;
}

/** Asserts a git command was refused by the server with `message` after HTTP 403. */
function assertGitRefused(result: RunResult, message: string): void {
  assert.equal(result.status, 128, result.stderr);
  assert.match(result.stderr, new RegExp(`^remote: ${message}$`, "m"));
  assert.match(result.stderr, /The requested URL returned error: 403/);
}

/** The three segments of a token's JWT, with the header and payload decoded. */
function jwtParts(token: string) {
  const jwt = token.split("?")[0]!;
  const [header, payload, signature] = jwt.split(".") as [string, string, string];
  return { jwt, header, payload, signature, claims: decodeJwt(jwt) };
}

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));

/** Signs `claims` as HS256 with `key`, the way the server signs its tokens. */
function sign(claims: Record<string, unknown>, key: Uint8Array): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
}

describe("git: who may read and push", () => {
  it("answers 404 for a repository that does not exist, and git says so", async () => {
    const missing = target.remote.replace("/target.git", "/nowhere.git");
    const result = await infoRefs(missing, bearer(target.token));
    assert.equal(result.status, 404);
    const listed = lsRemote(withToken(missing, target.token));
    assert.equal(listed.status, 128);
    assert.match(listed.stderr, /fatal: repository '.*\/git\/auth\/nowhere\.git\/' not found/);
  });

  it("tells which repositories exist only to holders of a genuine token", async () => {
    const missing = target.remote.replace("/target.git", "/nowhere.git");
    for (const remote of [missing, target.remote]) {
      // Without credentials: the same challenge for a missing repository as for an existing one.
      const anonymous = await infoRefs(remote, null);
      assert.equal(anonymous.status, 401, remote);
      assert.equal(anonymous.challenge, 'Basic realm="artifacts"');
      // A made-up secret: the same refusal for both.
      const bogus = await infoRefs(remote, bearer("made-up-secret"));
      assert.equal(bogus.status, 403, remote);
      assert.equal(bogus.body, "Invalid or expired token\n");
    }
    // An expired token of this server no longer tells either.
    const { claims } = jwtParts(target.token);
    const expired = await sign({ ...claims, iat: 1, exp: 2 }, parseSigningKey(TEST_SIGNING_KEY));
    assert.equal((await infoRefs(missing, bearer(expired))).status, 403);
    // Control: the same token unexpired is genuine, so the missing repository is 404 for it.
    assert.equal((await infoRefs(missing, bearer(await sign(claims, parseSigningKey(TEST_SIGNING_KEY))))).status, 404);
  });

  it("without credentials answers 401 with a Basic challenge, and git gives up", async () => {
    for (const service of ["git-upload-pack", "git-receive-pack"]) {
      const result = await infoRefs(target.remote, null, service);
      assert.equal(result.status, 401);
      assert.equal(result.challenge, 'Basic realm="artifacts"');
      assert.equal(result.body, "Authentication required\n");
    }
    // Basic with an empty password is no credential either: the token in the username slot is ignored.
    const inUsername = await infoRefs(target.remote, basic(target.token, ""));
    assert.equal(inUsername.status, 401);
    assert.equal(inUsername.challenge, 'Basic realm="artifacts"');

    const listed = lsRemote(target.remote);
    assert.equal(listed.status, 128);
    assert.match(listed.stderr, /could not read Username for 'http:\/\/127\.0\.0\.1:\d+': terminal prompts disabled/);
    const dir = join(scratch(), "anonymous");
    const cloned = git(["clone", target.remote, dir], { allowFail: true });
    assert.equal(cloned.status, 128);
    assert.equal(existsSync(dir), false);
  });

  it("refuses a token for another repository, in the same or another namespace", async () => {
    const sibling = await rest.createRepo(NS, "sibling");
    const twin = await rest.createRepo("auth-other", "target");
    for (const token of [sibling.token, twin.token]) {
      await assertInvalid(target.remote, token);
      assertGitRefused(lsRemote(withToken(target.remote, token)), INVALID);
    }
    // Each token still works where it belongs (an empty repository lists nothing).
    for (const repo of [sibling, twin]) {
      const own = lsRemote(withToken(repo.remote, repo.token));
      assert.deepEqual({ status: own.status, stdout: own.stdout }, { status: 0, stdout: "" });
    }
  });

  it("lets a read token clone and fetch but not push", async () => {
    const read = await rest.token(NS, "target", "read");
    assert.equal(decodeJwt(read.split("?")[0]!)["scope"], "read");
    const dir = join(scratch(), "read-clone");
    git(["clone", "-q", withToken(target.remote, read), dir]);
    assert.equal(git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim(), target.head);
    git(["fetch", "-q", "origin"], { cwd: dir });

    commitFile(dir, "README.md", "read tokens cannot push this\n");
    const pushed = git(["push", "origin", "main"], { cwd: dir, allowFail: true });
    assertGitRefused(pushed, "Insufficient permissions");
    const advertisement = await infoRefs(target.remote, bearer(read), "git-receive-pack");
    assert.equal(advertisement.status, 403);
    assert.equal(advertisement.body, "Insufficient permissions\n");
    // A read token also cannot reach git-receive-pack directly, skipping the advertisement.
    const direct = await fetch(`${target.remote}/git-receive-pack`, {
      method: "POST",
      headers: { Authorization: bearer(read), "Content-Type": "application/x-git-receive-pack-request" },
      body: "0000",
    });
    assert.equal(direct.status, 403);
    assert.equal(await direct.text(), "Insufficient permissions\n");
    assert.equal(remoteHead(withToken(target.remote, target.token)), target.head);
  });

  it("refuses a token whose signature or payload was tampered with", async () => {
    const read = await rest.token(NS, "target", "read");
    const { header, payload, signature, claims } = jwtParts(read);
    assert.equal((await infoRefs(target.remote, bearer(read))).status, 200);

    // Flip a character in the middle of the signature (the last one carries two padding bits).
    const i = 10;
    const flipped = `${header}.${payload}.${signature.slice(0, i)}${signature[i] === "A" ? "B" : "A"}${signature.slice(i + 1)}`;
    await assertInvalid(target.remote, flipped);
    assertGitRefused(lsRemote(withToken(target.remote, flipped)), INVALID);

    // Raise the scope to write while keeping the original signature.
    const raised = `${header}.${encodeJson({ ...claims, scope: "write" })}.${signature}`;
    await assertInvalid(target.remote, raised);
    // A signature-less token (three segments, last one empty) and a token with two segments.
    await assertInvalid(target.remote, `${header}.${payload}.`);
    await assertInvalid(target.remote, `${header}.${payload}`);
  });

  it('refuses "alg: none" tokens carrying valid claims', async () => {
    const { payload, claims } = jwtParts(target.token);
    for (const alg of ["none", "None", "NONE"]) {
      const unsigned = `${encodeJson({ alg, typ: "JWT" })}.${payload}.`;
      await assertInvalid(target.remote, unsigned);
    }
    const rebuilt = `${encodeJson({ alg: "none" })}.${encodeJson(claims)}.`;
    assertGitRefused(lsRemote(withToken(target.remote, rebuilt)), INVALID);
  });

  it("refuses valid claims signed with a key that is not the server's", async () => {
    const { claims } = jwtParts(target.token);
    const serverKey = parseSigningKey(TEST_SIGNING_KEY);
    // Control: the same claims signed with the server's key are accepted, so only the key differs.
    const resigned = await sign(claims, serverKey);
    assert.equal(remoteHead(withToken(target.remote, resigned)), target.head);

    const foreign = crypto.getRandomValues(new Uint8Array(32));
    await assertInvalid(target.remote, await sign(claims, foreign));
    // A key that differs from the server's only in its last byte.
    const nearly = serverKey.slice();
    nearly[nearly.length - 1]! ^= 1;
    const forged = await sign(claims, nearly);
    await assertInvalid(target.remote, forged);
    assertGitRefused(lsRemote(withToken(target.remote, forged)), INVALID);
  });

  it("refuses a correctly signed token whose jti has no stored record", async () => {
    const { claims } = jwtParts(target.token);
    const key = parseSigningKey(TEST_SIGNING_KEY);
    const unknown = { ...claims, jti: randomId() };
    assert.notEqual(unknown.jti, claims.jti);
    const minted = await sign(unknown, key);
    await assertInvalid(target.remote, minted);
    assertGitRefused(lsRemote(withToken(target.remote, minted)), INVALID);
    // With a recorded jti the same key is accepted even with a later exp: the stored record, not the
    // claim, bounds the lifetime (the expiry test shows such a token refused once the record expires).
    const longer = await sign({ ...claims, exp: Number(claims.exp) + 365 * 86_400 }, key);
    assert.equal((await infoRefs(target.remote, bearer(longer))).status, 200);
  });

  it("treats the ?expires= suffix as informational: rewritten or dropped, the token works as before", async () => {
    const { jwt, claims } = jwtParts(target.token);
    assert.equal(target.token, `${jwt}?expires=${claims.exp}`);
    for (const variant of [
      `${jwt}?expires=${Number(claims.exp) + 10 * 365 * 86_400}`,
      `${jwt}?expires=1`,
      jwt,
    ]) {
      assert.equal(remoteHead(withToken(target.remote, variant)), target.head, variant.slice(-30));
      assert.equal((await infoRefs(target.remote, bearer(variant), "git-receive-pack")).status, 200);
    }
  });

  it("accepts the token as a Bearer header, for clone and push", () => {
    const header = `http.extraHeader=Authorization: Bearer ${target.token}`;
    const dir = join(scratch(), "bearer-clone");
    git(["-c", header, "clone", "-q", target.remote, dir]);
    assert.equal(git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim(), target.head);
    const next = commitFile(dir, "bearer.txt", "pushed with a Bearer header\n");
    git(["-c", header, "push", "-q", "origin", "main"], { cwd: dir });
    assert.equal(remoteHead(target.remote, ["-c", header]), next);
    git(["pull", "-q", "--ff-only", withToken(target.remote, target.token), "main"], { cwd: source });
    target.head = next;
  });

  it("accepts the token as the Basic password under any username", async () => {
    for (const user of ["x", "", "git", "someone@example.com", "x-access-token", "ünïcode"]) {
      assert.equal(remoteHead(withToken(target.remote, target.token, user)), target.head, `username "${user}"`);
      assert.equal((await infoRefs(target.remote, basic(user, target.token))).status, 200, `username "${user}"`);
    }
  });

  it("decodes a percent-encoded Basic password", async () => {
    const encoded = encodeURIComponent(target.token);
    assert.notEqual(encoded, target.token);
    const direct = await infoRefs(target.remote, basic("x", encoded));
    assert.equal(direct.status, 200);
    assert.match(direct.body, new RegExp(`^001e# service=git-upload-pack\\n0000[0-9a-f]{4}${target.head} HEAD\\0`));
    assert.equal((await infoRefs(target.remote, bearer(encoded))).status, 200);

    // git decodes the URL's userinfo once: encoding twice makes it send the percent-encoded token.
    const url = new URL(target.remote);
    url.username = "x";
    url.password = encodeURIComponent(encoded);
    const traced = git(["ls-remote", url.toString(), "refs/heads/main"], {
      env: { GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1", GIT_TRACE_REDACT: "0" },
    });
    assert.equal(traced.stdout.split("\t")[0], target.head);
    const sent = /Send header: Authorization: Basic (\S+)/.exec(traced.stderr);
    assert.ok(sent, "git sent no Basic header");
    assert.equal(Buffer.from(sent[1]!, "base64").toString("utf8"), `x:${encoded}`);
  });

  it("refuses the token of a deleted repository on a new repository with the same name", async () => {
    const old = await rest.createRepo(NS, "reborn");
    const dir = join(scratch(), "reborn-src");
    git(["init", "-q", "-b", "main", dir]);
    const pushed = commitFile(dir, "a.txt", "before deletion\n");
    git(["push", "-q", withToken(old.remote, old.token), "main"], { cwd: dir });
    assert.equal(remoteHead(withToken(old.remote, old.token)), pushed);

    const deleted = await rest.call("DELETE", `/namespaces/${NS}/repos/reborn`);
    assert.equal(deleted.status, 202);
    assert.equal(deleted.body.success, true);
    assert.equal((await infoRefs(old.remote, bearer(old.token))).status, 404);

    const reborn = await rest.createRepo(NS, "reborn");
    assert.notEqual(reborn.id, old.id);
    assert.equal(reborn.remote, old.remote);
    await assertInvalid(reborn.remote, old.token);
    assertGitRefused(lsRemote(withToken(reborn.remote, old.token)), INVALID);
    // The new repository is empty and its own token works.
    const listed = git(["ls-remote", withToken(reborn.remote, reborn.token)]);
    assert.equal(listed.stdout, "");
  });

  it("refuses a token once it has expired, whatever its ?expires= suffix says", async () => {
    const { jwt, claims } = jwtParts(expiring.token);
    assert.equal(claims.exp, expiring.exp);
    assert.equal(Number(claims.exp) - Number(claims.iat), EXPIRING_TTL);
    assert.equal(expiring.workedAtMint, expiring.headAtMint);
    // The server compares whole seconds (jose) and milliseconds (the record): wait past both.
    const wait = expiring.exp * 1000 + 1200 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

    await assertInvalid(target.remote, expiring.token);
    assertGitRefused(lsRemote(withToken(target.remote, expiring.token)), INVALID);
    await assertInvalid(target.remote, `${jwt}?expires=${expiring.exp + 86_400}`);
    // Re-signing with a later exp (what only the key holder could do) still meets the stored expiry.
    const extended = await sign({ ...claims, exp: expiring.exp + 86_400 }, parseSigningKey(TEST_SIGNING_KEY));
    await assertInvalid(target.remote, extended);
  });
});

describe("REST: the control plane takes only the API token", () => {
  const path = `/namespaces/${NS}/repos/target`;

  it("refuses a git token as the REST bearer with 401 and the v4 envelope", async () => {
    for (const authorization of [bearer(target.token), bearer(target.token.split("?")[0]!), basic("x", target.token)]) {
      const { status, body, response } = await rest.call("GET", path, undefined, { Authorization: authorization });
      assert.equal(status, 401);
      assert.equal(body.success, false);
      assert.equal(body.result, null);
      assert.equal(body.errors[0]?.code, 10000);
      assert.match(body.errors[0]!.message, /control-plane API token is required/);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="reposit"');
    }
    // Nor may it mint tokens.
    const minted = await rest.call("POST", `/namespaces/${NS}/tokens`, { repo: "target", scope: "write" }, { Authorization: bearer(target.token) });
    assert.equal(minted.status, 401);
    assert.equal(minted.body.success, false);
  });

  it("answers 401 without a bearer", async () => {
    const response = await fetch(`${rest.base}${path}`);
    assert.equal(response.status, 401);
    const body = (await response.json()) as { success: boolean; errors: { code: number }[] };
    assert.equal(body.success, false);
    assert.equal(body.errors[0]?.code, 10000);
  });

  it("accepts the API token", async () => {
    const { status, body } = await rest.call("GET", path);
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.equal(body.result.id, target.id);
    assert.equal(body.result.name, "target");
    assert.equal(body.result.remote, target.remote);
  });
});

describe("after all the refusals", () => {
  it("still serves a valid clone", () => {
    const dir = join(scratch(), "final");
    git(["clone", "-q", withToken(target.remote, target.token), dir]);
    assert.equal(git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim(), target.head);
    assert.equal(git(["rev-list", "--count", "HEAD"], { cwd: dir }).stdout.trim(), "2");
    git(["fsck", "--strict"], { cwd: dir });
  });
});
