/**
 * Runs the Cloudflare Worker (adapters/cloudflare/worker.ts) in workerd through Miniflare, on
 * 127.0.0.1 with Durable Object storage persisted in a directory, for end-to-end tests. Miniflare runs
 * JavaScript only, so the worker is bundled with esbuild first, into .cache/workerd/ (git-ignored).
 * Extra workers (test probes, binding consumers) run in the same workerd process and may bind the
 * Reposit worker's Durable Objects or its ArtifactsEntrypoint.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare, type WorkerOptions } from "miniflare";
import { TEST_API_TOKEN, TEST_SIGNING_KEY } from "./server.ts";
import { Rest } from "./rest.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
const CACHE = join(ROOT, ".cache/workerd");

/** The Worker settings of wrangler.jsonc (adapters/cloudflare/wrangler.jsonc). */
export const COMPATIBILITY_DATE = "2026-04-21";
export const COMPATIBILITY_FLAGS = ["nodejs_compat"];
/** The name the Reposit worker runs under; other workers refer to it by this name. */
export const REPOSIT_WORKER = "reposit";

/**
 * Bundles a worker entry point (TypeScript) into one ES module and returns its path.
 * @example const script = await bundleWorker("adapters/cloudflare/worker.ts", "reposit");
 */
export async function bundleWorker(entry: string, name: string): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const outfile = join(CACHE, `${name}.js`);
  await build({
    entryPoints: [resolve(ROOT, entry)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    // What wrangler resolves for workerd: jose has a "workerd" build, others a "worker"/"browser" one.
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    // Miniflare parses the bundle with acorn, which does not know `using` yet: esbuild lowers it.
    target: "es2022",
    sourcemap: "inline",
    logLevel: "warning",
  });
  return outfile;
}

/**
 * Lets pending socket events run before the next request. workerd closes an idle keep-alive
 * connection after 5 s; a test that ran git with spawnSync for longer blocked the event loop, so the
 * FIN is still unread and the next fetch would pick the dead socket ("other side closed").
 * @example await settle(); await fetch(url);
 */
export function settle(): Promise<void> {
  return new Promise((resolveSettled) => setTimeout(resolveSettled, 5));
}

/** The REST test client (tests/helpers/rest.ts) with `settle()` before every call. */
export class WorkerdRest extends Rest {
  override async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    await settle();
    return super.call<T>(method, path, body, headers);
  }
}

/** A free TCP port on 127.0.0.1 (kept across restarts so remote URLs stay valid). */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface WorkerdOptions {
  /** Durable Object storage directory (default: a new temp dir, removed by `cleanup`). */
  readonly persistDir?: string;
  /** Extra vars of the Reposit worker (e.g. REPOSIT_PLATFORM, ARTIFACTS_NAMESPACE). */
  readonly vars?: Record<string, string>;
  /** More workers in the same workerd process; the first worker (Reposit) serves the URL. */
  readonly extraWorkers?: readonly WorkerOptions[];
}

export interface WorkerdServer {
  /** Base URL of the Reposit worker, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  readonly apiToken: string;
  readonly persistDir: string;
  /** The running Miniflare (for dispatchFetch to extra workers, getWorker, ...). */
  readonly miniflare: () => Miniflare;
  /** Stops workerd (storage stays in persistDir). */
  dispose(): Promise<void>;
  /** Stops workerd if running and starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** Removes the storage directory (after dispose). */
  cleanup(): void;
}

/**
 * Bundles adapters/cloudflare/worker.ts and serves it with Miniflare.
 * @example const server = await startWorkerd(); const rest = new Rest(server.url, server.apiToken);
 */
export async function startWorkerd(options: WorkerdOptions = {}): Promise<WorkerdServer> {
  const script = await bundleWorker("adapters/cloudflare/worker.ts", REPOSIT_WORKER);
  const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), "reposit-workerd-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const reposit: WorkerOptions = {
    name: REPOSIT_WORKER,
    modules: true,
    scriptPath: script,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    durableObjects: { REPO_STORE: { className: "RepoStore", useSQLite: true } },
    bindings: {
      REPOSIT_API_TOKEN: TEST_API_TOKEN,
      REPOSIT_SIGNING_KEY: TEST_SIGNING_KEY,
      REPOSIT_PUBLIC_URL: url,
      ...options.vars,
    },
  };
  const config = {
    host: "127.0.0.1",
    port,
    durableObjectsPersist: join(persistDir, "do"),
    workers: [reposit, ...(options.extraWorkers ?? [])],
  };
  let miniflare: Miniflare | null = null;
  const start = async () => {
    miniflare = new Miniflare(config);
    await miniflare.ready;
  };
  const dispose = async () => {
    const running = miniflare;
    miniflare = null;
    await running?.dispose();
  };
  await start();
  // Never leave workerd behind when the test process exits without disposing.
  process.once("exit", () => void miniflare?.dispose());
  return {
    url,
    apiToken: TEST_API_TOKEN,
    persistDir,
    miniflare: () => {
      if (miniflare === null) throw new Error("Miniflare is not running");
      return miniflare;
    },
    dispose,
    async restart() {
      await dispose();
      await start();
    },
    cleanup: () => rmSync(persistDir, { recursive: true, force: true }),
  };
}
