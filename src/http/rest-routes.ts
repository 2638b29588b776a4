/**
 * @module http/rest-routes
 * Repository routes of the Artifacts REST control plane (spec/artifacts-api.md §3.3 R1–R6) at
 * `/client/v4/accounts/:account_id/artifacts/namespaces/:ns/repos...`, answering in the v4 envelope.
 */
import type { IRequest, RouterType } from "itty-router";
import type { RepoRecord } from "../api/records.ts";
import { ArtifactsError } from "../errors.ts";
import { forkRepo } from "../api/fork.ts";
import { listRepos } from "../api/repo-list.ts";
import { listRepoRecords } from "../api/records.ts";
import { remoteUrl, type AppContext } from "./app-context.ts";
import { envelope } from "./envelope.ts";
import { param, rest, REST_BASE } from "./rest-handler.ts";
import { CreateRepoBody, ForkBody, ImportBody, parseInput, queryObject, readJson, RepoListQuery } from "./rest-schemas.ts";
import { importRepo } from "../api/import-repo.ts";
import type { IssuedToken } from "../auth/repo-tokens.ts";

const REPOS = `${REST_BASE}/namespaces/:ns/repos`;

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

/** The REST shape of create, fork and import results (spec §3.2 CreateRepoResult). */
export function createdJson(app: AppContext, request: Request, r: RepoRecord, token: IssuedToken) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    default_branch: r.defaultBranch,
    remote: remoteUrl(app, request, r.namespace, r.name),
    token: token.plaintext,
    expires_at: token.expiresAt,
  };
}

const req = (request: IRequest) => request as unknown as Request;

export function addRestRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.post(REPOS, rest(async (request, app) => {
    const ns = param(request, "ns");
    const body = parseInput(CreateRepoBody, await readJson(req(request)));
    const { record, token } = await app.reposit.createRepo(ns, body.name, {
      description: body.description ?? null,
      ...(body.default_branch !== undefined ? { defaultBranch: body.default_branch } : {}),
      readOnly: body.read_only ?? false,
    });
    return envelope(createdJson(app, req(request), record, token), 201);
  }));

  router.get(REPOS, rest(async (request, app) => {
    const q = parseInput(RepoListQuery, queryObject(request.query));
    // A cursor alone continues a cursor walk at the default page size: answering it with offset
    // page 1 (the style without `limit`) would send a client that keeps only the cursor round forever.
    const limit = q.limit ?? (q.cursor !== undefined ? 50 : undefined);
    const records = await listRepoRecords(app.reposit.store, param(request, "ns"));
    const page = await listRepos(
      records,
      {
        sort: q.sort ?? "created_at",
        direction: q.direction ?? "desc",
        ...(q.search !== undefined ? { search: q.search } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        ...(q.page !== undefined ? { page: q.page } : {}),
        ...(q.per_page !== undefined ? { perPage: q.per_page } : {}),
      },
      app.reposit.cursors,
    );
    const repos = page.repos.map((r) => ({ ...repoJson(app, req(request), r), status: r.status }));
    const info = limit === undefined
      ? { page: page.page, per_page: page.perPage, total_pages: page.totalPages, count: repos.length, total_count: page.total }
      : { cursor: page.cursor ?? null, per_page: page.perPage, count: repos.length, total_count: page.total };
    return envelope(repos, 200, info);
  }));

  router.get(`${REPOS}/:name`, rest(async (request, app) => {
    const record = await app.reposit.getRepo(param(request, "ns"), param(request, "name"));
    return envelope({ ...repoJson(app, req(request), record), size_bytes: await app.reposit.repoSize(record) });
  }));

  router.delete(`${REPOS}/:name`, rest(async (request, app) => {
    const ns = param(request, "ns");
    const name = param(request, "name");
    const deleted = await app.reposit.deleteRepo(ns, name);
    if (deleted) return envelope(deleted, 202);
    const id = await app.reposit.recentlyDeleted(ns, name);
    if (id === null) throw new ArtifactsError("NOT_FOUND", "Repository not found");
    return envelope({ id }, 202);
  }));

  router.post(`${REPOS}/:name/import`, rest(async (request, app) => {
    const body = parseInput(ImportBody, await readJson(req(request)));
    const { record, token } = await importRepo(
      app.reposit,
      param(request, "ns"),
      param(request, "name"),
      { url: body.url, ...(body.branch !== undefined ? { branch: body.branch } : {}), ...(body.depth !== undefined ? { depth: body.depth } : {}) },
      { description: body.description ?? null, readOnly: body.read_only ?? false },
    );
    return envelope(createdJson(app, req(request), record, token), 201);
  }));

  // Reposit extension: run garbage collection and compaction of the repository's pool now.
  router.post(`${REPOS}/:name/maintenance`, rest(async (request, app) => {
    const record = await app.reposit.getRepo(param(request, "ns"), param(request, "name"));
    const report = await app.reposit.maintain(record);
    return envelope({
      packs_before: report.packsBefore,
      packs_after: report.packsAfter,
      objects_before: report.objectsBefore,
      objects_kept: report.objectsKept,
      bytes_before: report.bytesBefore,
      bytes_after: report.bytesAfter,
      new_deltas: report.newDeltas,
      blobs_deleted: report.blobsDeleted,
      ...(report.skipped ? { skipped: report.skipped } : {}),
    });
  }));

  router.post(`${REPOS}/:name/fork`, rest(async (request, app) => {
    const body = parseInput(ForkBody, await readJson(req(request)));
    const fork = await forkRepo(app.reposit, param(request, "ns"), param(request, "name"), {
      name: body.name,
      description: body.description ?? null,
      readOnly: body.read_only ?? false,
      // REST default: every ref (GitHub's and the live service's behaviour); the binding defaults to true.
      defaultBranchOnly: body.default_branch_only ?? false,
    });
    return envelope({ ...createdJson(app, req(request), fork.record, fork.token), objects: fork.objects }, 201);
  }));
}
