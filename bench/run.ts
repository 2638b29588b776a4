/**
 * @module bench/run
 * `npm run bench [-- --runs N] [-- --quick] [-- --large-mb N] [-- --runtimes bun,deno,node,workerd] [-- --cpu-prof] [-- --keep]`
 *
 * Reposit (Bun + SQLite) against C git (`git http-backend` behind lighttpd as a CGI), same machine,
 * same client, same run, on one deterministic synthetic repository (scripts/synthetic-repo.ts,
 * cached under bench/.work): initial push, full clone, `--depth 1` clone, `--filter=blob:none`
 * clone, no-op fetch and one-commit fetch, each timed N times and reported as medians and as the
 * ratio Reposit / C git (DESIGN.md "Benchmarks"). Clones and fetches use protocol v2
 * (gitprotocol-v2); pushes use receive-pack, which has no v2. Also reports the Reposit server's
 * peak RSS (VmHWM of the Bun process) over the whole run, and a memory scenario: a fresh server
 * receiving a push of a ~200 MB pack of incompressible blobs, which must stay under 256 MB
 * (DESIGN.md "Streaming and memory").
 *
 * Then the runtime section (`--runtimes bun,deno,node,workerd`, default all): every runtime's server
 * (Bun + SQLite, Deno + Deno KV, Node + better-sqlite3, workerd + Durable Objects through Miniflare)
 * and C git, all up at once and interleaved run by run, time initial push and full clone (protocol v2)
 * of the same repository, as medians and ratios to C git's median of that section. Memory per runtime:
 * the peak RSS (VmHWM) of a fresh server during a push of that repository and of a fresh server during
 * a push of the large pack, which must not grow with pack size. Results go to stdout and to
 * bench/results.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { generateLargePack, generateRepo, type GenerateOptions, type RepoStats } from "../scripts/synthetic-repo.ts";
import { Rest } from "../tests/helpers/rest.ts";
import { withToken } from "../tests/helpers/git.ts";
import { startWorkerd, WorkerdRest } from "../tests/helpers/workerd.ts";

const ROOT = resolve(import.meta.dirname, "..");
const WORK = join(ROOT, "bench/.work");
const RESULTS = join(ROOT, "bench/results.md");
const BUN = join(ROOT, "node_modules/bun/bin/bun.exe");
const DENO = join(ROOT, "node_modules/deno/deno");
const WORKERD = join(ROOT, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
const LIGHTTPD = "/usr/sbin/lighttpd";
const HTTP_BACKEND = "/usr/lib/git-core/git-http-backend";
const API_TOKEN = "bench-api-token-0123456789abcdef";
const SIGNING_KEY = "q".repeat(43) + "A"; // 44 base64url characters, not all hex
const MEMORY_LIMIT_KIB = 256 * 1024;
/** Everything the source repository has: branches and annotated tags. */
const REFSPECS = ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"];
const V2 = ["-c", "protocol.version=2"];

interface Options {
  runs: number;
  quick: boolean;
  largeMb: number;
  cpuProf: boolean;
  keep: boolean;
  runtimes: Runtime[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 5, quick: false, largeMb: 200, cpuProf: false, keep: false, runtimes: [...RUNTIMES] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--runs") options.runs = positive(arg, argv[++i]);
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--large-mb") options.largeMb = positive(arg, argv[++i]);
    else if (arg === "--cpu-prof") options.cpuProf = true;
    else if (arg === "--keep") options.keep = true;
    else if (arg === "--runtimes") options.runtimes = runtimeList(argv[++i]);
    else throw new Error(`Unknown option "${arg}": expected --runs N, --quick, --large-mb N, --runtimes LIST, --cpu-prof or --keep`);
  }
  if (options.quick && !argv.includes("--large-mb")) options.largeMb = 64;
  return options;
}

/** `--runtimes bun,workerd`: a comma-separated subset of RUNTIMES, in the order given, no repeats. */
function runtimeList(text: string | undefined): Runtime[] {
  const names = (text ?? "").split(",").map((n) => n.trim()).filter((n) => n !== "");
  const known = new Set<string>(RUNTIMES);
  for (const n of names) if (!known.has(n)) throw new Error(`Invalid --runtimes entry "${n}": expected some of ${RUNTIMES.join(",")}`);
  if (names.length === 0) throw new Error(`Invalid --runtimes "${text ?? ""}": expected some of ${RUNTIMES.join(",")}`);
  return [...new Set(names as Runtime[])];
}

function positive(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`Invalid ${flag} "${text}": expected a positive whole number`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// The git client: one environment for every command against both servers.

const CLIENT_HOME = join(WORK, "home");

function clientEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  return {
    ...env, HOME: CLIENT_HOME, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C",
    GIT_AUTHOR_NAME: "Bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "Bench", GIT_COMMITTER_EMAIL: "bench@example.com",
  };
}

function git(args: string[], cwd?: string, extraEnv: Record<string, string> = {}): string {
  const r = spawnSync("git", args, { cwd, env: { ...clientEnv(), ...extraEnv }, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Wall time of one git command in milliseconds (process start to exit, as a user sees it). */
function timeGit(args: string[], cwd?: string): number {
  const start = performance.now();
  git(args, cwd);
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------
// Repositories under test (cached: generation is deterministic).

async function cached(name: string, make: (dir: string) => Promise<RepoStats>): Promise<{ dir: string; stats: RepoStats; seconds: number | null }> {
  const dir = join(WORK, "repos", name);
  const statsFile = join(dir, "bench-stats.json");
  if (existsSync(statsFile)) return { dir, stats: JSON.parse(readFileSync(statsFile, "utf8")) as RepoStats, seconds: null };
  rmSync(dir, { recursive: true, force: true });
  const start = performance.now();
  const stats = await make(dir);
  writeFileSync(statsFile, JSON.stringify(stats));
  return { dir, stats, seconds: (performance.now() - start) / 1000 };
}

function sourceOptions(quick: boolean): GenerateOptions {
  return quick ? { commits: 800, files: 200, seed: 1 } : { commits: 5000, files: 1000, seed: 1 };
}

// ---------------------------------------------------------------------------------------------
// Servers.

interface Server {
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

interface Target {
  readonly name: "C git" | "Reposit";
  /** Creates an empty repository and returns a URL that git can push to and fetch from. */
  create(name: string): Promise<string>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), r(true)));
    socket.once("error", () => r(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", () => r()));
}

/** SIGTERM, then SIGKILL if the process has not exited after 10 s. */
async function terminate(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await done;
  clearTimeout(timer);
}

/** The runtimes whose server is a process of its own, and how tests/helpers/server.ts starts each. */
type ProcessRuntime = Exclude<Runtime, "workerd">;

function serverCommand(runtime: ProcessRuntime, cpuProfDir?: string): [string, ...string[]] {
  if (runtime === "deno") return [DENO, "run", "-A", join(ROOT, "adapters/deno/main.ts")];
  if (runtime === "node") return [process.execPath, "--import", "tsx", join(ROOT, "adapters/node/main.ts")];
  const profile = cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`, "--cpu-prof-md"] : [];
  return [BUN, ...profile, join(ROOT, "adapters/bun/main.ts")];
}

/**
 * Starts a server directly (no wrapper script between us and it, so its pid is the runtime's own),
 * logging to a file rather than a pipe so a blocked benchmark loop can never stall it on a full pipe.
 */
async function startReposit(dir: string, cpuProfDir?: string, runtime: ProcessRuntime = "bun"): Promise<Server> {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "server.log");
  const fd = openSync(log, "w");
  const [command, ...args] = serverCommand(runtime, cpuProfDir);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", REPOSIT_DATA: join(dir, "data"), REPOSIT_API_TOKEN: API_TOKEN, REPOSIT_SIGNING_KEY: SIGNING_KEY, NO_COLOR: "1" },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  let url = "";
  try {
    await waitFor(`the Reposit (${runtime}) banner`, () => {
      if (child.exitCode !== null) throw new Error(`Reposit (${runtime}) exited with ${child.exitCode}:\n${readFileSync(log, "utf8")}`);
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(log, "utf8"))?.[1] ?? "";
      return url !== "";
    });
    const exe = readlinkSync(`/proc/${child.pid}/exe`);
    if (!exe.includes(runtime)) throw new Error(`Process ${child.pid} is "${exe}", expected the ${runtime} binary`);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { pid: child.pid!, url, stop: () => terminate(child) };
}

function repositTarget(server: Server, rest = new Rest(server.url, API_TOKEN, "bench")): Target {
  return {
    name: "Reposit",
    create: async (name) => {
      const repo = await rest.createRepo("bench", name);
      return withToken(repo.remote, repo.token);
    },
  };
}

function lighttpdConfig(dir: string, port: number): string {
  return `server.document-root = "${dir}"
server.port = ${port}
server.bind = "127.0.0.1"
server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
server.errorlog = "${dir}/error.log"
# Stream responses instead of buffering them whole. Request bodies stay buffered (the default):
# git sends large pushes chunked, and mod_cgi answers 411 to a streamed chunked body because a CGI
# needs CONTENT_LENGTH.
server.stream-response-body = 2
alias.url = ( "/git" => "${HTTP_BACKEND}" )
$HTTP["url"] =~ "^/git" {
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "${dir}/repos", "GIT_HTTP_EXPORT_ALL" => "1" )
}
`;
}

async function startLighttpd(dir: string): Promise<Server & { repos: string }> {
  const repos = join(dir, "repos");
  mkdirSync(repos, { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, "lighttpd.conf"), lighttpdConfig(dir, port));
  const fd = openSync(join(dir, "lighttpd.log"), "w");
  const child = spawn(LIGHTTPD, ["-D", "-f", join(dir, "lighttpd.conf")], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  await waitFor("lighttpd to accept connections", () => {
    if (child.exitCode !== null) throw new Error(`lighttpd exited with ${child.exitCode}: ${readFileSync(join(dir, "lighttpd.log"), "utf8")}`);
    return accepts(port);
  });
  return { pid: child.pid!, url: `http://127.0.0.1:${port}`, repos, stop: () => terminate(child) };
}

function cgitTarget(server: Server & { repos: string }): Target {
  return {
    name: "C git",
    create: async (name) => {
      const dir = join(server.repos, `${name}.git`);
      git(["init", "-q", "--bare", "-b", "main", dir]);
      git(["config", "http.receivepack", "true"], dir);
      git(["config", "uploadpack.allowFilter", "true"], dir);
      return `${server.url}/git/${name}.git`;
    },
  };
}

/** Peak and current resident set size of a process, in KiB (/proc/<pid>/status VmHWM, VmRSS). */
function memoryOf(pid: number): { peakKib: number; rssKib: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { peakKib: field("VmHWM"), rssKib: field("VmRSS") };
}

// ---------------------------------------------------------------------------------------------
// The operations.

type Operation = "push" | "clone" | "clone --depth 1" | "clone --filter=blob:none" | "no-op fetch" | "one-commit fetch";
const OPERATIONS: readonly Operation[] = ["push", "clone", "clone --depth 1", "clone --filter=blob:none", "no-op fetch", "one-commit fetch"];
const TARGETS: Partial<Record<Operation, number>> = { push: 2, clone: 1.5, "no-op fetch": 1.2 };

type Samples = Record<Operation, Record<Target["name"], number[]>>;

class Bench {
  readonly samples = {} as Samples;
  readonly loads: number[] = [];
  /** Reposit's VmHWM (KiB) after each operation's runs: shows which operation set the peak. */
  readonly peakAfter = {} as Record<Operation, number>;
  readonly #peak: () => number;
  private scratchCount = 0;
  readonly targets: readonly Target[];
  readonly runs: number;
  readonly scratchRoot: string;
  constructor(targets: readonly Target[], runs: number, scratchRoot: string, peak: () => number) {
    this.#peak = peak;
    this.targets = targets;
    this.runs = runs;
    this.scratchRoot = scratchRoot;
    for (const op of OPERATIONS) this.samples[op] = { "C git": [], Reposit: [] };
  }

  scratch(): string {
    return join(this.scratchRoot, `s${this.scratchCount++}`);
  }

  /** Runs `measure` for each run and each target, alternating which server goes first. */
  async each(op: Operation, measure: (target: Target, run: number) => Promise<number> | number): Promise<void> {
    this.loads.push(loadavg()[0]!);
    for (let run = 0; run < this.runs; run++) {
      const order = run % 2 === 0 ? this.targets : [...this.targets].reverse();
      for (const target of order) this.samples[op][target.name].push(await measure(target, run));
    }
    this.peakAfter[op] = this.#peak();
    process.stdout.write(`  ${op.padEnd(26)} ${this.targets.map((t) => `${t.name} ${median(this.samples[op][t.name]).toFixed(0)} ms`).join(", ")}\n`);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function checkHead(dir: string, expected: string, what: string): void {
  const head = git(["rev-parse", "HEAD"], dir).trim();
  if (head !== expected) throw new Error(`${what}: HEAD is ${head}, expected ${expected}`);
}

async function pushes(bench: Bench, source: string): Promise<Map<Target["name"], string>> {
  const served = new Map<Target["name"], string>();
  await bench.each("push", async (target, run) => {
    const url = await target.create(`push-${run}`);
    if (run === 0) served.set(target.name, url);
    return timeGit(["push", "-q", url, ...REFSPECS], source);
  });
  return served;
}

async function clones(bench: Bench, served: Map<Target["name"], string>, head: string): Promise<void> {
  const kinds: [Operation, string[]][] = [["clone", []], ["clone --depth 1", ["--depth", "1"]], ["clone --filter=blob:none", ["--filter=blob:none"]]];
  for (const [op, extra] of kinds) {
    await bench.each(op, (target, run) => {
      const dir = bench.scratch();
      const ms = timeGit([...V2, "clone", "-q", ...extra, served.get(target.name)!, dir]);
      if (run === 0) checkHead(dir, head, `${target.name} ${op}`);
      rmSync(dir, { recursive: true, force: true });
      return ms;
    });
  }
}

/** No-op fetches, then one-commit fetches: a second clone pushes one commit before each timed fetch. */
async function fetches(bench: Bench, served: Map<Target["name"], string>): Promise<void> {
  const fetcher = new Map<Target["name"], string>();
  const pusher = new Map<Target["name"], string>();
  for (const target of bench.targets) {
    for (const map of [fetcher, pusher]) {
      const dir = bench.scratch();
      git([...V2, "clone", "-q", served.get(target.name)!, dir]);
      map.set(target.name, dir);
    }
  }
  await bench.each("no-op fetch", (target) => timeGit([...V2, "fetch", "-q"], fetcher.get(target.name)));
  await bench.each("one-commit fetch", (target, run) => {
    const from = pusher.get(target.name)!;
    writeFileSync(join(from, "bench-incremental.txt"), `run ${run} of ${target.name}\n`);
    git(["add", "bench-incremental.txt"], from);
    git(["commit", "-q", "-m", `Incremental commit ${run}`], from);
    git(["push", "-q", "origin", "HEAD"], from);
    const into = fetcher.get(target.name)!;
    const ms = timeGit([...V2, "fetch", "-q"], into);
    const got = git(["rev-parse", "refs/remotes/origin/main"], into).trim();
    const want = git(["rev-parse", "HEAD"], from).trim();
    if (got !== want) throw new Error(`${target.name} one-commit fetch: origin/main is ${got}, expected ${want}`);
    return ms;
  });
}

/** True when `git ls-remote` over protocol v2 really spoke v2 (GIT_TRACE_PACKET shows "version 2"). */
function speaksV2(url: string): boolean {
  const r = spawnSync("git", [...V2, "ls-remote", url], { env: { ...clientEnv(), GIT_TRACE_PACKET: "1" }, encoding: "utf8" });
  return r.status === 0 && /git< version 2/.test(r.stderr);
}

// ---------------------------------------------------------------------------------------------
// The memory scenario: a large push into a fresh server.

interface MemoryResult {
  repositMs: number;
  repositPeakKib: number;
  repositIdleKib: number;
  cgitMs: number;
}

async function memoryScenario(run: string, large: string, cpuProfDir?: string): Promise<MemoryResult> {
  const server = await startReposit(join(run, "reposit-memory"), cpuProfDir);
  try {
    const idle = memoryOf(server.pid).rssKib;
    const url = await repositTarget(server).create("large");
    const repositMs = timeGit(["push", "-q", url, ...REFSPECS], large);
    const peak = memoryOf(server.pid).peakKib;
    const cgit = await startLighttpd(join(run, "cgit-memory"));
    try {
      const cgitUrl = await cgitTarget(cgit).create("large");
      const cgitMs = timeGit(["push", "-q", cgitUrl, ...REFSPECS], large);
      const head = git(["rev-parse", "main"], large).trim();
      for (const u of [url, cgitUrl]) {
        if (!git(["ls-remote", u, "refs/heads/main"]).startsWith(head)) throw new Error(`Large push to ${u} did not land`);
      }
      return { repositMs, repositPeakKib: peak, repositIdleKib: idle, cgitMs };
    } finally {
      await cgit.stop();
    }
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Every runtime: push and full clone against C git in one interleaved section, then memory.

type Runtime = "bun" | "deno" | "node" | "workerd";
const RUNTIMES: readonly Runtime[] = ["bun", "deno", "node", "workerd"];
const RUNTIME_LABELS: Readonly<Record<Runtime, string>> = {
  bun: "Bun (SQLite)",
  deno: "Deno (Deno KV)",
  node: "Node (better-sqlite3)",
  workerd: "workerd (Durable Objects)",
};
/** Every runtime's full clone within this factor of C git's (issue "Every runtime"). */
const RUNTIME_CLONE_TARGET = 2;
/**
 * Peak RSS may rise by at most this many bytes per extra byte of pack from the normal push to the
 * large one. A server that holds the pack or its objects grows by 1 or more; one that streams, by
 * about 0. A quarter of the extra ~190 MiB (~48 MiB) also absorbs this VM's noise: the same large
 * push into Bun peaked 40 MiB apart in two runs.
 */
const GROWTH_LIMIT = 0.25;

interface RuntimeServer extends Server {
  readonly runtime: Runtime;
  /** The REST client for this server (for workerd, one that lets closed keep-alive sockets settle). */
  readonly rest: Rest;
}

/** Starts one runtime's server with fresh storage under `dir`. */
async function startRuntime(runtime: Runtime, dir: string): Promise<RuntimeServer> {
  if (runtime === "workerd") return startWorkerdServer(dir);
  const server = await startReposit(dir, undefined, runtime);
  return { ...server, runtime, rest: new Rest(server.url, API_TOKEN, "bench") };
}

/**
 * The Worker in workerd through Miniflare (tests/helpers/workerd.ts). Miniflare runs in this process
 * and spawns workerd as its child: the one new descendant whose command line names workerd is the
 * process to measure. It holds every Durable Object (registry, repositories, pools) and Miniflare's
 * own internal workers.
 */
async function startWorkerdServer(dir: string): Promise<RuntimeServer> {
  mkdirSync(dir, { recursive: true });
  const before = new Set(workerdPids());
  const server = await startWorkerd({ persistDir: dir });
  const fresh = workerdPids().filter((pid) => !before.has(pid));
  if (fresh.length !== 1) {
    await server.dispose();
    throw new Error(`Found ${fresh.length} new workerd processes under pid ${process.pid} (${fresh.join(", ")}), expected 1`);
  }
  const rest = new WorkerdRest(server.url, server.apiToken, "bench");
  return { runtime: "workerd", pid: fresh[0]!, url: server.url, rest, stop: () => server.dispose() };
}

/** Descendants of this process whose /proc/<pid>/cmdline names workerd. */
function workerdPids(): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrNull(`/proc/${entry}/stat`);
    if (stat === null) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      queue.push(child);
      if (readOrNull(`/proc/${child}/cmdline`)?.includes("workerd")) found.push(child);
    }
  }
  return found;
}

/** A /proc file, or null when its process exited meanwhile. */
function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** VmHWM in KiB, or NaN when the process is gone (a crashed server). */
function peakOrNaN(pid: number): number {
  return readOrNull(`/proc/${pid}/status`) === null ? NaN : memoryOf(pid).peakKib;
}

/**
 * `git` without blocking this process: Miniflare lives here and reads workerd's output pipes, and a
 * blocked event loop misses workerd closing idle keep-alive sockets (tests/helpers/workerd.ts settle).
 */
function gitAsync(args: string[], cwd?: string): Promise<void> {
  return new Promise((resolveGit, reject) => {
    const child = spawn("git", args, { cwd, env: clientEnv(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => {
      if (stderr.length < 65536) stderr += d;
    });
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolveGit() : reject(new Error(`git ${args[0] === "-c" ? args[2] : args[0]} failed (${code}): ${stderr}`))));
  });
}

async function timeGitAsync(args: string[], cwd?: string): Promise<number> {
  const start = performance.now();
  await gitAsync(args, cwd);
  return performance.now() - start;
}

/** An error as one short line for a table: its message, whitespace collapsed, at most 300 characters. */
function describeError(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

type RuntimeOperation = "push" | "clone";

/** One server of the runtime section (C git or a runtime) and what was measured on it. */
interface Lane {
  readonly label: string;
  /** null for C git. */
  readonly runtime: Runtime | null;
  readonly target: Pick<Target, "create"> | null;
  readonly server: RuntimeServer | null;
  readonly samples: Record<RuntimeOperation, number[]>;
  /** The repository of the first push, which the clones read. */
  served?: string;
  v2?: boolean;
  idleKib?: number;
  /** VmHWM right after the first push into the fresh server: its peak while receiving the repository. */
  pushPeakKib?: number;
  /** VmHWM at the end of the section (all pushes and clones). */
  peakKib?: number;
  /** Why the lane stopped: it is skipped from then on. */
  error?: string;
}

function lane(label: string, runtime: Runtime | null, target: Lane["target"], server: RuntimeServer | null): Lane {
  return { label, runtime, target, server, samples: { push: [], clone: [] } };
}

/** Runs `measure` on every lane still standing, run by run, reversing the order on odd runs. */
async function interleave(lanes: readonly Lane[], runs: number, op: RuntimeOperation, measure: (lane: Lane, run: number) => Promise<number>): Promise<void> {
  for (let run = 0; run < runs; run++) {
    for (const l of run % 2 === 0 ? lanes : [...lanes].reverse()) {
      if (l.error !== undefined) continue;
      try {
        l.samples[op].push(await measure(l, run));
      } catch (error) {
        l.error = `${op} run ${run + 1}: ${describeError(error)}`;
      }
    }
  }
  process.stdout.write(`  ${op.padEnd(6)} ${lanes.map((l) => `${l.label} ${l.error ? "failed" : `${medianMs(l.samples[op])} ms`}`).join(", ")}\n`);
}

/** C git and every runtime up at once, pushes then clones, interleaved run by run. */
async function runtimeSpeed(run: string, runtimes: readonly Runtime[], source: string, head: string, runs: number, loads: number[]): Promise<Lane[]> {
  const cgit = await startLighttpd(join(run, "cgit-runtimes"));
  const lanes: Lane[] = [lane("C git", null, cgitTarget(cgit), null)];
  try {
    for (const runtime of runtimes) {
      try {
        const server = await startRuntime(runtime, join(run, `runtime-${runtime}`));
        const l = lane(RUNTIME_LABELS[runtime], runtime, repositTarget(server, server.rest), server);
        lanes.push(l);
        l.idleKib = memoryOf(server.pid).rssKib;
      } catch (error) {
        lanes.push({ ...lane(RUNTIME_LABELS[runtime], runtime, null, null), error: `start: ${describeError(error)}` });
      }
    }
    console.log(`  servers: ${lanes.slice(1).map((l) => `${l.label} ${l.server ? `pid ${l.server.pid}` : "did not start"}`).join(", ")}`);
    loads.push(loadavg()[0]!);
    await interleave(lanes, runs, "push", async (l, n) => {
      const url = await l.target!.create(`push-${n}`);
      const took = await timeGitAsync(["push", "-q", url, ...REFSPECS], source);
      if (n === 0) {
        l.served = url;
        if (l.server) l.pushPeakKib = memoryOf(l.server.pid).peakKib;
      }
      return took;
    });
    for (const l of lanes) if (l.served !== undefined) l.v2 = speaksV2(l.served);
    loads.push(loadavg()[0]!);
    await interleave(lanes, runs, "clone", async (l, n) => {
      const dir = join(run, "scratch-runtimes", `${l.runtime ?? "cgit"}-${n}`);
      const took = await timeGitAsync([...V2, "clone", "-q", l.served!, dir]);
      if (n === 0) checkHead(dir, head, `${l.label} clone`);
      rmSync(dir, { recursive: true, force: true });
      return took;
    });
    for (const l of lanes) if (l.server) l.peakKib = peakOrNaN(l.server.pid);
  } finally {
    for (const l of lanes) await l.server?.stop();
    await cgit.stop();
  }
  return lanes;
}

interface LargePush {
  idleKib: number;
  peakKib: number;
  ms: number;
  error?: string;
}

/** A fresh server of `runtime` receiving the large pack: its idle RSS, then its VmHWM after the push. */
async function runtimeLargePush(run: string, runtime: Runtime, large: string): Promise<LargePush> {
  const result: LargePush = { idleKib: NaN, peakKib: NaN, ms: NaN };
  let server: RuntimeServer | null = null;
  try {
    server = await startRuntime(runtime, join(run, `large-${runtime}`));
    result.idleKib = memoryOf(server.pid).rssKib;
    const repo = await server.rest.createRepo("bench", "large");
    const url = withToken(repo.remote, repo.token);
    result.ms = await timeGitAsync(["push", "-q", url, ...REFSPECS], large);
    result.peakKib = memoryOf(server.pid).peakKib;
    const head = git(["rev-parse", "main"], large).trim();
    if (!git(["ls-remote", url, "refs/heads/main"]).startsWith(head)) throw new Error(`The large push to ${runtime} did not land`);
  } catch (error) {
    result.error = describeError(error);
    if (server !== null && Number.isNaN(result.peakKib)) result.peakKib = peakOrNaN(server.pid);
  } finally {
    await server?.stop();
  }
  return result;
}

interface RuntimeSection {
  lanes: Lane[];
  large: Map<Runtime, LargePush>;
  /** 1-min load average when the pushes, the clones and the large pushes began. */
  loads: number[];
}

async function runtimeSection(run: string, options: Options, source: string, head: string, large: string): Promise<RuntimeSection> {
  const loads: number[] = [];
  const lanes = await runtimeSpeed(run, options.runtimes, source, head, options.runs, loads);
  const pushes = new Map<Runtime, LargePush>();
  loads.push(loadavg()[0]!);
  for (const runtime of options.runtimes) {
    process.stdout.write(`  large push, ${RUNTIME_LABELS[runtime]}: `);
    const r = await runtimeLargePush(run, runtime, large);
    pushes.set(runtime, r);
    process.stdout.write(`${r.error ? `failed: ${r.error}` : `${ms(r.ms)} ms`}; peak ${kibText(r.peakKib)}, idle ${kibText(r.idleKib)}\n`);
  }
  return { lanes, large: pushes, loads };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

interface Report {
  options: Options;
  /** The command-line arguments, as given. */
  argv: string[];
  source: { stats: RepoStats; seconds: number | null; options: GenerateOptions };
  large: { stats: RepoStats; seconds: number | null };
  bench: Bench;
  v2: Record<Target["name"], boolean>;
  repositPeakKib: number;
  memory: MemoryResult;
  runtimes: RuntimeSection;
  loadStart: number[];
  loadEnd: number[];
  startedAt: Date;
  seconds: number;
}

const ms = (n: number) => n.toFixed(0);
const mib = (kib: number) => (kib / 1024).toFixed(0);
/** A median in ms, or "—" when there are no samples. */
const medianMs = (values: readonly number[]) => (values.length === 0 ? "—" : ms(median(values)));
const kibText = (kib: number | undefined) => (kib === undefined || Number.isNaN(kib) ? "—" : `${mib(kib)} MiB`);
const times = (n: number, of: number) => (Number.isFinite(n / of) ? `${(n / of).toFixed(2)}x` : "—");
const packMib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

function rows(bench: Bench): string[][] {
  return OPERATIONS.map((op) => {
    const c = median(bench.samples[op]["C git"]);
    const r = median(bench.samples[op].Reposit);
    const target = TARGETS[op];
    const ratio = r / c;
    return [op, ms(c), ms(r), `${ratio.toFixed(2)}x`, target ? `≤ ${target}x` : "—", target ? (ratio <= target ? "PASS" : "MISS") : "—"];
  });
}

function markdownTable(header: string[], body: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...body.map(line)].join("\n");
}

function plainTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

const HEADER = ["operation", "C git median (ms)", "Reposit median (ms)", "Reposit / C git", "target", "result"];

function memoryRows(m: MemoryResult): string[][] {
  return [
    ["Reposit peak RSS (VmHWM) during the push", `${mib(m.repositPeakKib)} MiB`],
    ["Reposit RSS when idle, before the push", `${mib(m.repositIdleKib)} MiB`],
    ["Stays under 256 MiB", m.repositPeakKib < MEMORY_LIMIT_KIB ? "PASS" : "MISS"],
    ["Reposit push time", `${ms(m.repositMs)} ms`],
    ["C git push time", `${ms(m.cgitMs)} ms`],
    ["Reposit / C git", `${(m.repositMs / m.cgitMs).toFixed(2)}x`],
  ];
}

const RUNTIME_HEADER = ["server", "push median (ms)", "push / C git", "full clone median (ms)", "clone / C git", "clone target", "result", "protocol v2", "peak RSS (VmHWM)"];

function runtimeRows(lanes: readonly Lane[]): string[][] {
  const cgit = lanes[0]!;
  const base = { push: median(cgit.samples.push), clone: median(cgit.samples.clone) };
  return lanes.map((l) => {
    const clone = median(l.samples.clone);
    const isCgit = l.runtime === null;
    const pass = l.error === undefined && clone / base.clone <= RUNTIME_CLONE_TARGET;
    return [
      l.error === undefined ? l.label : `${l.label} (failed)`,
      medianMs(l.samples.push), times(median(l.samples.push), base.push),
      medianMs(l.samples.clone), times(clone, base.clone),
      isCgit ? "—" : `≤ ${RUNTIME_CLONE_TARGET}x`, isCgit ? "—" : pass ? "PASS" : "MISS",
      l.v2 === undefined ? "—" : l.v2 ? "yes" : "NO",
      isCgit ? "—" : kibText(l.peakKib),
    ];
  });
}

function runtimeMemoryHeader(normalPack: number, largePack: number): string[] {
  return [
    "server", "idle RSS", `peak RSS, push of the repository (${packMib(normalPack)} pack)`, "idle RSS", `peak RSS, push of the ${packMib(largePack)} pack`,
    "growth: extra peak / extra pack", "target", "result", `${packMib(largePack)} push (ms)`, "/ C git",
  ];
}

/** Growth of peak RSS per extra byte of pack, from the repository push to the large one. */
function growth(l: Lane, big: LargePush, normalPack: number, largePack: number): number {
  return ((big.peakKib - (l.pushPeakKib ?? NaN)) * 1024) / (largePack - normalPack);
}

function runtimeMemoryRows(section: RuntimeSection, normalPack: number, largePack: number, cgitLargeMs: number): string[][] {
  return section.lanes.filter((l) => l.runtime !== null).map((l) => {
    const big = section.large.get(l.runtime!)!;
    const g = growth(l, big, normalPack, largePack);
    const pass = Number.isFinite(g) && big.error === undefined && g < GROWTH_LIMIT;
    return [
      l.label, kibText(l.idleKib), kibText(l.pushPeakKib), kibText(big.idleKib), `${kibText(big.peakKib)}${big.error === undefined ? "" : " (push failed)"}`,
      Number.isFinite(g) ? g.toFixed(2) : "—", `< ${GROWTH_LIMIT}`, pass ? "PASS" : "MISS",
      Number.isNaN(big.ms) ? "failed" : ms(big.ms), times(big.ms, cgitLargeMs),
    ];
  });
}

function runtimeFailures(section: RuntimeSection): string[] {
  return [
    ...section.lanes.filter((l) => l.error !== undefined).map((l) => `- ${l.label}: ${l.error}`),
    ...[...section.large].filter(([, r]) => r.error !== undefined).map(([runtime, r]) => `- ${RUNTIME_LABELS[runtime]}, large push: ${r.error}`),
  ];
}

function runtimeSamples(lanes: readonly Lane[]): string[][] {
  return lanes.flatMap((l) => (["push", "clone"] as const).map((op) => [l.label, op, l.samples[op].map(ms).join(", ") || "—"]));
}

function workerdNote(section: RuntimeSection): string {
  const big = section.large.get("workerd");
  if (big === undefined) return "";
  return `\nworkerd's figures are the whole workerd process that Miniflare spawns: every Durable Object (registry, repository and pool objects) plus Miniflare's own internal workers. Miniflare does not enforce the Workers limit of 128 MB per isolate, so the ${kibText(big.peakKib)} peak of the large push is reported, not held to that limit.\n`;
}

function runtimesMarkdown(r: Report, section: RuntimeSection): string {
  const failures = runtimeFailures(section);
  const normalPack = r.source.stats.packBytes;
  const largePack = r.large.stats.packBytes;
  return `## Runtimes

${section.lanes.map((l) => l.label).join(", ")}: each server with fresh storage, all running at once, runs interleaved
(even runs in the order of the table, odd runs reversed), same repository and \`git\` client as above (git run without
blocking the bench process, which hosts Miniflare). Medians of ${r.options.runs} runs; ratios are to C git's median in this
section, so every row shares one reference taken under the same load.

- Bun: \`bun adapters/bun/main.ts\`, SQLite file (bun:sqlite).
- Deno: \`deno run -A adapters/deno/main.ts\`, Deno KV file.
- Node: \`node --import tsx adapters/node/main.ts\`, SQLite file through better-sqlite3.
- workerd: adapters/cloudflare/worker.ts bundled by esbuild, run by Miniflare (tests/helpers/workerd.ts) with Durable Object SQLite storage persisted on disk.
- Push: all branches and tags into a new repository each run. Full clone: \`git -c protocol.version=2 clone -q\` of the first run's repository, with checkout.
- 1-min load when the pushes, the clones and the large pushes began: ${section.loads.map((x) => x.toFixed(2)).join(", ")}.

### Speed

${markdownTable(RUNTIME_HEADER, runtimeRows(section.lanes))}

Peak RSS: the server's VmHWM at the end of the section (${r.options.runs} pushes and ${r.options.runs} clones).

### Memory: peak RSS must not grow with pack size

Two fresh servers per runtime: the one above, read right after its first push (the repository, ${packMib(normalPack)} pack), and
one that receives only the large pack (${packMib(largePack)}, \`generateLargePack\`). Idle RSS is each fresh server's VmRSS before
its push; peaks are VmHWM. Growth is (large-push peak − repository-push peak) / (large pack − repository pack): a server that
holds the pack or its objects in memory shows 1 or more, a streaming one about 0 (below 0 when the repository's tens of
thousands of small objects cost more than a few hundred MiB of large blobs). Target: below ${GROWTH_LIMIT}, which also absorbs
this VM's run-to-run noise (~40 MiB). The large-push time is compared with C git's in the memory scenario above.

${markdownTable(runtimeMemoryHeader(normalPack, largePack), runtimeMemoryRows(section, normalPack, largePack, r.memory.cgitMs))}
${workerdNote(section)}${failures.length === 0 ? "" : `\nFailures:\n\n${failures.join("\n")}\n`}
### Runtime samples (ms)

${markdownTable(["server", "operation", "runs, in order"], runtimeSamples(section.lanes))}
`;
}

function machine(): string[][] {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  const memKib = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  const version = (cmd: string, args: string[]) => (spawnSync(cmd, args, { encoding: "utf8" }).stdout ?? "").split("\n")[0]!.trim();
  return [
    ["CPU", `${model}, nproc ${cpus().length}`],
    ["Memory", `${(memKib / 1024 / 1024).toFixed(1)} GiB`],
    ["git", version("git", ["--version"])],
    ["Bun", version(BUN, ["--version"])],
    ["Node (bench driver and Node server)", process.version],
    ["Deno", version(DENO, ["--version"])],
    ["workerd", `${version(WORKERD, ["--version"])}, Miniflare ${packageVersion("miniflare")}`],
    ["better-sqlite3", packageVersion("better-sqlite3")],
    ["lighttpd", version(LIGHTTPD, ["-v"])],
  ];
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

function details(bench: Bench): string[][] {
  return OPERATIONS.flatMap((op) =>
    bench.targets.map((t) => [op, t.name, bench.samples[op][t.name].map(ms).join(", "), t.name === "Reposit" ? `${mib(bench.peakAfter[op])} MiB` : ""]),
  );
}

function markdown(r: Report): string {
  const s = r.source.stats;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  return `# Reposit benchmark results

Generated by \`npm run bench${r.argv.length > 0 ? ` -- ${r.argv.join(" ")}` : ""}\` (bench/run.ts) on ${r.startedAt.toISOString()}; the run took ${r.seconds.toFixed(0)} s.
Medians of ${r.options.runs} runs per operation; both servers measured in the same run, runs interleaved
(even runs C git first, odd runs Reposit first), same \`git\` client and configuration.

## Machine

${markdownTable(["", ""], [
    ...machine(),
    ["Load average (1/5/15 min) at start", load(r.loadStart)],
    ["Load average at end", load(r.loadEnd)],
    ["1-min load when each operation began", r.bench.loads.map((x) => x.toFixed(2)).join(", ")],
  ])}

The machine has 2 cores shared with other work, so absolute times are noisy; compare the ratios.

## Repository

Synthetic, from \`generateRepo(dir, ${JSON.stringify(r.source.options)})\` (scripts/synthetic-repo.ts):
${s.commits} commits, ${s.objects} objects, ${s.refs} refs (branches and annotated tags), pack ${(s.packBytes / 1048576).toFixed(1)} MiB after \`git repack -adf\`.

- Reposit: \`bun adapters/bun/main.ts\`, fresh SQLite data directory.
- C git: \`git http-backend\` as a CGI behind lighttpd (responses streamed, request bodies buffered by lighttpd as CGI needs a length), fresh bare repositories with \`http.receivepack\` and \`uploadpack.allowFilter\`.
- Push: all branches and tags into a new empty repository each run. Clones: \`git -c protocol.version=2 clone -q\` with checkout.
  No-op fetch: \`git fetch\` in an up-to-date clone. One-commit fetch: a second clone pushes one commit (not timed), then \`git fetch\` in the first.
- Protocol v2 confirmed by GIT_TRACE_PACKET: C git ${r.v2["C git"] ? "yes" : "NO"}, Reposit ${r.v2.Reposit ? "yes" : "NO"}.

## Speed

${markdownTable(HEADER, rows(r.bench))}

Reposit server peak RSS over all of the above (VmHWM of the Bun process): **${mib(r.repositPeakKib)} MiB**.

## Memory: a ${(r.large.stats.packBytes / 1048576).toFixed(0)} MiB push into a fresh server

\`generateLargePack\`: ${r.large.stats.objects} objects in ${r.large.stats.commits} commits, mostly 4 MiB incompressible blobs.

${markdownTable(["", ""], memoryRows(r.memory))}

## All samples (ms)

Operations ran in this order, so the last column (Reposit's VmHWM once an operation's runs were
done) shows which operation raised the server's peak.

${markdownTable(["operation", "server", "runs, in order", "Reposit peak RSS so far"], details(r.bench))}

${runtimesMarkdown(r, r.runtimes)}`;
}

const NOTES_MARKER = "<!-- notes: kept across runs -->";

/** Writes results.md, keeping any hand-written notes below the marker from the previous file. */
function writeResults(text: string): void {
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "";
  const at = previous.indexOf(NOTES_MARKER);
  writeFileSync(RESULTS, at >= 0 ? `${text}\n${previous.slice(at)}` : text);
}

// ---------------------------------------------------------------------------------------------

async function prepare(options: Options) {
  mkdirSync(CLIENT_HOME, { recursive: true });
  const sourceOpts = sourceOptions(options.quick);
  process.stdout.write(`Repository: ${JSON.stringify(sourceOpts)} `);
  const source = await cached(`source-${sourceOpts.commits}-${sourceOpts.files}-${sourceOpts.seed}`, (dir) => generateRepo(dir, sourceOpts));
  process.stdout.write(`${source.stats.objects} objects, ${source.stats.commits} commits${source.seconds === null ? " (cached)" : ` (generated in ${source.seconds.toFixed(1)} s)`}\n`);
  if (!options.quick && source.stats.objects < 30_000) throw new Error(`The benchmark repository has ${source.stats.objects} objects, expected at least 30000`);
  const large = await cached(`large-${options.largeMb}m`, (dir) => generateLargePack(dir, options.largeMb * 1024 * 1024));
  process.stdout.write(`Large repository: ${(large.stats.packBytes / 1048576).toFixed(0)} MiB pack${large.seconds === null ? " (cached)" : ` (generated in ${large.seconds.toFixed(1)} s)`}\n`);
  return { sourceOpts, source, large };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const loadStart = loadavg();
  const { sourceOpts, source, large } = await prepare(options);
  const run = join(WORK, `run-${startedAt.toISOString().replace(/[:.]/g, "-")}`);
  // Outside the run directory, which is removed at the end.
  const profiles = options.cpuProf ? join(WORK, `profiles-${startedAt.toISOString().replace(/[:.]/g, "-")}`) : undefined;
  const reposit = await startReposit(join(run, "reposit"), profiles);
  const cgit = await startLighttpd(join(run, "cgit"));
  const head = git(["rev-parse", "main"], source.dir).trim();
  let repositPeakKib = 0;
  let bench: Bench;
  let v2: Record<Target["name"], boolean>;
  try {
    bench = new Bench([cgitTarget(cgit), repositTarget(reposit)], options.runs, join(run, "scratch"), () => memoryOf(reposit.pid).peakKib);
    console.log(`Timing ${options.runs} runs per operation (C git at ${cgit.url}, Reposit at ${reposit.url}, pid ${reposit.pid})`);
    const served = await pushes(bench, source.dir);
    v2 = { "C git": speaksV2(served.get("C git")!), Reposit: speaksV2(served.get("Reposit")!) };
    await clones(bench, served, head);
    await fetches(bench, served);
    repositPeakKib = memoryOf(reposit.pid).peakKib;
  } finally {
    await reposit.stop();
    await cgit.stop();
  }
  console.log(`Memory scenario: pushing the ${(large.stats.packBytes / 1048576).toFixed(0)} MiB pack`);
  const memory = await memoryScenario(run, large.dir, profiles);
  console.log(`Runtimes (${options.runtimes.join(", ")}) against C git, ${options.runs} runs each of push and full clone`);
  const runtimes = await runtimeSection(run, options, source.dir, head, large.dir);
  const report: Report = {
    options, argv: process.argv.slice(2), source: { ...source, options: sourceOpts }, large, bench, v2, repositPeakKib, memory, runtimes,
    loadStart, loadEnd: loadavg(), startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000,
  };
  console.log(`\n${plainTable(HEADER, rows(bench))}\n`);
  console.log(`Reposit peak RSS over the run: ${mib(repositPeakKib)} MiB`);
  console.log(plainTable(["memory scenario", ""], memoryRows(memory)));
  console.log(`\n${plainTable(RUNTIME_HEADER, runtimeRows(runtimes.lanes))}\n`);
  console.log(plainTable(runtimeMemoryHeader(source.stats.packBytes, large.stats.packBytes), runtimeMemoryRows(runtimes, source.stats.packBytes, large.stats.packBytes, memory.cgitMs)));
  for (const line of runtimeFailures(runtimes)) console.log(line);
  console.log(`Load average: start ${loadStart.map((x) => x.toFixed(2)).join(" ")}, end ${report.loadEnd.map((x) => x.toFixed(2)).join(" ")}`);
  writeResults(markdown(report));
  console.log(`Wrote ${RESULTS}${profiles ? `; CPU profiles in ${profiles}` : ""}`);
  if (!options.keep) rmSync(run, { recursive: true, force: true });
}

await main();
