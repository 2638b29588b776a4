/**
 * @module adapters/node/main
 * The Node server: node:http (through the streaming bridge in ./serve.ts) + an SQLite file in the
 * data directory (node:sqlite where the runtime has it, better-sqlite3 on Node 20: ./open-store.ts).
 * `node --import tsx adapters/node/main.ts`. Configuration as for every entry point
 * (adapters/shared/server-config.ts).
 */
import { join } from "node:path";
import { createHandler } from "../../src/http/handler.ts";
import { nodePlatform } from "../shared/node-platform.ts";
import { banner, handlerOptions, loadServerConfig } from "../shared/server-config.ts";
import { serveFetch } from "./serve.ts";
import { openSqliteStore } from "./open-store.ts";

const config = loadServerConfig(process.env);
const dbPath = join(config.dataDir, "reposit.sqlite");
const { store, driver } = await openSqliteStore(dbPath);
const handler = createHandler(handlerOptions(config, store, nodePlatform));

const server = await serveFetch(handler, { host: config.host, port: config.port });
console.log(banner("node", server.url, config, `SQLite ${dbPath} via ${driver}`));

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  // Like Bun's stop(true): in-flight requests are cut off; a push cut off publishes nothing.
  await server.close({ force: true });
  await store.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
