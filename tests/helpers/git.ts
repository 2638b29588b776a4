/** Running real git (and the Debian python git clients) in tests. */
import { spawnSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

const GIT_ENV = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Committer",
  GIT_COMMITTER_EMAIL: "committer@example.com",
  LC_ALL: "C",
};

export function tempDir(prefix = "reposit-git-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Temporary directories for one test file: `scratch()` makes one, `removeAll()` (in `after`)
 * deletes every one made so far.
 * @example const { scratch, removeAll } = scratchDirs(); after(removeAll);
 */
export function scratchDirs(prefix?: string): { scratch: () => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    scratch: () => {
      const dir = tempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    removeAll: () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs git; throws with stderr when it fails unless `allowFail`. */
export function git(args: string[], options: { cwd?: string; env?: Record<string, string>; allowFail?: boolean; input?: string | Uint8Array } = {}): RunResult {
  const result = spawnSync("git", args, {
    cwd: options.cwd,
    env: { ...process.env, HOME: options.env?.["HOME"] ?? tmpdir(), ...GIT_ENV, ...options.env },
    input: options.input,
    maxBuffer: 1024 * 1024 * 1024,
    encoding: "utf8",
  });
  const out = { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  if (out.status !== 0 && !options.allowFail) {
    throw new Error(`git ${args.join(" ")} failed (${out.status}):\n${out.stderr}\n${out.stdout}`);
  }
  return out;
}

/** Runs git asynchronously (for concurrency tests). */
export function gitAsync(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn("git", args, { cwd: options.cwd, env: { ...process.env, HOME: tmpdir(), ...GIT_ENV, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** A remote URL carrying the token as the Basic password (git's usual way to authenticate). */
export function withToken(remote: string, token: string, user = "x"): string {
  const url = new URL(remote);
  url.username = user;
  url.password = encodeURIComponent(token);
  return url.toString();
}

/** Runs /usr/bin/python3 (Debian's, which sees python3-dulwich and python3-pygit2). */
export function python(script: string, args: string[] = [], cwd?: string): RunResult {
  const result = spawnSync("/usr/bin/python3", ["-c", script, ...args], { cwd, encoding: "utf8", env: { ...process.env, LC_ALL: "C.UTF-8" } });
  return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** Every object id reachable from all refs, or from `revs` (sorted), to compare two repositories. */
export function allObjects(dir: string, ...revs: string[]): string[] {
  const out = git(["rev-list", "--objects", ...(revs.length > 0 ? revs : ["--all"])], { cwd: dir }).stdout;
  return out.split("\n").filter(Boolean).map((l) => l.slice(0, 40)).sort();
}

/** `git for-each-ref` as "id name" lines. */
export function refsOf(dir: string, pattern = "refs/"): string[] {
  return git(["for-each-ref", "--format=%(objectname) %(refname)", pattern], { cwd: dir }).stdout.split("\n").filter(Boolean);
}

/** Makes a commit touching `file` in `dir`, returning its id. */
export function commitFile(dir: string, file: string, content: string, message = `edit ${file}`): string {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), content);
  git(["add", "--", file], { cwd: dir });
  git(["commit", "-q", "-m", message], { cwd: dir });
  return git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim();
}

/** Runs git and returns stdout as bytes (packs, binary objects). */
export function gitBytes(args: string[], options: { cwd?: string; input?: string | Uint8Array } = {}): Buffer {
  const result = spawnSync("git", args, { cwd: options.cwd, env: { ...process.env, HOME: tmpdir(), ...GIT_ENV }, input: options.input, maxBuffer: 1024 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}
