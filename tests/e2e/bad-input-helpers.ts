/**
 * Shared by the bad-input end-to-end tests (bad-input*.test.ts): raw smart-HTTP requests, an
 * independent pkt-line / side-band / report-status decoder (gitprotocol-common "pkt-line Format",
 * gitprotocol-pack "Report Status"), hand-built packs (src/git/pack-writer.ts), and the check that a
 * hostile request left a repository exactly as it was.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PackWriter } from "../../src/git/pack-writer.ts";
import type { WholePackType } from "../../src/git/object-type.ts";
import { nodePlatform } from "../../adapters/shared/node-platform.ts";
import { allObjects, commitFile, git, gitBytes, tempDir, withToken } from "../helpers/git.ts";
import type { Rest } from "../helpers/rest.ts";
import type { TestServer } from "../helpers/server.ts";

const dirs: string[] = [];

/** A fresh temporary directory, removed by `removeScratch`. */
export function scratch(): string {
  const dir = tempDir("reposit-bad-");
  dirs.push(dir);
  return dir;
}

export function removeScratch(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A repository on the server with one pushed commit, and a local clone of it to build from. */
export interface Seeded {
  /** Remote URL with the token as Basic password (for the git CLI). */
  readonly remote: string;
  /** Remote URL without credentials (for fetch). */
  readonly url: string;
  readonly token: string;
  /** Local repository whose main equals the server's. */
  readonly source: string;
  /** The commit refs/heads/main points at on the server. */
  readonly head: string;
}

/** Creates `ns/name` and pushes two commits to main. */
export async function seedRepo(rest: Rest, ns: string, name: string): Promise<Seeded> {
  const repo = await rest.createRepo(ns, name);
  const remote = withToken(repo.remote, repo.token);
  const source = join(scratch(), name);
  git(["init", "-q", "-b", "main", source]);
  commitFile(source, "a.txt", "one\n");
  const head = commitFile(source, "dir/b.txt", `two of ${name}\n`);
  git(["push", "-q", remote, "main"], { cwd: source });
  return { remote, url: repo.remote, token: repo.token, source, head };
}

/** A raw reply of a git endpoint. */
export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly text: string;
}

/** Sends `body` to `<repo>.git/<service>` with the repository token; a hang fails after 60 s. */
export async function gitPost(
  repo: Seeded,
  service: "git-upload-pack" | "git-receive-pack",
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(`${repo.url}/${service}`, repo.token, {
    method: "POST",
    headers: { "Content-Type": `application/x-${service}-request`, ...headers },
    body,
  });
}

/** GETs `url` (with the token when given). */
export async function gitGet(url: string, token?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return send(url, token, { method: "GET", headers });
}

async function send(url: string, token: string | undefined, init: { method: string; headers: Record<string, string>; body?: Uint8Array }): Promise<Reply> {
  const auth: Record<string, string> = token ? { Authorization: "Basic " + Buffer.from(`x:${token}`).toString("base64") } : {};
  const response = await fetch(url, {
    method: init.method,
    headers: { ...auth, ...init.headers },
    ...(init.body ? { body: init.body as BodyInit } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body, text: body.toString("latin1") };
}

// ---- pkt-lines ----------------------------------------------------------------------------------

/** One pkt-line: a payload, or the boundary packets 0000, 0001, 0002 as those strings. */
export type Pkt = Buffer | "0000" | "0001" | "0002";

/** Encodes text or bytes as one data pkt-line. */
export function pkt(payload: string | Uint8Array): Buffer {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
  return Buffer.concat([Buffer.from((bytes.length + 4).toString(16).padStart(4, "0")), bytes]);
}

export const FLUSH = Buffer.from("0000");
export const DELIM = Buffer.from("0001");

/** Decodes a whole pkt-line stream; throws on anything malformed (the server must never send that). */
export function decodePkts(bytes: Uint8Array): Pkt[] {
  const buf = Buffer.from(bytes);
  const out: Pkt[] = [];
  let at = 0;
  while (at < buf.length) {
    const prefix = buf.toString("latin1", at, at + 4);
    assert.match(prefix, /^[0-9a-f]{4}$/, `bad pkt-line length ${JSON.stringify(prefix)} at byte ${at} of ${JSON.stringify(buf.toString("latin1"))}`);
    const length = parseInt(prefix, 16);
    if (length < 4) {
      assert.notEqual(length, 3);
      out.push(prefix as "0000" | "0001" | "0002");
      at += 4;
      continue;
    }
    assert.ok(at + length <= buf.length, `pkt-line at byte ${at} runs past the end`);
    out.push(buf.subarray(at + 4, at + length));
    at += length;
  }
  return out;
}

/** The text of data packets (one trailing "\n" removed), boundaries as "0000"/"0001". */
export function pktTexts(bytes: Uint8Array): string[] {
  return decodePkts(bytes).map((p) => (typeof p === "string" ? p : p.toString("utf8").replace(/\n$/, "")));
}

/** Asserts that a reply is 200 with exactly one `ERR <message>` pkt-line; returns the message. */
export function errMessage(reply: Reply): string {
  assert.equal(reply.status, 200, `expected 200 with an ERR pkt-line, got ${reply.status}: ${reply.text}`);
  const texts = pktTexts(reply.body);
  assert.equal(texts.length, 1, `expected one ERR pkt-line, got ${JSON.stringify(texts)}`);
  assert.match(texts[0]!, /^ERR /);
  return texts[0]!.slice(4);
}

/**
 * The report-status lines of a push reply (e.g. ["unpack ok", "ok refs/heads/main"]), demultiplexed
 * from side-band-64k when `sideband`; progress (band 2) goes to `progress`.
 */
export function pushReport(reply: Reply, sideband = false, progress: string[] = []): string[] {
  assert.equal(reply.status, 200, `push reply ${reply.status}: ${reply.text}`);
  assert.equal(reply.contentType, "application/x-git-receive-pack-result");
  let report: Uint8Array = reply.body;
  if (sideband) {
    const band1: Buffer[] = [];
    const pkts = decodePkts(reply.body);
    assert.equal(pkts.at(-1), "0000", "side-band stream must end with a flush");
    for (const p of pkts.slice(0, -1)) {
      assert.ok(typeof p !== "string", "side-band frames are data packets");
      if (p[0] === 1) band1.push(p.subarray(1));
      else if (p[0] === 2) progress.push(p.subarray(1).toString("utf8"));
      else assert.fail(`unexpected side-band ${p[0]}: ${p.subarray(1).toString("utf8")}`);
    }
    report = Buffer.concat(band1);
  }
  const texts = pktTexts(report);
  assert.equal(texts.at(-1), "0000", `report must end with a flush: ${JSON.stringify(texts)}`);
  return texts.slice(0, -1);
}

/** A receive-pack request: commands ("<old> <new> <ref>"), capabilities after NUL on the first, flush, then `pack`. */
export function pushBody(commands: readonly string[], capabilities: string, pack: Uint8Array = new Uint8Array(0)): Buffer {
  const lines = commands.map((c, i) => pkt(i === 0 ? `${c}\0${capabilities}\n` : `${c}\n`));
  return Buffer.concat([...lines, FLUSH, pack]);
}

/** A v0 upload-pack request: wants (capabilities on the first), flush, then "done". */
export function fetchBodyV0(wants: readonly string[], capabilities = "ofs-delta side-band-64k"): Buffer {
  const lines = wants.map((id, i) => pkt(i === 0 ? `want ${id} ${capabilities}\n` : `want ${id}\n`));
  return Buffer.concat([...lines, FLUSH, pkt("done\n")]);
}

/** A v2 `fetch` command with the given argument lines (header `Git-Protocol: version=2` goes with it). */
export function fetchBodyV2(args: readonly string[], capabilities: readonly string[] = ["agent=git/2.39"]): Buffer {
  return Buffer.concat([pkt("command=fetch\n"), ...capabilities.map((c) => pkt(`${c}\n`)), DELIM, ...args.map((a) => pkt(`${a}\n`)), FLUSH]);
}

export const V2 = { "Git-Protocol": "version=2" };

// ---- packs --------------------------------------------------------------------------------------

const TYPE_CODE: Record<string, WholePackType> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/** An object read from a local repository. */
export interface LocalObject {
  readonly id: string;
  readonly packType: WholePackType;
  readonly content: Buffer;
}

/** Reads object `id` (any rev) of the repository in `dir`. */
export function readObject(dir: string, rev: string): LocalObject {
  const id = git(["rev-parse", rev], { cwd: dir }).stdout.trim();
  const type = git(["cat-file", "-t", id], { cwd: dir }).stdout.trim();
  return { id, packType: TYPE_CODE[type]!, content: gitBytes(["cat-file", type, id], { cwd: dir }) };
}

/** Runs `fill` on a PackWriter of `count` objects (its writes return entry offsets) and returns the pack. */
export async function buildPack(count: number, fill: (writer: PackWriter) => Promise<void>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const writer = new PackWriter(nodePlatform, count, (chunk) => void chunks.push(chunk));
  await fill(writer);
  await writer.finish();
  return Buffer.concat(chunks);
}

/** A pack of whole objects, in order, and the offset of each entry. */
export async function packOf(objects: readonly LocalObject[]): Promise<{ pack: Buffer; offsets: number[] }> {
  const offsets: number[] = [];
  const pack = await buildPack(objects.length, async (w) => {
    for (const o of objects) offsets.push(await w.writeWhole(o.packType, o.content));
  });
  return { pack, offsets };
}

/** The pack's SHA-1 trailer recomputed after editing its body (hex of the new trailer is returned too). */
export function retrail(packWithoutTrailer: Uint8Array): { pack: Buffer; trailer: string } {
  const digest = createHash("sha1").update(packWithoutTrailer).digest();
  return { pack: Buffer.concat([packWithoutTrailer, digest]), trailer: digest.toString("hex") };
}

// ---- "the repository is exactly as before" ------------------------------------------------------

/** What a client and the store see of a repository. */
export interface RepoState {
  readonly lsRemote: string;
  readonly objects: readonly string[];
  /** Every key of the server's SQLite store with its version and value size. */
  readonly stored: readonly string[];
}

/** ls-remote, a fresh clone checked with `git fsck --strict`, and the server's stored keys. */
export function repoState(server: TestServer, repo: Seeded): RepoState {
  const lsRemote = git(["ls-remote", repo.remote]).stdout;
  const clone = join(scratch(), "clone");
  git(["clone", "-q", "--mirror", repo.remote, clone]);
  git(["fsck", "--strict", "--no-dangling"], { cwd: clone });
  return { lsRemote, objects: allObjects(clone), stored: storedKeys(server) };
}

/** The rows of the server's store as "key version bytes" (read-only; the server keeps running). */
export function storedKeys(server: TestServer): string[] {
  const db = new Database(join(server.dataDir, "reposit.sqlite"), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT key, version, length(value) AS bytes FROM kv ORDER BY key").all() as { key: string; version: number; bytes: number }[];
    return rows.map((r) => `${r.key} ${r.version} ${r.bytes}`);
  } finally {
    db.close();
  }
}

/** Log lines a server writes when something failed unexpectedly (as opposed to a clean refusal). */
const FAILURE_LOG = /unexpected failure|unhandled failure|failed \{|Internal server error|panic|Segmentation|uncaught/i;

/**
 * How the store may differ after the request: "same" (nothing stored or deleted), "empty-pack"
 * (also ignore 32-byte pack blobs, i.e. empty packs, whose leak bad-input.test.ts asserts on its
 * own), "grow" (rows may be added, e.g. a pack published by a push whose refs all failed, as in C
 * git; none may change or disappear).
 */
export type StoreCheck = "same" | "empty-pack" | "grow";

const EMPTY_PACK_BLOB = /^packdata\/[^/]+\/[^/]+\/data\/\d+ \d+ 32$/;

/**
 * Captures a repository before a hostile request; `assertUnchanged` then checks refs, a fresh
 * clone (fsck --strict, same object ids: the server still serves clones), the store (StoreCheck),
 * and that the server logged no unexpected failure meanwhile.
 */
export class Guard {
  readonly #server: TestServer;
  readonly #repo: Seeded;
  readonly #before: RepoState;
  readonly #logMark: number;

  private constructor(server: TestServer, repo: Seeded, before: RepoState) {
    this.#server = server;
    this.#repo = repo;
    this.#before = before;
    this.#logMark = server.output().length;
  }

  static capture(server: TestServer, repo: Seeded): Guard {
    return new Guard(server, repo, repoState(server, repo));
  }

  assertUnchanged(store: StoreCheck = "same"): void {
    const after = repoState(this.#server, this.#repo);
    assert.equal(after.lsRemote, this.#before.lsRemote, "refs changed");
    assert.deepEqual(after.objects, this.#before.objects, "a fresh clone has different objects");
    if (store === "grow") {
      // Publishing a pack bumps the pool's pack sequence; every other row must survive unchanged.
      const kept = new Set(after.stored);
      const lost = this.#before.stored.filter((row) => !kept.has(row) && !/^pool\/[^/]+\/pack-seq /.test(row));
      assert.deepEqual(lost, [], "stored rows changed or disappeared");
    } else {
      const rows = (list: readonly string[]) => (store === "same" ? list : list.filter((row) => !EMPTY_PACK_BLOB.test(row)));
      assert.deepEqual(rows(after.stored), rows(this.#before.stored), "the server's store changed");
    }
    const logged = this.#server.output().slice(this.#logMark);
    assert.doesNotMatch(logged, FAILURE_LOG, `server logged a failure:\n${logged}`);
  }
}
