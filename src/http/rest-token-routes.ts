/**
 * @module http/rest-token-routes
 * Token routes (spec §3.3 T1–T3): list a repository's tokens by state with offset paging, mint a
 * token, revoke one by id (idempotent).
 */
import type { IRequest, RouterType } from "itty-router";
import { ArtifactsError } from "../errors.ts";
import { checkTtl } from "../auth/repo-tokens.ts";
import type { AppContext } from "./app-context.ts";
import { envelope } from "./envelope.ts";
import { param, rest, REST_BASE } from "./rest-handler.ts";
import { CreateTokenBody, parseInput, queryObject, readJson, TokenListQuery } from "./rest-schemas.ts";

export function addTokenRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.get(`${REST_BASE}/namespaces/:ns/repos/:name/tokens`, rest(async (request, app) => {
    const q = parseInput(TokenListQuery, queryObject(request.query));
    const tokens = await app.reposit.listTokens(param(request, "ns"), param(request, "name"), q.state ?? "active");
    const perPage = q.per_page ?? 30;
    const page = q.page ?? 1;
    const slice = tokens.slice((page - 1) * perPage, page * perPage);
    const result = slice.map((t) => ({ id: t.id, scope: t.scope, state: t.state, created_at: t.createdAt, expires_at: t.expiresAt }));
    return envelope(result, 200, { page, per_page: perPage, total_pages: Math.ceil(tokens.length / perPage), count: result.length, total_count: tokens.length });
  }));

  router.post(`${REST_BASE}/namespaces/:ns/tokens`, rest(async (request, app) => {
    const body = parseInput(CreateTokenBody, await readJson(request as unknown as Request));
    const ttl = body.ttl ?? 86_400;
    checkTtl(ttl); // validated before the repository lookup, as the live service does
    const token = await app.reposit.createToken(param(request, "ns"), body.repo, body.scope ?? "write", ttl);
    return envelope({ id: token.id, plaintext: token.plaintext, scope: token.scope, expires_at: token.expiresAt }, 201);
  }));

  router.delete(`${REST_BASE}/namespaces/:ns/tokens/:id`, rest(async (request, app) => {
    const id = param(request, "id");
    if (!(await app.reposit.revokeTokenById(param(request, "ns"), id))) throw new ArtifactsError("NOT_FOUND", "Token not found");
    return envelope({ id });
  }));
}
