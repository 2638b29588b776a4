/**
 * Starts a real Reposit server process on 127.0.0.1 (port chosen by the OS) with a fresh data
 * directory, for end-to-end tests. The server prints its URL in the start-up banner; we read it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const TEST_API_TOKEN = "test-api-token-0123456789abcdef";
export const TEST_SIGNING_KEY = "k".repeat(43) + "A"; // 44 base64url chars = 33 bytes

export type Runtime = "bun" | "node" | "deno";

export interface TestServer {
  readonly url: string;
  readonly dataDir: string;
  readonly apiToken: string;
  readonly runtime: Runtime;
  /** Output the server printed so far (for debugging failures). */
  output(): string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

const ENTRY: Record<Runtime, string[]> = {
  bun: [join(ROOT, "node_modules/.bin/bun"), join(ROOT, "adapters/bun/main.ts")],
  node: [process.execPath, "--import", "tsx", join(ROOT, "adapters/node/main.ts")],
  deno: [join(ROOT, "node_modules/.bin/deno"), "run", "-A", join(ROOT, "adapters/deno/main.ts")],
};

export async function startServer(options: { runtime?: Runtime; dataDir?: string; env?: Record<string, string> } = {}): Promise<TestServer> {
  const runtime = options.runtime ?? "bun";
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "reposit-e2e-"));
  const [command, ...args] = ENTRY[runtime];
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      REPOSIT_DATA: dataDir,
      REPOSIT_API_TOKEN: TEST_API_TOKEN,
      REPOSIT_SIGNING_KEY: TEST_SIGNING_KEY,
      NO_COLOR: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`Server did not start within 30 s:\n${output}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Server exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  // Never leave a server behind when the test process itself dies.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  void exited.then(() => process.removeListener("exit", reap));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    url,
    dataDir,
    apiToken: TEST_API_TOKEN,
    runtime,
    output: () => output,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export type { ChildProcess };
