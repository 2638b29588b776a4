/**
 * Test fixtures for the pack tests: a synthetic history built with `git fast-import` (evolving text
 * and binary files, so `git pack-objects` produces OFS_DELTA and REF_DELTA entries), helpers that
 * run git, list a pack with `git verify-pack -v`, split bytes into chunks, and resolve deltas.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyDelta } from "../../../src/git/delta.ts";
import type { ObjectId } from "../../../src/git/object-id.ts";
import { hashObject, type ObjectType, objectTypeOf } from "../../../src/git/object-type.ts";
import type { PackEntry } from "../../../src/git/pack-parser.ts";
import type { Platform } from "../../../src/platform.ts";
import { concatBytes, utf8Encode } from "../../../src/util/bytes.ts";

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };

/** Runs git in `cwd` and returns its stdout. */
export function git(cwd: string, args: string[], input?: Uint8Array | string): Uint8Array {
  const out = execFileSync("git", args, {
    cwd,
    input,
    env: GIT_ENV,
    maxBuffer: 1 << 30,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Runs git and returns stdout as text. */
export function gitText(cwd: string, args: string[], input?: Uint8Array | string): string {
  return new TextDecoder().decode(git(cwd, args, input));
}

/** A new empty temp directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() * 256) | 0;
  return out;
}

/**
 * Creates a repository with `commits` commits on `main`: a C file edited every commit, a 48 KiB
 * random binary mutated every third commit, a ~400 KB text file appended to every 25th, modules
 * added and deleted, an empty file, and two annotated tags. Returns the repository path.
 */
export function makeHistoryRepo(commits = 300, seed = 1): string {
  const dir = tempDir("reposit-pack-");
  git(dir, ["init", "-q", "-b", "main"]);
  const next = rng(seed);
  const lines = Array.from({ length: 300 }, (_, i) => `int line_${i} = ${i}; /* ${(next() * 1e9) | 0} */`);
  const binary = randomBytes(next, 48 * 1024);
  let big = Array.from({ length: 12000 }, (_, i) => `record ${i}: value=${(next() * 1e6) | 0}`).join("\n");
  const parts: Uint8Array[] = [];
  const text = (s: string) => parts.push(utf8Encode(s));
  const file = (mode: string, p: string, data: Uint8Array) => {
    text(`M ${mode} inline ${p}\ndata ${data.length}\n`);
    parts.push(data);
    text("\n");
  };
  const modules: string[] = [];
  for (let c = 1; c <= commits; c++) {
    const message = `Commit ${c}\n\nChange number ${c}.\n`;
    text(`commit refs/heads/main\nmark :${c}\n`);
    text(`author A U Thor <author@example.com> ${1700000000 + c * 60} +0000\n`);
    text(`committer C O Mitter <committer@example.com> ${1700000000 + c * 60} +0000\n`);
    text(`data ${utf8Encode(message).length}\n${message}`);
    lines[(next() * lines.length) | 0] = `int changed_${c} = ${(next() * 1e9) | 0};`;
    lines.splice((next() * lines.length) | 0, 0, `/* inserted in commit ${c} */`);
    file("100644", "src/main.c", utf8Encode(lines.join("\n") + "\n"));
    if (c === 1 || c % 3 === 0) {
      binary.set(randomBytes(next, 16), (next() * (binary.length - 16)) | 0);
      file("100644", "data/blob.bin", binary);
    }
    if (c === 1 || c % 25 === 0) {
      big += `\nappended in commit ${c}`;
      file("100644", "data/big.txt", utf8Encode(big));
    }
    if (c === 1) {
      file("100644", "empty.txt", new Uint8Array(0));
      file("100755", "run.sh", utf8Encode("#!/bin/sh\necho hi\n"));
    }
    if (c % 10 === 0) {
      const name = `src/mod${c}.c`;
      modules.push(name);
      file("100644", name, utf8Encode(`void mod${c}(void) {}\n`.repeat(20 + (c % 7))));
    }
    if (c % 40 === 0 && modules.length > 2) text(`D ${modules.shift()}\n`);
    if (c % 50 === 0) file("100644", "README.md", utf8Encode(`# Fixture\n\nRevision ${c}\n`));
    text("\n");
    if (c === Math.floor(commits / 3) || c === commits) {
      const tagMessage = `Release at ${c}\n`;
      text(`tag v${c}\nfrom :${c}\ntagger T Agger <tagger@example.com> ${1700000000 + c * 60} +0000\n`);
      text(`data ${utf8Encode(tagMessage).length}\n${tagMessage}\n`);
    }
  }
  git(dir, ["fast-import", "--quiet"], concatBytes(parts));
  git(dir, ["repack", "-adq"]);
  return dir;
}

/** Runs `git pack-objects --stdout` in `repo` with `revs` on stdin and the extra `args`. */
export function packObjects(repo: string, args: string[], revs: string): Uint8Array {
  return git(repo, ["pack-objects", "--revs", "--stdout", "-q", ...args], revs);
}

/** One row of `git verify-pack -v`. */
export interface VerifyRow {
  id: ObjectId;
  type: ObjectType;
  size: number;
  packedSize: number;
  offset: number;
  depth?: number;
  baseId?: ObjectId;
}

/** Writes `pack` to a temp dir, indexes it with `git index-pack` and lists it with `git verify-pack -v`. */
export function verifyPack(pack: Uint8Array): VerifyRow[] {
  const dir = tempDir("reposit-verify-");
  const file = path.join(dir, "test.pack");
  fs.writeFileSync(file, pack);
  gitText(dir, ["index-pack", "-o", path.join(dir, "test.idx"), file]);
  const out = gitText(dir, ["verify-pack", "-v", path.join(dir, "test.idx")]);
  fs.rmSync(dir, { recursive: true, force: true });
  const rows: VerifyRow[] = [];
  for (const line of out.split("\n")) {
    const m = /^([0-9a-f]{40}) (commit|tree|blob|tag)\s+(\d+) (\d+) (\d+)(?: (\d+) ([0-9a-f]{40}))?$/.exec(
      line,
    );
    if (m === null) continue;
    const row: VerifyRow = {
      id: m[1]!,
      type: m[2] as ObjectType,
      size: +m[3]!,
      packedSize: +m[4]!,
      offset: +m[5]!,
    };
    if (m[6] !== undefined) {
      row.depth = +m[6];
      row.baseId = m[7]!;
    }
    rows.push(row);
  }
  return rows;
}

/** Yields `data` in chunks whose sizes come from `sizes` (called per chunk). */
export async function* chunked(data: Uint8Array, sizes: number | (() => number)): AsyncGenerator<Uint8Array> {
  const size = typeof sizes === "number" ? () => sizes : sizes;
  for (let at = 0; at < data.length;) {
    const n = Math.max(1, Math.min(size(), data.length - at));
    yield data.subarray(at, at + n);
    at += n;
  }
}

/** A resolved object. */
export interface Resolved {
  id: ObjectId;
  type: ObjectType;
  content: Uint8Array;
}

/**
 * Resolves every entry of a parsed pack to its object, applying deltas with applyDelta; external
 * REF_DELTA bases (thin packs) come from `external`. Returns the objects by entry offset.
 */
export function resolveEntries(
  entries: readonly PackEntry[],
  platform: Platform,
  external: (id: ObjectId) => { type: ObjectType; content: Uint8Array } | undefined = () => undefined,
): Map<number, Resolved> {
  const byOffset = new Map<number, Resolved>();
  const byId = new Map<ObjectId, Resolved>();
  let pending = [...entries];
  while (pending.length > 0) {
    const waiting: PackEntry[] = [];
    for (const entry of pending) {
      let base: { type: ObjectType; content: Uint8Array } | undefined;
      if (entry.packType <= 4) {
        base = undefined;
      } else if (entry.baseOffset !== undefined) {
        base = byOffset.get(entry.baseOffset);
      } else {
        base = byId.get(entry.baseId!) ?? external(entry.baseId!);
      }
      if (entry.packType > 4 && base === undefined) {
        waiting.push(entry);
        continue;
      }
      const type = base === undefined ? objectTypeOf(entry.packType) : base.type;
      const content = base === undefined ? entry.data : applyDelta(base.content, entry.data, 1 << 30);
      const resolved = { id: hashObject(platform, type, content), type, content };
      byOffset.set(entry.offset, resolved);
      byId.set(resolved.id, resolved);
    }
    if (waiting.length === pending.length) throw new Error(`${waiting.length} deltas have no base`);
    pending = waiting;
  }
  return byOffset;
}

/** Reads objects from a repository with `git cat-file --batch`. */
export function catFile(
  repo: string,
  ids: readonly ObjectId[],
): Map<ObjectId, { type: ObjectType; content: Uint8Array }> {
  const out = git(repo, ["cat-file", "--batch"], ids.join("\n") + "\n");
  const result = new Map<ObjectId, { type: ObjectType; content: Uint8Array }>();
  let at = 0;
  while (at < out.length) {
    const newline = out.indexOf(0x0a, at);
    const [id, type, size] = new TextDecoder().decode(out.subarray(at, newline)).split(" ");
    const start = newline + 1;
    const end = start + Number(size);
    result.set(id!, { type: type as ObjectType, content: out.slice(start, end) });
    at = end + 1;
  }
  return result;
}
