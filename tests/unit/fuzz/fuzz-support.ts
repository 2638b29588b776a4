/**
 * Shared harness of the fuzz tests (issue "Durability, limits and hostile input"): run budgets, the
 * one property every target shares — a correct result or a ReposError, never another exception and
 * never a hang — byte-level mutations of valid inputs, a rough memory probe for bombs, and a git
 * runner for real fixtures.
 *
 * Budgets: every property's `numRuns` is sized so a file takes a few seconds per runtime; the
 * environment variable FUZZ_RUNS multiplies them for long local sessions (FUZZ_RUNS=50), and
 * FUZZ_SEED replays one fast-check seed (it prints the seed and path of every counterexample).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import fc from "fast-check";
import { ReposError } from "../../../src/errors.ts";

/** A run slower than this is a hang (or a quadratic blow-up, which on hostile input is one). */
export const DEADLINE_MS = 2000;

const multiplier = Number(process.env["FUZZ_RUNS"] ?? "1");
const seed = process.env["FUZZ_SEED"];

/** `base` runs times FUZZ_RUNS (at least 1). */
export function fuzzRuns(base: number): number {
  return Math.max(1, Math.round(base * (Number.isFinite(multiplier) && multiplier > 0 ? multiplier : 1)));
}

/** fast-check parameters for `base` runs, with FUZZ_SEED applied when set. */
export function fuzzParams<T>(base: number): fc.Parameters<T> {
  const params: fc.Parameters<T> = { numRuns: fuzzRuns(base) };
  if (seed !== undefined && seed !== "") params.seed = Number(seed);
  return params;
}

/** What a target did with one input: a value, or one of our errors. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ReposError };

/** Turns anything but a ReposError into a test failure that names the target and the error. */
function expectReposError(what: string, error: unknown): ReposError {
  if (error instanceof ReposError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
  assert.fail(`${what} threw something other than a ReposError: ${detail}`);
}

function checkElapsed(what: string, started: number, deadlineMs: number): void {
  const elapsed = performance.now() - started;
  assert.ok(elapsed <= deadlineMs, `${what} took ${elapsed.toFixed(0)} ms, more than the ${deadlineMs} ms deadline`);
}

/**
 * Runs an async target against the deadline: a promise still pending after DEADLINE_MS (waiting on
 * input that will never come, a lost wake-up) fails the run, and so does a run that settles late
 * (a loop that never yields keeps the timer from firing, so the elapsed time is checked too).
 */
export async function settle<T>(what: string, run: () => Promise<T>, deadlineMs = DEADLINE_MS): Promise<Outcome<T>> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => resolve("hang"), deadlineMs);
  });
  try {
    const result = await Promise.race([run().then((value) => ({ value })), deadline]);
    if (result === "hang") assert.fail(`${what} did not settle within ${deadlineMs} ms`);
    checkElapsed(what, started, deadlineMs);
    return { ok: true, value: result.value };
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    const ours = expectReposError(what, error);
    checkElapsed(what, started, deadlineMs);
    return { ok: false, error: ours };
  } finally {
    clearTimeout(timer);
  }
}

/** The synchronous form of `settle`: the deadline is checked once the call returns. */
export function settleSync<T>(what: string, run: () => T, deadlineMs = DEADLINE_MS): Outcome<T> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: run() };
  } catch (error) {
    outcome = { ok: false, error: expectReposError(what, error) };
  }
  checkElapsed(what, started, deadlineMs);
  return outcome;
}

/** "ok", or the error's class and code, for comparing two implementations' outcomes. */
export function outcomeKind(outcome: Outcome<unknown>): string {
  return outcome.ok ? "ok" : `${outcome.error.name}/${outcome.error.code}`;
}

// ---- Byte mutations ---------------------------------------------------------------------------

/** One edit of a byte string; positions are taken modulo the length when applied. */
export type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; length: number }
  | { op: "truncate"; at: number }
  | { op: "duplicate"; at: number; length: number; to: number }
  | { op: "swap"; a: number; b: number; length: number };

/** Bytes that sit on format boundaries: NUL, LF, space, "0", digits and hex letters, sign bits. */
export const interestingByte: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x0a, 0x20, 0x30, 0x37, 0x38, 0x39, 0x3c, 0x3e, 0x61, 0x66, 0x67, 0x7f, 0x80, 0xfe, 0xff),
  fc.integer({ min: 0, max: 255 }),
);

/** One mutation; `maxInsert` bounds inserted runs. */
export function mutation(maxInsert = 64): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: interestingByte }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: maxInsert }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }), to: fc.nat() }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("swap" as const), a: fc.nat(), b: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }) },
  );
}

/** Up to `max` mutations. */
export function mutations(max = 4, maxInsert = 64): fc.Arbitrary<Mutation[]> {
  return fc.array(mutation(maxInsert), { minLength: 1, maxLength: max });
}

/** Applies `edits` to a copy of `input`. */
export function mutate(input: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let bytes: Uint8Array = input.slice();
  for (const edit of edits) bytes = applyOne(bytes, edit);
  return bytes;
}

function applyOne(bytes: Uint8Array, edit: Mutation): Uint8Array {
  const n = bytes.length;
  switch (edit.op) {
    case "flip":
      if (n > 0) bytes[edit.at % n]! ^= 1 << edit.bit;
      return bytes;
    case "set":
      if (n > 0) bytes[edit.at % n] = edit.value;
      return bytes;
    case "insert": {
      const at = edit.at % (n + 1);
      return join(bytes.subarray(0, at), edit.bytes, bytes.subarray(at));
    }
    case "delete": {
      if (n === 0) return bytes;
      const at = edit.at % n;
      return join(bytes.subarray(0, at), bytes.subarray(Math.min(n, at + edit.length)));
    }
    case "truncate":
      return bytes.slice(0, edit.at % (n + 1));
    case "duplicate": {
      if (n === 0) return bytes;
      const at = edit.at % n;
      const section = bytes.subarray(at, Math.min(n, at + edit.length));
      const to = edit.to % (n + 1);
      return join(bytes.subarray(0, to), section, bytes.subarray(to));
    }
    case "swap": {
      if (n < 2) return bytes;
      const length = Math.min(edit.length, Math.floor(n / 2));
      const a = edit.a % (n - length + 1);
      const b = edit.b % (n - length + 1);
      const first = bytes.slice(a, a + length);
      bytes.copyWithin(a, b, b + length);
      bytes.set(first, b);
      return bytes;
    }
  }
}

/** Concatenates byte strings. */
export function join(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cut points for splitting an input into chunks (an empty array keeps it whole). */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 12 });

/** Splits `data` at `points` (modulo its length, sorted; repeated points give empty chunks). */
export function splitAt(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const sorted = points.map((p) => p % (data.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of sorted) {
    out.push(data.subarray(from, p));
    from = p;
  }
  out.push(data.subarray(from));
  return out;
}

/** The chunks as an async iterable. */
export async function* iterate(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** A source that yields `chunks` and then never answers again (a client that stalls). */
export function stalling(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: () =>
          i < chunks.length
            ? Promise.resolve({ done: false, value: chunks[i++]! })
            : new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: () => Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
}

/**
 * A source that repeats `unit` forever, `perChunk` times per chunk, and counts the chunks it handed
 * out. It yields to the event loop now and then so a deadline timer can fire if the reader never
 * stops; after `maxChunks` it fails the test instead of feeding a reader that ignores its limits.
 */
export function endless(unit: Uint8Array, perChunk: number, maxChunks: number): { source: AsyncIterable<Uint8Array>; chunks(): number } {
  const chunk = new Uint8Array(unit.length * perChunk);
  for (let i = 0; i < perChunk; i++) chunk.set(unit, i * unit.length);
  let produced = 0;
  async function* generate(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (produced >= maxChunks) assert.fail(`the reader consumed ${produced} chunks of an endless stream without stopping`);
      if (produced % 64 === 63) await new Promise((resolve) => setTimeout(resolve, 0));
      produced++;
      yield chunk;
    }
  }
  return { source: generate(), chunks: () => produced };
}

// ---- Memory ------------------------------------------------------------------------------------

/** Resident and peak resident memory in bytes (maxRSS works in Node, Bun and Deno; arrayBuffers does not). */
function memory(): { rss: number; peak: number } {
  return { rss: process.memoryUsage().rss, peak: process.resourceUsage().maxRSS * 1024 };
}

/**
 * Measures how much a call grows the process, roughly: the resident size after it, and how far the
 * peak resident size rose above both the earlier peak and the starting size. The peak growth is a
 * lower bound of the real one (a rise that stays under an earlier peak is invisible), so a bound on
 * it never fails spuriously, and a 1 GiB allocation still shows.
 */
export function memoryGrowth(run: () => void): { resident: number; peak: number } {
  const before = memory();
  run();
  const after = memory();
  return { resident: after.rss - before.rss, peak: Math.max(0, after.peak - Math.max(before.peak, before.rss)) };
}

export const MiB = 1024 * 1024;

// ---- git ---------------------------------------------------------------------------------------

/** A throwaway repository driven by the real git CLI with a neutral environment. */
export interface GitRepo {
  dir: string;
  run(args: string[], input?: Uint8Array | string): Uint8Array;
  text(args: string[], input?: Uint8Array | string): string;
  remove(): void;
}

/** Creates an empty repository (branch "main") in a new temp dir. */
export function gitRepo(): GitRepo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-fuzz-"));
  const env = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "A U Thor",
    GIT_AUTHOR_EMAIL: "author@example.com",
    GIT_COMMITTER_NAME: "C O Mitter",
    GIT_COMMITTER_EMAIL: "committer@example.com",
    GIT_AUTHOR_DATE: "1700000000 +0100",
    GIT_COMMITTER_DATE: "1700000100 -0230",
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
  };
  const run = (args: string[], input?: Uint8Array | string): Uint8Array => {
    const out = execFileSync("git", args, { cwd: dir, input, env, maxBuffer: 256 << 20, stdio: ["pipe", "pipe", "pipe"] });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
  const text = (args: string[], input?: Uint8Array | string): string => new TextDecoder().decode(run(args, input)).replace(/\n$/, "");
  run(["init", "-q", "-b", "main", "."]);
  return { dir, run, text, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Builds a small history with `git fast-import`: a text file edited every commit (so pack-objects
 * makes deltas), a binary blob, an executable, a symlink, subdirectories, a side branch merged
 * back, and an annotated tag "v1". Returns the repository.
 */
export function smallHistory(commits = 8): GitRepo {
  const repo = gitRepo();
  const lines = Array.from({ length: 60 }, (_, i) => `line ${i}: ${"lorem ipsum ".repeat(i % 5)}`);
  let script = "";
  const data = (text: string) => `data ${new TextEncoder().encode(text).length}\n${text}\n`;
  for (let c = 1; c <= commits; c++) {
    lines[(c * 7) % lines.length] = `changed in commit ${c}`;
    lines.splice((c * 13) % lines.length, 0, `inserted in commit ${c}`);
    script += `commit refs/heads/main\nmark :${c}\n`;
    script += `author A U Thor <author@example.com> ${1700000000 + c} +0100\n`;
    script += `committer C O Mitter <committer@example.com> ${1700000000 + c} -0230\n`;
    script += data(`Commit ${c}\n\nBody of commit ${c}.\n`);
    script += `M 100644 inline src/file.txt\n${data(lines.join("\n") + "\n")}`;
    if (c === 1) {
      script += `M 100755 inline run.sh\n${data("#!/bin/sh\necho hi\n")}`;
      script += `M 120000 inline link\n${data("src/file.txt")}`;
      script += `M 100644 inline bin/blob.bin\n${data("\u0001\u0002\u0003 binary-ish \u00ff\u00fe".repeat(30))}`;
    }
    script += "\n";
  }
  script += `commit refs/heads/side\nmark :${commits + 1}\n`;
  script += "author S Ide <side@example.com> 1700000500 +0000\ncommitter S Ide <side@example.com> 1700000500 +0000\n";
  script += `${data("Side commit\n")}from :${Math.max(1, commits - 2)}\nM 100644 inline side.txt\n${data("side\n")}\n`;
  script += `commit refs/heads/main\nmark :${commits + 2}\n`;
  script += "author A U Thor <author@example.com> 1700000600 +0100\ncommitter C O Mitter <committer@example.com> 1700000600 -0230\n";
  script += `${data("Merge side\n")}from :${commits}\nmerge :${commits + 1}\n\n`;
  script += `tag v1\nfrom :${commits + 2}\ntagger T Agger <tagger@example.com> 1700000700 +0000\n${data("Release 1\n")}`;
  repo.run(["fast-import", "--quiet"], script);
  return repo;
}

/** `git pack-objects --all` of `repo` with the extra `args` (e.g. "--delta-base-offset", "--thin"). */
export function packAll(repo: GitRepo, args: string[] = []): Uint8Array {
  return repo.run(["pack-objects", "--all", "--stdout", "-q", ...args], "");
}
