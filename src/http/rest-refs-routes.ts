/**
 * @module http/rest-refs-routes
 * A Reposit extension to the Artifacts REST API (Artifacts has no refs route, spec §3.3):
 * `GET /client/v4/accounts/:account/artifacts/namespaces/:ns/repos/:name/refs` lists every ref of a
 * repository as `[{ name, id, peeled? }]` in the v4 envelope, in git's ref order (byte order of the
 * names), with `peeled` set for annotated tags to the object the tag chain ends at — the same data
 * and order as the upload-pack advertisement (gitprotocol-pack "Reference Discovery"). `HEAD` is not
 * listed: it is always the repository's `default_branch`. Read-only; control-plane token, like
 * every REST route.
 */
import type { IRequest, RouterType } from "itty-router";
import { ObjectPool } from "../repo/object-pool.ts";
import { readRefs } from "../repo/refs.ts";
import { advertisedRefs } from "../repo/advertisement.ts";
import type { AppContext } from "./app-context.ts";
import { envelope } from "./envelope.ts";
import { param, rest, REST_BASE } from "./rest-handler.ts";

/** One ref as the route returns it. */
export interface RefJson {
  name: string;
  id: string;
  peeled?: string;
}

/**
 * Registers `GET .../repos/:name/refs` on `router`.
 * @example addRefsRoutes(router); // next to addContentRoutes(router) in src/http/handler.ts
 */
export function addRefsRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.get(`${REST_BASE}/namespaces/:ns/repos/:name/refs`, rest(async (request, app) => {
    const record = await app.reposit.getRepo(param(request, "ns"), param(request, "name"));
    const ctx = app.reposit.repoContext(record);
    const [pool, snapshot] = await Promise.all([ObjectPool.open(ctx.env, ctx.poolId), readRefs(ctx.env.store, ctx.repoId)]);
    const refs: RefJson[] = advertisedRefs(pool, snapshot.refs).map((r) => (r.peeled ? { name: r.name, id: r.id, peeled: r.peeled } : { name: r.name, id: r.id }));
    return envelope(refs);
  }));
}
