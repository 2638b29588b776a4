/**
 * @module http/rest-routes
 * The Artifacts REST control plane at `/client/v4/accounts/:account_id/artifacts/...`
 * (spec/artifacts-api.md §3.3), answering in the v4 envelope.
 */
import type { IRequest, RouterType } from "itty-router";
import type { RepoRecord } from "../api/records.ts";
import { ArtifactsError } from "../errors.ts";
import { remoteUrl, type AppContext } from "./app-context.ts";
import { envelope } from "./envelope.ts";
import { param, rest, REST_BASE } from "./rest-handler.ts";
import { CreateRepoBody, CreateTokenBody, parseInput, readJson } from "./rest-schemas.ts";

const BASE = REST_BASE;

/** The REST shape of a repository (snake_case; spec §3.2 RepoWithRemote). */
export function repoJson(app: AppContext, request: Request, r: RepoRecord) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    default_branch: r.defaultBranch,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    last_push_at: r.lastPushAt,
    source: r.source,
    read_only: r.readOnly,
    remote: remoteUrl(app, request, r.namespace, r.name),
  };
}

export function addRestRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.post(`${BASE}/namespaces/:ns/repos`, rest(async (request, app) => {
    const ns = param(request, "ns");
    const body = parseInput(CreateRepoBody, await readJson(request as unknown as Request));
    const { record, token } = await app.reposit.createRepo(ns, body.name, {
      description: body.description ?? null,
      ...(body.default_branch !== undefined ? { defaultBranch: body.default_branch } : {}),
      readOnly: body.read_only ?? false,
    });
    return envelope(
      {
        id: record.id,
        name: record.name,
        description: record.description,
        default_branch: record.defaultBranch,
        remote: remoteUrl(app, request as unknown as Request, record.namespace, record.name),
        token: token.plaintext,
        expires_at: token.expiresAt,
      },
      201,
    );
  }));

  router.get(`${BASE}/namespaces/:ns/repos/:name`, rest(async (request, app) => {
    const record = await app.reposit.getRepo(param(request, "ns"), param(request, "name"));
    return envelope(repoJson(app, request as unknown as Request, record));
  }));

  router.delete(`${BASE}/namespaces/:ns/repos/:name`, rest(async (request, app) => {
    const deleted = await app.reposit.deleteRepo(param(request, "ns"), param(request, "name"));
    if (!deleted) throw new ArtifactsError("NOT_FOUND", "Repository not found");
    return envelope(deleted, 202);
  }));

  router.post(`${BASE}/namespaces/:ns/tokens`, rest(async (request, app) => {
    const body = parseInput(CreateTokenBody, await readJson(request as unknown as Request));
    const token = await app.reposit.createToken(param(request, "ns"), body.repo, body.scope ?? "write", body.ttl ?? 86_400);
    return envelope({ id: token.id, plaintext: token.plaintext, scope: token.scope, expires_at: token.expiresAt }, 201);
  }));
}
