/**
 * @module http/rest-namespace-routes
 * Namespace routes (spec §3.3 N1–N4): create with a jurisdiction, get, list, delete when empty.
 */
import type { IRequest, RouterType } from "itty-router";
import { ArtifactsError } from "../errors.ts";
import { createNamespace, deleteNamespace, getNamespace, listNamespacePage, listNamespaces, type NamespaceInfo } from "../api/namespaces.ts";
import type { AppContext } from "./app-context.ts";
import { envelope } from "./envelope.ts";
import { param, rest, REST_BASE } from "./rest-handler.ts";
import { CreateNamespaceBody, NamespaceListQuery, parseInput, queryObject, readJson } from "./rest-schemas.ts";

const NAMESPACES = `${REST_BASE}/namespaces`;

function namespaceJson(n: NamespaceInfo) {
  return { namespace: n.namespace, jurisdiction: n.jurisdiction, repo_count: n.repoCount, created_at: n.createdAt, updated_at: n.updatedAt };
}

export function addNamespaceRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.post(NAMESPACES, rest(async (request, app) => {
    const body = parseInput(CreateNamespaceBody, await readJson(request as unknown as Request));
    return envelope(namespaceJson(await createNamespace(app.reposit, body.namespace, body.jurisdiction)), 201);
  }));

  router.get(NAMESPACES, rest(async (request, app) => {
    const q = parseInput(NamespaceListQuery, queryObject(request.query));
    // Like the repo list: `limit` or `cursor` walks with cursors (the documented style); otherwise
    // offset pages with a total, which is what Wrangler's paged-list helper sends and reads.
    if (q.limit === undefined && q.cursor === undefined) {
      const perPage = q.per_page ?? 50;
      const page = q.page ?? 1;
      const { namespaces, total } = await listNamespacePage(app.reposit, page, perPage);
      const info = { page, per_page: perPage, total_pages: Math.ceil(total / perPage), count: namespaces.length, total_count: total };
      return envelope(namespaces.map(namespaceJson), 200, info);
    }
    const limit = q.limit ?? 50;
    const page = await listNamespaces(app.reposit, limit, q.cursor);
    return envelope(page.namespaces.map(namespaceJson), 200, { cursor: page.cursor ?? null, per_page: limit, count: page.namespaces.length });
  }));

  router.get(`${NAMESPACES}/:ns`, rest(async (request, app) => envelope(namespaceJson(await getNamespace(app.reposit, param(request, "ns"))))));

  router.delete(`${NAMESPACES}/:ns`, rest(async (request, app) => {
    if (!(await deleteNamespace(app.reposit, param(request, "ns")))) throw new ArtifactsError("NOT_FOUND", "Namespace not found");
    return new Response(null, { status: 204 });
  }));
}
