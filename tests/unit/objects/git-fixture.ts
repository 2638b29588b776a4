/**
 * A throwaway git repository in a temp dir for object tests: runs the real `git` CLI with a
 * neutral environment (no user or system config, fixed identities) and reads objects back.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface GitFixture {
  dir: string;
  /** Runs git; returns stdout as bytes. */
  run(args: string[], input?: Uint8Array | string, env?: Record<string, string>): Uint8Array;
  /** Runs git; returns stdout as text without the final newline. */
  text(args: string[], input?: Uint8Array | string, env?: Record<string, string>): string;
  /** `git cat-file <type> <oid>`. */
  cat(type: string, oid: string): Uint8Array;
  /** Reads many objects with one `git cat-file --batch`. */
  catAll(oids: string[]): Map<string, { type: string; content: Uint8Array }>;
  /** Writes `content` as an object of `type` with `hash-object --literally` (no format checks). */
  write(type: string, content: Uint8Array | string): string;
  remove(): void;
}

export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: path.join(home, "gitconfig"),
    GIT_AUTHOR_NAME: "A U Thor",
    GIT_AUTHOR_EMAIL: "author@example.com",
    GIT_COMMITTER_NAME: "C O Mitter",
    GIT_COMMITTER_EMAIL: "committer@example.com",
    GIT_AUTHOR_DATE: "1700000000 +0100",
    GIT_COMMITTER_DATE: "1700000100 -0230",
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
  };
}

/** Creates an empty repository (branch "main") in a new temp dir. */
export function makeRepo(): GitFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-objects-"));
  const env = gitEnv(dir);
  const run = (args: string[], input?: Uint8Array | string, extra?: Record<string, string>): Uint8Array => {
    const out = execFileSync("git", args, { cwd: dir, input, env: { ...env, ...extra }, maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"] });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
  const text = (args: string[], input?: Uint8Array | string, extra?: Record<string, string>): string =>
    new TextDecoder().decode(run(args, input, extra)).replace(/\n$/, "");
  run(["init", "-q", "-b", "main", "."]);
  return {
    dir,
    run,
    text,
    cat: (type, oid) => run(["cat-file", type, oid]),
    catAll: (oids) => parseBatch(run(["cat-file", "--batch"], oids.map((o) => `${o}\n`).join(""))),
    write: (type, content) => text(["hash-object", "-t", type, "-w", "--stdin", "--literally"], content),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses `git cat-file --batch` output: "<oid> <type> <size>\n<content>\n" per object. */
function parseBatch(out: Uint8Array): Map<string, { type: string; content: Uint8Array }> {
  const objects = new Map<string, { type: string; content: Uint8Array }>();
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    const [oid, type, size] = new TextDecoder().decode(out.subarray(pos, eol)).split(" ") as [string, string, string];
    const start = eol + 1;
    const end = start + Number(size);
    if (type === "missing" || !(end < out.length)) throw new Error(`cat-file --batch: bad record for ${oid}`);
    objects.set(oid, { type, content: out.subarray(start, end) });
    pos = end + 1;
  }
  return objects;
}

/** The object id git would give `content` stored as `type`. */
export function objectId(type: string, content: Uint8Array): string {
  return createHash("sha1").update(`${type} ${content.length}\0`).update(content).digest("hex");
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
