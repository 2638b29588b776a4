/**
 * @module scripts/synthetic-repo
 * Deterministic synthetic git histories for end-to-end tests and the benchmark, built with one
 * `git fast-import` process fed a stream generated from a seeded PRNG (git-fast-import "INPUT
 * FORMAT": `commit`, `M ... inline`, `D`, `R`, `merge`, `tag`, `done`).
 *
 * `generateRepo` models a living source tree: files in directories nested a few levels, each commit
 * editing a few lines of a few (mostly "hot") files, now and then adding, deleting or renaming a
 * file, short topic branches merged back with merge commits, annotated release tags, some
 * executables, symlinks and binary files. Successive versions of a file share most of their bytes,
 * so packs made from the history are full of deltas (gitformat-pack "Deltified representation").
 *
 * `generateLargePack` makes a repository whose pack is about a given size, made almost entirely of
 * incompressible blobs, for memory tests of receive-pack.
 *
 * Same seed and options, same object ids: nothing depends on the clock, the user or the machine.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

export interface GenerateOptions {
  /** Number of commits on the main line and topic branches together (merge commits included). */
  commits: number;
  /** Number of files in the first commit (the tree grows and shrinks a little afterwards). */
  files: number;
  /** PRNG seed: the same seed gives the same object ids. */
  seed: number;
  /** Average size of a text file in bytes (default 3000). */
  fileSize?: number;
  /** Run `git repack -adf` afterwards so the pack has good deltas, as a real repository would (default true). */
  repack?: boolean;
}

export interface RepoStats {
  /** Commits written (including merge commits). */
  commits: number;
  /** Objects in the repository's packs (`git count-objects -v` in-pack). */
  objects: number;
  /** Total pack size in bytes. */
  packBytes: number;
  /** Refs written (branches and tags). */
  refs: number;
}

/** A small, fast, seedable PRNG (sfc32) so histories are reproducible across runtimes. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }
  /** Next unsigned 32-bit value. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Fills `out` with pseudo-random bytes, four at a time. */
  fill(out: Uint8Array): Uint8Array {
    // Word writes only when the view is 4-byte aligned (Uint32Array views must be).
    const aligned = out.byteOffset % 4 === 0;
    const words = aligned ? new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2) : new Uint32Array(0);
    for (let i = 0; i < words.length; i++) words[i] = this.next();
    for (let i = words.length * 4; i < out.length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

const WORDS = [
  "alpha", "buffer", "cache", "delta", "entry", "frame", "graph", "header", "index", "journal", "key",
  "ledger", "marker", "node", "offset", "packet", "queue", "record", "stream", "table", "update",
  "value", "window", "xref", "yield", "zone", "apply", "build", "commit", "decode", "encode", "fetch",
  "merge", "parse", "read", "write", "scan", "split", "tree", "blob", "ref", "tag", "object", "state",
  "config", "limit", "error", "result", "count", "length", "size", "total", "chunk", "range",
] as const;

const EXTENSIONS = ["ts", "ts", "ts", "js", "md", "json", "c", "h", "py", "txt"] as const;

type FileState =
  | { kind: "text"; mode: "100644" | "100755"; lines: string[] }
  | { kind: "binary"; mode: "100644"; bytes: Uint8Array }
  | { kind: "symlink"; mode: "120000"; target: string };

/** One source-like line: enough structure to compress like code, enough variety to matter. */
function codeLine(rng: Rng): string {
  const w = () => rng.pick(WORDS);
  const indent = "  ".repeat(rng.int(4));
  switch (rng.int(7)) {
    case 0: return `${indent}const ${w()}${rng.int(100)} = ${w()}(${w()}, ${rng.int(10000)});`;
    case 1: return `${indent}if (${w()}.${w()} > ${rng.int(512)}) {`;
    case 2: return `${indent}return ${w()}_${w()}(${w()});`;
    case 3: return `${indent}}`;
    case 4: return `${indent}// ${w()} ${w()} ${w()} ${w()} ${w()}`;
    case 5: return `${indent}${w()}: "${w()}-${rng.int(1 << 20).toString(16)}",`;
    default: return `${indent}${w()}.${w()}(${w()}, ${w()}, ${rng.int(64)});`;
  }
}

function newText(rng: Rng, averageSize: number): string[] {
  const count = Math.max(3, Math.round((averageSize / 36) * (0.25 + rng.next() / 2147483648)));
  const lines = new Array<string>(count);
  for (let i = 0; i < count; i++) lines[i] = codeLine(rng);
  return lines;
}

/** Edits a few lines in place: replace, insert or delete, as a typical small change does. */
function editText(rng: Rng, lines: string[]): void {
  const edits = rng.range(1, 4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(lines.length + 1);
    const op = rng.int(4);
    if (op === 0 && lines.length > 3) lines.splice(Math.min(at, lines.length - 1), 1);
    else if (op === 1) lines.splice(at, 0, ...Array.from({ length: rng.range(1, 3) }, () => codeLine(rng)));
    else lines[Math.min(at, lines.length - 1)] = codeLine(rng);
  }
}

/** Binary edits keep most bytes (a changed region and sometimes an appended block), like a rebuilt asset. */
function editBinary(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = rng.chance(0.3) ? new Uint8Array(bytes.length + rng.range(16, 512)) : new Uint8Array(bytes.length);
  out.set(bytes);
  if (out.length > bytes.length) rng.fill(out.subarray(bytes.length));
  const start = rng.int(bytes.length);
  rng.fill(out.subarray(start, Math.min(out.length, start + rng.range(8, 256))));
  return out;
}

const encoder = new TextEncoder();

/**
 * Buffers the fast-import stream in large chunks and writes them to git with back-pressure, so the
 * stream is never held whole in memory and git works while we generate.
 */
class StreamOut {
  private parts: Uint8Array[] = [];
  private size = 0;
  private readonly sink: NodeJS.WritableStream;
  constructor(sink: NodeJS.WritableStream) {
    this.sink = sink;
  }
  text(s: string): void {
    this.bytes(encoder.encode(s));
  }
  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  data(content: Uint8Array): void {
    this.text(`data ${content.length}\n`);
    this.bytes(content);
    this.text("\n");
  }
  async flushIfLarge(): Promise<void> {
    if (this.size >= 4 * 1024 * 1024) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    if (!this.sink.write(chunk)) await new Promise<void>((r) => this.sink.once("drain", () => r()));
  }
}

function content(file: FileState): Uint8Array {
  if (file.kind === "text") return encoder.encode(file.lines.join("\n") + "\n");
  if (file.kind === "binary") return file.bytes;
  return encoder.encode(file.target);
}

/** Starts `git fast-import` in `dir` (created as a bare repository with HEAD on main). */
function startFastImport(dir: string, extraConfig: string[] = []) {
  mkdirSync(dir, { recursive: true });
  runGit(["init", "-q", "--bare", "-b", "main", dir]);
  // fast-import frees and re-grows a large buffer per object; glibc's default trim threshold then
  // returns the heap top to the kernel each time (brk churn: 27 s of a 30 s import of 3,000 commits
  // was system time). A high trim threshold makes it ten times faster.
  const env = { ...gitEnv(), GLIBC_TUNABLES: "glibc.malloc.trim_threshold=536870912:glibc.malloc.mmap_threshold=1048576" };
  const child = spawn("git", [...extraConfig, "fast-import", "--quiet", "--done"], { cwd: dir, env, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed (${code}): ${stderr}`))));
  });
  return { out: new StreamOut(child.stdin!), end: async (out: StreamOut) => {
    out.text("done\n");
    await out.flush();
    child.stdin!.end();
    await done;
  } };
}

function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  return { ...env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };
}

function runGit(args: string[], cwd?: string): string {
  const r = spawnSync("git", args, { cwd, env: gitEnv(), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Objects and pack bytes as `git count-objects -v` reports them. */
export function packStats(dir: string): { objects: number; packBytes: number } {
  const out = runGit(["count-objects", "-v"], dir);
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(out)?.[1] ?? "0");
  return { objects: field("in-pack") + field("count"), packBytes: field("size-pack") * 1024 };
}

const AUTHORS = [
  "Ada Lovelace <ada@example.com>", "Grace Hopper <grace@example.com>", "Linus Tree <linus@example.com>",
  "Junio Hash <junio@example.com>", "Margaret Stack <margaret@example.com>", "Dennis Pointer <dennis@example.com>",
  "Barbara Liskov <barbara@example.com>", "Ken Pipe <ken@example.com>",
] as const;

/** The mutable model of the working tree while the history is generated. */
class Worktree {
  readonly files = new Map<string, FileState>();
  readonly paths: string[] = [];
  readonly dirs: string[] = [""];
  private serial = 0;
  private readonly rng: Rng;
  private readonly fileSize: number;
  constructor(rng: Rng, fileSize: number) {
    this.rng = rng;
    this.fileSize = fileSize;
  }

  makeDirs(count: number): void {
    for (let i = 0; i < count; i++) {
      const parent = this.rng.chance(0.7) && this.dirs.length > 1 ? this.rng.pick(this.dirs) : "";
      if (parent.split("/").length >= 4) continue;
      const dir = `${parent === "" ? "" : parent + "/"}${this.rng.pick(WORDS)}${this.rng.int(10)}`;
      if (!this.dirs.includes(dir)) this.dirs.push(dir);
    }
  }

  freshPath(ext: string): string {
    const dir = this.rng.pick(this.dirs);
    const name = `${this.rng.pick(WORDS)}-${(this.serial++).toString(36)}.${ext}`;
    return dir === "" ? name : `${dir}/${name}`;
  }

  /** A new random file: mostly text, some binary, a few executables and symlinks. */
  add(): string {
    const roll = this.rng.int(100);
    let path: string;
    let file: FileState;
    if (roll < 6) {
      path = this.freshPath(this.rng.pick(["png", "bin", "dat"]));
      file = { kind: "binary", mode: "100644", bytes: this.rng.fill(new Uint8Array(this.rng.range(512, this.fileSize * 4))) };
    } else if (roll < 8) {
      path = this.freshPath("sh");
      file = { kind: "text", mode: "100755", lines: ["#!/bin/sh", ...newText(this.rng, this.fileSize / 2)] };
    } else if (roll < 9 && this.paths.length > 0) {
      path = this.freshPath("link");
      file = { kind: "symlink", mode: "120000", target: this.rng.pick(this.paths) };
    } else {
      path = this.freshPath(this.rng.pick(EXTENSIONS));
      file = { kind: "text", mode: "100644", lines: newText(this.rng, this.fileSize) };
    }
    this.files.set(path, file);
    this.paths.push(path);
    return path;
  }

  /** A path biased towards a "hot" subset, as real edits concentrate on a few files. */
  hotPath(): string {
    const u = this.rng.next() / 4294967296;
    return this.paths[Math.floor(u * u * this.paths.length)]!;
  }

  remove(path: string): void {
    this.files.delete(path);
    const i = this.paths.indexOf(path);
    this.paths[i] = this.paths[this.paths.length - 1]!;
    this.paths.pop();
  }

  rename(from: string): string {
    const ext = from.slice(from.lastIndexOf(".") + 1);
    const to = this.freshPath(ext);
    this.files.set(to, this.files.get(from)!);
    this.files.delete(from);
    this.paths[this.paths.indexOf(from)] = to;
    return to;
  }

  modify(path: string): void {
    const file = this.files.get(path)!;
    if (file.kind === "text") editText(this.rng, file.lines);
    else if (file.kind === "binary") file.bytes = editBinary(this.rng, file.bytes);
    else file.target = this.rng.pick(this.paths);
  }
}

function emitFile(out: StreamOut, wt: Worktree, path: string): void {
  const file = wt.files.get(path)!;
  out.text(`M ${file.mode} inline ${path}\n`);
  out.data(content(file));
}

/** The changes of one ordinary commit, applied to the model and written as file commands. */
function emitChanges(out: StreamOut, wt: Worktree, rng: Rng, touched: Set<string>): void {
  const roll = rng.int(1000);
  if (roll < 30) {
    for (let i = rng.range(1, 3); i > 0; i--) {
      const p = wt.add();
      touched.add(p);
      emitFile(out, wt, p);
    }
  } else if (roll < 45 && wt.paths.length > 20) {
    const p = wt.hotPath();
    wt.remove(p);
    touched.add(p);
    out.text(`D ${p}\n`);
  } else if (roll < 60 && wt.paths.length > 1) {
    const from = wt.hotPath();
    const to = wt.rename(from);
    touched.add(from).add(to);
    out.text(`R ${from} ${to}\n`);
    if (rng.chance(0.5)) {
      wt.modify(to);
      emitFile(out, wt, to);
    }
    return;
  }
  const seen = new Set<string>();
  for (let i = rng.range(1, 4); i > 0; i--) {
    const p = wt.hotPath();
    if (seen.has(p)) continue;
    seen.add(p);
    wt.modify(p);
    touched.add(p);
    emitFile(out, wt, p);
  }
}

function header(out: StreamOut, ref: string, mark: number, time: number, rng: Rng, message: string): void {
  const who = rng.pick(AUTHORS);
  out.text(`commit ${ref}\nmark :${mark}\nauthor ${who} ${time} +0000\ncommitter ${who} ${time} +0000\n`);
  out.data(encoder.encode(message + "\n"));
}

/**
 * Builds a bare repository in `dir` (created if missing; must not already hold a repository) with a
 * deterministic history of `commits` commits, and returns what it holds.
 *
 * @example await generateRepo("/tmp/r", { commits: 3000, files: 400, seed: 1 })
 */
export async function generateRepo(dir: string, options: GenerateOptions): Promise<RepoStats> {
  const rng = new Rng(options.seed);
  const wt = new Worktree(rng, options.fileSize ?? 3000);
  wt.makeDirs(Math.max(4, Math.ceil(options.files / 10)));
  const fi = startFastImport(dir);
  const out = fi.out;
  let time = 1_600_000_000;
  let mark = 0;
  let main = 0;
  let tags = 0;
  const branches = new Set<string>(["refs/heads/main"]);

  header(out, "refs/heads/main", ++mark, time, rng, "Initial import");
  for (let i = 0; i < options.files; i++) emitFile(out, wt, wt.add());
  main = mark;

  while (mark < options.commits) {
    time += rng.range(60, 7200);
    if (rng.chance(0.03) && options.commits - mark > 8) {
      // A topic branch of a few commits, merged back with a merge commit (no fast-forward).
      const ref = `refs/heads/topic-${rng.int(8)}`;
      branches.add(ref);
      const touched = new Set<string>();
      let parent = main;
      for (let k = rng.range(2, 6); k > 0; k--) {
        header(out, ref, ++mark, time, rng, `Topic work ${mark}: ${rng.pick(WORDS)} ${rng.pick(WORDS)}`);
        out.text(`from :${parent}\n`);
        emitChanges(out, wt, rng, touched);
        parent = mark;
        time += rng.range(60, 3600);
      }
      header(out, "refs/heads/main", ++mark, time, rng, `Merge ${ref.slice(11)} into main`);
      out.text(`from :${main}\nmerge :${parent}\n`);
      for (const p of touched) {
        if (wt.files.has(p)) emitFile(out, wt, p);
        else out.text(`D ${p}\n`);
      }
    } else {
      header(out, "refs/heads/main", ++mark, time, rng, `Change ${mark}: ${rng.pick(WORDS)} the ${rng.pick(WORDS)} ${rng.pick(WORDS)}`);
      out.text(`from :${main}\n`);
      emitChanges(out, wt, rng, new Set());
    }
    main = mark;
    if (mark >= (tags + 1) * 250) {
      out.text(`tag v0.${++tags}\nfrom :${main}\ntagger ${AUTHORS[0]} ${time} +0000\n`);
      out.data(encoder.encode(`Release 0.${tags}\n`));
    }
    await out.flushIfLarge();
  }
  await fi.end(out);
  if (options.repack ?? true) runGit(["-c", "pack.threads=0", "repack", "-adfq", "--window=10", "--depth=50"], dir);
  return { commits: mark, ...packStats(dir), refs: branches.size + tags };
}

/**
 * Builds a bare repository in `dir` whose pack is about `targetBytes`, made almost entirely of
 * incompressible blobs (`blobBytes` each, default 4 MiB) added over several commits.
 *
 * @example await generateLargePack("/tmp/big", 200 * 1024 * 1024)
 */
export async function generateLargePack(dir: string, targetBytes: number, options: { seed?: number; blobBytes?: number; commits?: number } = {}): Promise<RepoStats> {
  const rng = new Rng(options.seed ?? 7);
  const blobBytes = options.blobBytes ?? 4 * 1024 * 1024;
  const blobs = Math.max(1, Math.ceil(targetBytes / blobBytes));
  const commits = Math.min(blobs, options.commits ?? 8);
  // Above core.bigFileThreshold fast-import streams blobs straight into the pack without trying a
  // delta, which is what we want for random data; compression level 0 (stored blocks) because it
  // cannot shrink, which is also what zlib falls back to for such data at any level.
  const fi = startFastImport(dir, ["-c", "core.bigFileThreshold=1m", "-c", "pack.compression=0", "-c", "fastimport.unpackLimit=0"]);
  const out = fi.out;
  const blob = new Uint8Array(blobBytes);
  let written = 0;
  for (let c = 1; c <= commits; c++) {
    header(out, "refs/heads/main", c, 1_600_000_000 + c * 3600, rng, `Add assets batch ${c}`);
    if (c > 1) out.text(`from :${c - 1}\n`);
    out.text(`M 100644 inline README.md\n`);
    out.data(encoder.encode(`Asset batches: ${c}\n`));
    const upTo = Math.round((blobs * c) / commits);
    for (; written < upTo; written++) {
      out.text(`M 100644 inline assets/batch-${c}/blob-${written}.bin\n`);
      out.data(rng.fill(blob));
      await out.flush();
    }
  }
  await fi.end(out);
  return { commits, ...packStats(dir), refs: 1 };
}
