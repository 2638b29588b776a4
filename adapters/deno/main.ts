/**
 * @module adapters/deno/main
 * The Deno server: Deno.serve + Deno KV. Locally the KV database is the file `<data>/reposit.kv`
 * (`deno task start`); on Deno Deploy (DENO_DEPLOYMENT_ID is set) it is the project's own database
 * (`Deno.openKv()` without a path) and, with no disk to keep generated secrets on, REPOSIT_API_TOKEN
 * and REPOSIT_SIGNING_KEY must be set. Configuration as for every entry point
 * (adapters/shared/server-config.ts).
 */
import { join } from "node:path";
import { createHandler } from "../../src/http/handler.ts";
import { nodePlatform } from "../shared/node-platform.ts";
import { banner, handlerOptions, loadEnvironmentConfig, loadServerConfig } from "../shared/server-config.ts";
import { openDenoKvStore } from "./kv-store.ts";

const env = Deno.env.toObject();
const onDeploy = Boolean(env["DENO_DEPLOYMENT_ID"]);
const config = onDeploy ? loadEnvironmentConfig(env) : loadServerConfig(env);
const kvPath = onDeploy ? undefined : join(config.dataDir, "reposit.kv");
const store = await openDenoKvStore(kvPath);
const handler = createHandler(handlerOptions(config, store, nodePlatform));

// Connection timeouts: Deno.serve (Deno 2.9) has no idle, header-read or keep-alive timeout and no
// option to set one, so a connection that never sends a request, sends half a request head, or
// idles between keep-alive requests is kept until the client closes it (measured: all still open
// after 200 s). The Bun and Node servers close such connections (120 s idle; see
// adapters/bun/main.ts, adapters/node/serve.ts). On Deno Deploy the platform's front end owns the
// client connections; anywhere else exposed to untrusted clients, run this server behind a
// reverse proxy that enforces timeouts, or use the Bun or Node server.
const server = Deno.serve(
  {
    // Deno Deploy chooses the address itself.
    ...(onDeploy ? {} : { hostname: config.host, port: config.port }),
    onListen({ hostname, port }) {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      const url = `http://${host}:${port}`;
      // On Deploy the token came from the project's settings: keep it out of the logs.
      console.log(onDeploy ? `Reposit (deno) listening on ${url}\n  data:      Deno KV (Deno Deploy)` : banner("deno", url, config, `Deno KV ${kvPath}`));
    },
  },
  (request) => handler.fetch(request),
);

/** How long a shutdown waits for in-flight requests (Deno.serve has no forced stop). */
const SHUTDOWN_GRACE_MS = 2_000;

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]);
  await store.close();
  Deno.exit(0);
};
// Deno Deploy stops isolates itself and its KV needs no closing; locally close the file cleanly.
if (!onDeploy) {
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}
