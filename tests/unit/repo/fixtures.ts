/**
 * Shared fixtures for the repository-layer tests. Histories are built with the real
 * `git fast-import` in a temp bare repository and packed with `git pack-objects`; what git itself
 * answers (`rev-list`, `cat-file`, `index-pack`, `verify-pack`, `upload-pack --stateless-rpc`) is
 * the oracle. Packs in orders git never writes (REF_DELTA before its base, an object twice) are
 * built by hand with node:zlib and node:crypto, independently of src/git.
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { deflateSync } from "node:zlib";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import type { KvLimits } from "../../../src/storage/types.ts";
import { resolveLimits, type Limits } from "../../../src/limits.ts";
import { ObjectPool, PoolCache, type PoolEnv } from "../../../src/repo/object-pool.ts";
import { ingestPack, type IngestResult } from "../../../src/repo/ingest.ts";
import { abandonUpload, beginUpload, publishPack } from "../../../src/repo/publish.ts";
import { updateRefs } from "../../../src/repo/refs.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";

const textDecoder = new TextDecoder();
/** UTF-8 bytes of `s`. */
export const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A neutral git environment: no user or system config, fixed identities and dates, C locale. */
export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "A U Thor",
    GIT_AUTHOR_EMAIL: "author@example.com",
    GIT_COMMITTER_NAME: "C O Mitter",
    GIT_COMMITTER_EMAIL: "committer@example.com",
    GIT_AUTHOR_DATE: "1700000000 +0000",
    GIT_COMMITTER_DATE: "1700000000 +0000",
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
  };
}

/** Runs git in `cwd` and returns its stdout. */
export function git(cwd: string, args: string[], input?: Uint8Array | string, env: Record<string, string> = {}): Uint8Array {
  const out = execFileSync("git", args, {
    cwd,
    input,
    env: { ...gitEnv(cwd), ...env },
    maxBuffer: 1 << 28,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Runs git and returns stdout as text without the final newline. */
export function gitText(cwd: string, args: string[], input?: Uint8Array | string): string {
  return textDecoder.decode(git(cwd, args, input)).replace(/\n$/, "");
}

const temps: string[] = [];
const removeTemps = () => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
};
// After the importing test file's tests (Deno fires no process "exit" event), and at exit as a fallback.
after(removeTemps);
process.once("exit", removeTemps);

/** A new empty temp directory, removed once the test file has run. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A new empty bare repository (HEAD → refs/heads/main). */
export function emptyBareRepo(): string {
  const dir = tempDir("reposit-repo-");
  git(dir, ["init", "-q", "--bare", "-b", "main", "."]);
  return dir;
}

export type FileSpec = string | Uint8Array | null | { readonly gitlink: string } | { readonly mode: string; readonly data: string | Uint8Array };

/** One commit of a synthetic history. */
export interface CommitSpec {
  /** Name to refer to the commit by (parents, tags, `History.ids`). */
  readonly name: string;
  /** Branch (under refs/heads/) moved to this commit; default "main". */
  readonly branch?: string;
  /** Parent names, first parent first; default: the branch's previous commit (none for the first). */
  readonly parents?: readonly string[];
  /** Changes relative to the first parent: content, null to delete, a gitlink or a mode + content. */
  readonly files?: Readonly<Record<string, FileSpec>>;
  /** Committer (and author) time in seconds; default 1700000000 + 1000 × position. */
  readonly time?: number;
}

export interface TagSpec {
  readonly name: string;
  /** Commit name. */
  readonly target: string;
  /** Annotated (default) or lightweight. */
  readonly annotated?: boolean;
}

export interface History {
  /** The bare repository. */
  readonly dir: string;
  /** Object id of each named commit and of each tag (annotated: the tag object; lightweight: the commit). */
  readonly ids: Readonly<Record<string, string>>;
  /** Committer time of each named commit. */
  readonly times: Readonly<Record<string, number>>;
}

/** Builds a history with `git fast-import` in a new bare repository. */
export function makeRepo(commits: readonly CommitSpec[], tags: readonly TagSpec[] = []): History {
  const dir = emptyBareRepo();
  const parts: Uint8Array[] = [];
  const text = (s: string) => parts.push(encode(s));
  const data = (bytes: Uint8Array) => {
    text(`data ${bytes.length}\n`);
    parts.push(bytes);
    text("\n");
  };
  const marks = new Map<string, number>();
  const tips = new Map<string, string>();
  const times: Record<string, number> = {};
  commits.forEach((c, k) => {
    const branch = c.branch ?? "main";
    const ref = `refs/heads/${branch}`;
    const parents = c.parents ?? (tips.has(branch) ? [tips.get(branch)!] : []);
    const mark = k + 1;
    const time = c.time ?? 1700000000 + 1000 * mark;
    marks.set(c.name, mark);
    times[c.name] = time;
    tips.set(branch, c.name);
    if (parents.length === 0) text(`reset ${ref}\n`);
    text(`commit ${ref}\nmark :${mark}\n`);
    text(`author A U Thor <author@example.com> ${time} +0000\ncommitter C O Mitter <committer@example.com> ${time} +0000\n`);
    data(encode(`${c.name}\n`));
    parents.forEach((p, i) => text(`${i === 0 ? "from" : "merge"} :${marks.get(p)!}\n`));
    for (const [file, spec] of Object.entries(c.files ?? {})) {
      if (spec === null) text(`D ${file}\n`);
      else if (typeof spec === "string" || spec instanceof Uint8Array) {
        text(`M 100644 inline ${file}\n`);
        data(typeof spec === "string" ? encode(spec) : spec);
      } else if ("gitlink" in spec) text(`M 160000 ${spec.gitlink} ${file}\n`);
      else {
        text(`M ${spec.mode} inline ${file}\n`);
        data(typeof spec.data === "string" ? encode(spec.data) : spec.data);
      }
    }
    text("\n");
  });
  for (const t of tags) {
    if (t.annotated === false) {
      text(`reset refs/tags/${t.name}\nfrom :${marks.get(t.target)!}\n\n`);
    } else {
      text(`tag ${t.name}\nfrom :${marks.get(t.target)!}\ntagger T Agger <tagger@example.com> ${times[t.target]! + 1} +0000\n`);
      data(encode(`Tag ${t.name}\n`));
    }
  }
  const marksFile = path.join(dir, "marks");
  git(dir, ["fast-import", "--quiet", `--export-marks=${marksFile}`], concatParts(parts));
  const byMark = new Map<number, string>();
  for (const line of fs.readFileSync(marksFile, "utf8").split("\n")) {
    const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
    if (m) byMark.set(Number(m[1]), m[2]!);
  }
  const ids: Record<string, string> = {};
  for (const [name, mark] of marks) ids[name] = byMark.get(mark)!;
  if (tags.length > 0) {
    const tagIds = showRefs(dir);
    for (const t of tags) ids[t.name] = tagIds.get(`refs/tags/${t.name}`)!;
  }
  return { dir, ids, times };
}

function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface PackOptions {
  readonly thin?: boolean;
  /** Write OFS_DELTA (`--delta-base-offset`, default true) or only REF_DELTA. */
  readonly ofsDelta?: boolean;
  readonly extra?: readonly string[];
}

/** `git pack-objects --revs --stdout` with `revs` (e.g. ["main", "^main~2"]) on stdin; "--all" is an option. */
export function packOf(dir: string, revs: readonly string[], options: PackOptions = {}): Uint8Array {
  const args = ["pack-objects", "--revs", "--stdout", "-q", ...revs.filter((r) => r.startsWith("--"))];
  revs = revs.filter((r) => !r.startsWith("--"));
  if (options.thin) args.push("--thin");
  if (options.ofsDelta !== false) args.push("--delta-base-offset");
  args.push(...(options.extra ?? []));
  return git(dir, args, revs.map((r) => `${r}\n`).join(""));
}

/** `git pack-objects --stdout` of exactly the objects `ids` (no traversal). */
export function packObjects(dir: string, ids: readonly string[]): Uint8Array {
  return git(dir, ["pack-objects", "--stdout", "-q"], ids.map((id) => `${id}\n`).join(""));
}

/** `git rev-list --objects <args>`: the object ids, in git's order. */
export function revListObjects(dir: string, args: readonly string[]): string[] {
  const out = gitText(dir, ["rev-list", "--objects", ...args]);
  return out === "" ? [] : out.split("\n").map((l) => l.slice(0, 40));
}

/** Reads objects with one `git cat-file --batch`. */
export function catAll(dir: string, ids: readonly string[]): Map<string, { type: string; content: Uint8Array }> {
  const out = git(dir, ["cat-file", "--batch"], ids.map((id) => `${id}\n`).join(""));
  const objects = new Map<string, { type: string; content: Uint8Array }>();
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    const [id, type, size] = textDecoder.decode(out.subarray(pos, eol)).split(" ") as [string, string, string];
    if (type === "missing") throw new Error(`cat-file: ${id} is missing`);
    const start = eol + 1;
    objects.set(id, { type, content: out.subarray(start, start + Number(size)) });
    pos = start + Number(size) + 1;
  }
  return objects;
}

/** The refs of a repository as `git show-ref` lists them (name → id). */
export function showRefs(dir: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of gitText(dir, ["show-ref"]).split("\n")) {
    if (line) refs.set(line.slice(41), line.slice(0, 40));
  }
  return refs;
}

/** A pool environment over a fresh memory store (Deno KV limits unless overridden). */
export function makeEnv(options: { limits?: Partial<Limits>; store?: Partial<KvLimits>; objectCacheBytes?: number } = {}): PoolEnv {
  return {
    store: createMemoryStore(options.store ? { limits: options.store } : {}),
    platform: nodePlatform,
    limits: resolveLimits(options.limits),
    cache: new PoolCache(options.objectCacheBytes === undefined ? {} : { objectBytes: options.objectCacheBytes }),
  };
}

/** The bytes as an async iterable of `size`-byte chunks (odd sizes exercise chunk boundaries). */
export async function* chunked(bytes: Uint8Array, size = 7919): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}


/** Ingests `pack` into the pool, checks that nothing is missing, publishes it, and reopens the pool. */
export async function ingestAndPublish(env: PoolEnv, poolId: string, pack: Uint8Array): Promise<{ result: IngestResult; pool: ObjectPool }> {
  const before = await ObjectPool.open(env, poolId);
  const blobId = await beginUpload(env.store, poolId);
  const result = await ingestPack(before, chunked(pack), blobId);
  if (result.missing.length > 0) throw new Error(`Pack is not closed: missing ${result.missing.join(", ")}`);
  if (result.record) await publishPack(env.store, poolId, result.record);
  else await abandonUpload(env.store, poolId, blobId);
  return { result, pool: await ObjectPool.open(env, poolId) };
}

/** Creates every ref of `refs` in the repository `repoId` (non-atomically). */
export async function setRefs(env: PoolEnv, repoId: string, refs: ReadonlyMap<string, string>): Promise<void> {
  const updates = [...refs].map(([name, id]) => ({ name, oldId: ZERO_ID, newId: id }));
  const results = await updateRefs(env.store, repoId, updates, { atomic: false });
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`Cannot set refs: ${JSON.stringify(failed)}`);
}

/** Reads a whole stream. */
export async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return concatParts(parts);
}

/** A one-chunk byte source. */
export async function* source(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** One row of `git verify-pack -v`, plus the entry's raw pack type read from the pack bytes. */
export interface VerifyRow {
  readonly id: string;
  readonly type: string;
  readonly offset: number;
  /** 1-4 whole, 6 OFS_DELTA, 7 REF_DELTA (the type bits of the entry's first byte). */
  readonly packType: number;
  readonly baseId?: string;
}

/**
 * Indexes `pack` with `git index-pack --stdin` in `repo` (a new empty repository by default) and
 * lists the stored pack with `git verify-pack -v`. Throws (git's stderr in the message) when git
 * rejects the pack.
 */
export function indexPack(pack: Uint8Array, options: { strict?: boolean; fixThin?: boolean; repo?: string } = {}): VerifyRow[] {
  const repo = options.repo ?? emptyBareRepo();
  const args = ["index-pack", "--stdin"];
  if (options.strict) args.push("--strict");
  if (options.fixThin) args.push("--fix-thin");
  let out: string;
  try {
    out = textDecoder.decode(git(repo, args, pack));
  } catch (error) {
    const stderr = (error as { stderr?: Uint8Array }).stderr;
    throw new Error(`git index-pack failed: ${stderr ? textDecoder.decode(stderr) : String(error)}`);
  }
  const hash = /^(?:pack|keep)\t([0-9a-f]{40})/.exec(out)![1]!;
  const base = path.join(repo, "objects", "pack", `pack-${hash}`);
  const bytes = fs.readFileSync(`${base}.pack`);
  const rows: VerifyRow[] = [];
  for (const line of gitText(repo, ["verify-pack", "-v", `${base}.idx`]).split("\n")) {
    const m = /^([0-9a-f]{40}) (\w+) +\d+ \d+ (\d+)(?: \d+ ([0-9a-f]{40}))?$/.exec(line);
    if (!m) continue;
    const offset = Number(m[3]);
    rows.push({ id: m[1]!, type: m[2]!, offset, packType: (bytes[offset]! >> 4) & 7, ...(m[4] ? { baseId: m[4] } : {}) });
  }
  return rows;
}

/**
 * Splits a stateless upload-pack response into pkt-line texts ("0000" flush, "0001" delim), up to
 * a raw pack (which starts with "PACK") or up to and including the line `stopAfter`.
 */
export function splitResponse(bytes: Uint8Array, stopAfter?: string): { lines: string[]; rest: Uint8Array } {
  const lines: string[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const head = textDecoder.decode(bytes.subarray(at, at + 4));
    if (head === "PACK") break;
    const n = parseInt(head, 16);
    if (n === 0) lines.push("0000");
    else if (n === 1) lines.push("0001");
    else lines.push(textDecoder.decode(bytes.subarray(at + 4, at + n)));
    at += n < 4 ? 4 : n;
    if (lines[lines.length - 1] === stopAfter) break;
  }
  return { lines, rest: bytes.subarray(at) };
}

/** Encodes pkt-lines independently of src/git ("0000" flush, "0001" delim, anything else data). */
export function pkt(lines: readonly string[]): Uint8Array {
  return encode(lines.map((l) => (l === "0000" || l === "0001" ? l : (l.length + 4).toString(16).padStart(4, "0") + l)).join(""));
}

// ---- hand-built packs --------------------------------------------------------------------------

export type PackSpec =
  | { readonly type: "commit" | "tree" | "blob" | "tag"; readonly content: Uint8Array }
  | { readonly refBase: string; readonly delta: Uint8Array }
  | { readonly ofsBase: number; readonly delta: Uint8Array };

const TYPE_CODES = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;

function entryHeader(packType: number, size: number): number[] {
  const out = [(packType << 4) | (size & 15)];
  for (let rest = Math.floor(size / 16); rest > 0; rest = Math.floor(rest / 128)) {
    out[out.length - 1]! |= 0x80;
    out.push(rest & 0x7f);
  }
  return out;
}

/** A version-2 pack of `entries` in the given order (deltas may name any base). */
export function buildPack(entries: readonly PackSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(12);
  header.set(encode("PACK"));
  new DataView(header.buffer).setUint32(4, 2);
  new DataView(header.buffer).setUint32(8, entries.length);
  parts.push(header);
  let offset = 12;
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(offset);
    let head: number[];
    let payload: Uint8Array;
    if ("type" in e) {
      head = entryHeader(TYPE_CODES[e.type], e.content.length);
      payload = e.content;
    } else if ("refBase" in e) {
      head = [...entryHeader(7, e.delta.length), ...hexBytes(e.refBase)];
      payload = e.delta;
    } else {
      head = [...entryHeader(6, e.delta.length), ...ofsEncode(offset - offsets[e.ofsBase]!)];
      payload = e.delta;
    }
    const z = new Uint8Array(deflateSync(payload));
    parts.push(Uint8Array.from(head), z);
    offset += head.length + z.length;
  }
  const body = concatParts(parts);
  const trailer = new Uint8Array(createHash("sha1").update(body).digest());
  return concatParts([body, trailer]);
}

/** gitformat-pack offset encoding: big-endian 7-bit groups, each continuation adds one. */
function ofsEncode(distance: number): number[] {
  const out = [distance & 0x7f];
  let n = distance >>> 7;
  while (n > 0) {
    n -= 1;
    out.unshift(0x80 | (n & 0x7f));
    n >>>= 7;
  }
  return out;
}
function hexBytes(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < 40; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A git delta turning `base` into `target`: copy the common prefix, insert the rest. */
export function makeDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  let common = 0;
  while (common < base.length && common < target.length && common < 0xffff && base[common] === target[common]) common++;
  const out = [...varint(base.length), ...varint(target.length)];
  if (common > 0) out.push(0x80 | 0x10 | 0x20, common & 0xff, common >> 8); // copy offset 0, size `common`
  for (let at = common; at < target.length; at += 127) {
    const part = target.subarray(at, Math.min(target.length, at + 127));
    out.push(part.length, ...part);
  }
  return Uint8Array.from(out);
}

/** The id git gives `content` stored as `type`. */
export function objectId(type: string, content: Uint8Array): string {
  return createHash("sha1").update(`${type} ${content.length}\0`).update(content).digest("hex");
}

// ---- the shared history ------------------------------------------------------------------------

/** Deterministic pseudo-random bytes (xorshift32). */
export function randomBytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function lines(prefix: string, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `${prefix} line ${i}: the quick brown fox jumps over the lazy dog\n`;
  return s;
}

/**
 * The history most tests share: merges, a side branch and a topic branch from the root, nested
 * trees (d1/d2/d3), one blob at depths 1 and 3 and one subtree at depths 1 and 2, blobs from 0 bytes
 * to 8 KiB that evolve (so packs hold delta chains), a gitlink, annotated and lightweight tags.
 *
 *   A ─ B ─ C ─ D ─ E ─ H1 ─ H2 ─ H3 ─ H4   main (D merges F)
 *    │    └─ F ─┴─ G                        side
 *    └─ T1 ─ T2                             topic
 *   tags: v1 (annotated → C), v2 (lightweight → E), vside (annotated → G), vtopic (annotated → T2)
 */
export function standardHistory(): History {
  const big = randomBytes(7, 8192);
  const bigAt = (k: number) => {
    const copy = big.slice();
    copy.set(randomBytes(100 + k, 64), 512 * k);
    return copy;
  };
  const c = lines("main", 30);
  return makeRepo(
    [
      { name: "A", files: { "README": "hello\n", "src/a.c": c, "lib/util/x.txt": "shared\n", "big.bin": big, "empty.txt": "", "run.sh": { mode: "100755", data: "#!/bin/sh\n" } } },
      { name: "B", files: { "src/a.c": c + lines("b", 5), "docs/guide.md": lines("guide", 40) } },
      { name: "F", branch: "side", parents: ["B"], files: { "side.txt": "side one\n", "src/a.c": lines("side", 3) + c + lines("b", 5) } },
      { name: "C", files: { "big.bin": bigAt(1), "d1/d2/d3/deep.txt": "deep\n", "x.txt": "shared\n", "d1/note.txt": "note\n" } },
      { name: "D", parents: ["C", "F"], files: { "side.txt": "side one\n", "src/a.c": lines("side", 3) + c + lines("b", 5) } },
      { name: "G", branch: "side", files: { "side.txt": "side two\n" + lines("g", 20) } },
      { name: "E", files: { "vendor/lib/util/x.txt": "shared\n", "README": "hello again\n", "docs/guide.md": lines("guide", 41) } },
      { name: "H1", files: { "big.bin": bigAt(2), "src/a.c": lines("side", 3) + c + lines("b", 6) } },
      { name: "H2", files: { "src/a.c": lines("side", 3) + c + lines("b", 7), "docs/guide.md": lines("guide", 42) } },
      { name: "H3", files: { "big.bin": bigAt(3), "d1/d2/d3/deep.txt": "deeper\n" } },
      { name: "H4", files: { "src/a.c": lines("side", 3) + c + lines("b", 8), "empty.txt": null } },
      { name: "T1", branch: "topic", parents: ["A"], files: { "topic.txt": lines("topic", 10) } },
      { name: "T2", branch: "topic", files: { "topic.txt": lines("topic", 11), "sub": { gitlink: "1234567890123456789012345678901234567890" } } },
    ],
    [
      { name: "v1", target: "C" },
      { name: "v2", target: "E", annotated: false },
      { name: "vside", target: "G" },
      { name: "vtopic", target: "T2" },
    ],
  );
}

/** Asserts equal bytes, whatever Uint8Array subclass (node's Buffer) either side is. */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  const plain = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  assert.deepEqual(plain(actual), plain(expected), message);
}

/** The entries of a tree object's content (gitformat: "<mode> <name>\0<20-byte id>" repeated). */
export function treeEntries(content: Uint8Array): { mode: string; name: string; id: string }[] {
  const out: { mode: string; name: string; id: string }[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space);
    let id = "";
    for (let k = nul + 1; k < nul + 21; k++) id += content[k]!.toString(16).padStart(2, "0");
    out.push({ mode: textDecoder.decode(content.subarray(at, space)), name: textDecoder.decode(content.subarray(space + 1, nul)), id });
    at = nul + 21;
  }
  return out;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs several git commands in one shell (one process spawn from the test), returning each stdout. */
export function gitMany(dir: string, commands: readonly (readonly string[])[]): string[] {
  if (commands.length === 0) return [];
  const marker = "--reposit-test-end--";
  const script = commands.map((args) => `git ${args.map(shellQuote).join(" ")} || exit 1; echo ${marker}`).join("\n");
  const out = execFileSync("bash", ["-c", script], { cwd: dir, env: gitEnv(dir), maxBuffer: 1 << 28, stdio: ["pipe", "pipe", "pipe"] }).toString();
  const parts = out.split(`${marker}\n`);
  parts.pop();
  return parts.map((p) => p.replace(/\n$/, ""));
}

/** `git rev-list --objects <args>` for each argument list, in one spawn. */
export function revListObjectsMany(dir: string, argLists: readonly (readonly string[])[]): string[][] {
  return gitMany(dir, argLists.map((args) => ["rev-list", "--objects", ...args])).map((out) => (out === "" ? [] : out.split("\n").map((l) => l.slice(0, 40))));
}

/**
 * git's answers to several stateless upload-pack requests (v0, or v2 when `v2`), in one spawn.
 * Filters are allowed (we always advertise them), and pack-objects walks without its sparse
 * heuristic (pack.useSparse, on by default), which may resend blobs the client has at another path;
 * without it git sends exactly what `rev-list --objects <wants> --not <haves>` lists, as we do.
 */
export function gitUploadPackMany(dir: string, bodies: readonly Uint8Array[], v2 = false): Uint8Array[] {
  const work = tempDir("reposit-upload-");
  bodies.forEach((b, i) => fs.writeFileSync(path.join(work, `req${i}`), b));
  const env = v2 ? "GIT_PROTOCOL=version=2 " : "";
  const script = bodies.map((_, i) => `${env}git -c uploadpack.allowFilter=true -c pack.useSparse=false upload-pack --stateless-rpc . <${shellQuote(path.join(work, `req${i}`))} >${shellQuote(path.join(work, `res${i}`))} || exit 1`).join("\n");
  execFileSync("bash", ["-c", script], { cwd: dir, env: gitEnv(dir), stdio: ["pipe", "pipe", "pipe"] });
  return bodies.map((_, i) => new Uint8Array(fs.readFileSync(path.join(work, `res${i}`))));
}

/** The object ids (sorted) of each pack, as `git index-pack` + `git show-index` list them, in one spawn. */
export function packIdsMany(packs: readonly Uint8Array[]): string[][] {
  const work = tempDir("reposit-packs-");
  git(work, ["init", "-q", "--bare", "."]);
  packs.forEach((p, i) => fs.writeFileSync(path.join(work, `p${i}.pack`), p));
  const commands = packs.map((_, i) => `git index-pack -o p${i}.idx p${i}.pack >/dev/null && git show-index <p${i}.idx || exit 1; echo --end--`);
  const out = execFileSync("bash", ["-c", commands.join("\n")], { cwd: work, env: gitEnv(work), stdio: ["pipe", "pipe", "pipe"] }).toString();
  const parts = out.split("--end--\n");
  parts.pop();
  return parts.map((p) => p.split("\n").filter((l) => l !== "").map((l) => l.split(" ")[1]!).sort());
}
