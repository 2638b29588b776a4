/**
 * @module adapters/node/main
 * The Node server: node:http (through the streaming bridge in ./serve.ts) + an SQLite file
 * (better-sqlite3; Node 20 has no node:sqlite) in the data directory.
 * `node --import tsx adapters/node/main.ts`. Configuration as for every entry point
 * (adapters/shared/server-config.ts).
 */
import { join } from "node:path";
import { createHandler } from "../../src/http/handler.ts";
import { nodePlatform } from "../shared/node-platform.ts";
import { banner, handlerOptions, loadServerConfig } from "../shared/server-config.ts";
import { serveFetch } from "./serve.ts";
import { openNodeSqliteStore } from "./sqlite-store.ts";

const config = loadServerConfig(process.env);
const dbPath = join(config.dataDir, "reposit.sqlite");
const store = openNodeSqliteStore(dbPath);
const handler = createHandler(handlerOptions(config, store, nodePlatform));

const server = await serveFetch(handler, { host: config.host, port: config.port });
console.log(banner("node", server.url, config, `SQLite ${dbPath}`));

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
