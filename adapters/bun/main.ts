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

const server = Bun.serve({
  hostname: config.host,
  port: config.port,
  // Pushes are streamed and limited by Reposit itself (limits.maxPushBytes); Bun's 128 MB default would cut them.
  maxRequestBodySize: 4 * 1024 * 1024 * 1024,
  // Large clones and pushes can be quiet for a while (e.g. while a pack is indexed).
  idleTimeout: 0,
  fetch: (request) => handler.fetch(request),
});

const url = `http://${server.hostname}:${server.port}`;
console.log(banner("bun", url, config, `SQLite ${dbPath}`));

const shutdown = async () => {
  server.stop(true);
  await store.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
