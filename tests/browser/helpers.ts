/**
 * Shared pieces of the browser tests (run by Node only): bundling a page with esbuild into .cache/,
 * tiny static page servers on 127.0.0.1 (each its own origin), launching the system Chromium with
 * playwright-core (never a downloaded browser), and where screenshots go.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "../helpers/server.ts";

export const RESULTS_DIR = join(ROOT, ".cache/test-results");
const BUNDLE_DIR = join(ROOT, ".cache/browser");

/** Bundles `entry` (a page script) for the browser and returns the JavaScript. */
export async function bundlePage(entry: string, name: string): Promise<string> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const outfile = join(BUNDLE_DIR, `${name}.js`);
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    inject: [join(ROOT, "tests/browser/page/buffer-shim.ts")],
    outfile,
    logLevel: "error",
  });
  return readFileSync(outfile, "utf8");
}

export interface StaticServer {
  /** e.g. "http://127.0.0.1:41234" (also the page's origin). */
  readonly origin: string;
  /** Paths requested so far. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `files` (path → [content type, body]) on a free 127.0.0.1 port. */
export async function startStatic(files: Record<string, [string, string]>): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    requests.push(path);
    const file = files[path];
    if (!file) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    response.writeHead(200, { "Content-Type": file[0], "Cache-Control": "no-store" }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The Debian Chromium, headless, with its profile folders kept inside .cache/. */
export function launchChromium(): Promise<Browser> {
  process.env["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1";
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    env: { ...process.env, XDG_CONFIG_HOME: join(ROOT, ".cache/xdg"), XDG_CACHE_HOME: join(ROOT, ".cache/xdgc") } as Record<string, string>,
  });
}

/** Saves a full-page screenshot as .cache/test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: true });
}

/** Names of the Access-Control-* headers of `response`, sorted. */
export function corsHeaderNames(response: Response): string[] {
  return [...response.headers.keys()].filter((k) => k.startsWith("access-control-")).sort();
}
