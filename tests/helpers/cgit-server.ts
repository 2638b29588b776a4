/**
 * C git's smart HTTP server for tests: `git http-backend` as a CGI behind lighttpd on 127.0.0.1,
 * serving every bare repository under `reposDir` at `<url>/<name>.git`. Protocol v2 works (lighttpd
 * passes the Git-Protocol header to the CGI as HTTP_GIT_PROTOCOL, which http-backend forwards).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CGitServer {
  /** Base URL; a repository `<reposDir>/x.git` is at `${url}/x.git`. */
  readonly url: string;
  /** `127.0.0.1:<port>`, for allow lists. */
  readonly host: string;
  /** lighttpd's error log so far (for debugging failures). */
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts lighttpd serving the bare repositories under `reposDir`. */
export async function startCGitServer(reposDir: string): Promise<CGitServer> {
  const dir = mkdtempSync(join(tmpdir(), "reposit-cgit-"));
  const port = await freePort();
  const conf = join(dir, "lighttpd.conf");
  writeFileSync(
    conf,
    [
      `server.document-root = "${dir}"`,
      `server.port = ${port}`,
      `server.bind = "127.0.0.1"`,
      `server.modules = ("mod_alias", "mod_cgi", "mod_setenv")`,
      `server.errorlog = "${join(dir, "error.log")}"`,
      `alias.url = ( "/git" => "/usr/lib/git-core/git-http-backend" )`,
      `$HTTP["url"] =~ "^/git" {`,
      `  cgi.assign = ( "" => "" )`,
      `  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "${reposDir}", "GIT_HTTP_EXPORT_ALL" => "1" )`,
      `}`,
      "",
    ].join("\n"),
  );
  const child = spawn("lighttpd", ["-D", "-f", conf], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const errorLog = () => {
    try {
      return readFileSync(join(dir, "error.log"), "utf8");
    } catch {
      return "";
    }
  };
  try {
    await waitForPort(port, () => child.exitCode !== null, 10_000);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`lighttpd did not start: ${(error as Error).message}\n${output}\n${errorLog()}`);
  }
  return {
    url: `http://127.0.0.1:${port}/git`,
    host: `127.0.0.1:${port}`,
    errorLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port the OS reports free (bind port 0, read it, release it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, died: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (died()) throw new Error("lighttpd exited");
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() - start > timeoutMs) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
