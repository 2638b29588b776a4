/**
 * @module adapters/bun/main
 * The default server: Bun.serve + an SQLite file (bun:sqlite) in the data directory.
 * `bun adapters/bun/main.ts` (or `npm start`).
 */
import { createHandler } from "../../src/http/handler.ts";
import { bunPlatform } from "./platform.ts";
import { banner, handlerOptions, loadServerConfig } from "../shared/server-config.ts";
import { openBunSqliteStore } from "./sqlite-store.ts";
import { join } from "node:path";

const config = loadServerConfig(process.env);
const dbPath = join(config.dataDir, "reposit.sqlite");
const store = openBunSqliteStore(dbPath);
const handler = createHandler(handlerOptions(config, store, bunPlatform));

/**
 * Seconds a connection may go without traffic before Bun closes it (Bun allows 1..255; 0 turns the
 * timer off). Off, as this server used to run, every idle keep-alive connection and every
 * connection that never sent a request was kept forever, so one client could use up the process's
 * file descriptors. The timer runs while the server waits for the client: for a request to start
 * (Bun closes an idle keep-alive connection or a half-sent request head), for its body (a stalled
 * upload; note that Bun also closes an upload slower than about 16 KiB/s), and while a response
 * streams (clones send data continuously). It is paused from the moment a request has fully
 * arrived until its response is ready (`respond` below), because that wait is the server's own
 * work: a push is silent from its last byte until its report, while the pack is indexed, checked
 * and published (src/repo/receive-pack.ts sends nothing meanwhile, not even progress); that took
 * 5 s for a 45 MiB, 400,000-object push here, and grows with the pack.
 */
const IDLE_TIMEOUT_S = 120;

const server = Bun.serve({
  hostname: config.host,
  port: config.port,
  // Pushes are streamed and limited by Reposit itself (limits.maxPushBytes); Bun's 128 MB default would cut them.
  maxRequestBodySize: 4 * 1024 * 1024 * 1024,
  idleTimeout: IDLE_TIMEOUT_S,
  fetch: (request, server) => respond(request, server),
});

/**
 * `handler.fetch`, with the idle timer paused between the end of the request body (at once for a
 * request without one) and the response. A body the handler does not read to its end (a refusal)
 * never pauses the timer, so only requests that were accepted and fully sent can wait longer.
 */
async function respond(request: Request, bunServer: { timeout(request: Request, seconds: number): void }): Promise<Response> {
  let working = true;
  // Never after the answer: a body read to its end later must not leave the connection without a timeout.
  const pause = () => {
    if (working) bunServer.timeout(request, 0);
  };
  let forwarded = request;
  if (request.body === null) pause();
  else {
    const body = request.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: pause }));
    forwarded = new Request(request, { body, duplex: "half" } as RequestInit);
  }
  try {
    return await handler.fetch(forwarded);
  } finally {
    // For the response and the keep-alive wait after it (a per-request timeout outlives the request).
    working = false;
    bunServer.timeout(request, IDLE_TIMEOUT_S);
  }
}

const url = `http://${server.hostname}:${server.port}`;
console.log(banner("bun", url, config, `SQLite ${dbPath}`));

const shutdown = async () => {
  server.stop(true);
  await store.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
