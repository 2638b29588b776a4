/**
 * @module http/git-routes
 * Git smart HTTP (gitprotocol-http): `GET <repo>.git/info/refs?service=...`,
 * `POST <repo>.git/git-upload-pack`, `POST <repo>.git/git-receive-pack`, at
 * `/git/<namespace>/<repo>.git`. Each request: authorize (401/403) and find the repository (404 for
 * holders of a genuine token only), count it against the repository's rate limit (its own budget for requests that did not
 * authenticate), then hand the decoded body to src/repo. Status and headers are decided before the
 * body streams.
 */
import type { IRequest, RouterType } from "itty-router";
import { readCredential } from "../auth/credentials.ts";
import { authorizeGit } from "../auth/policy.ts";
import { ArtifactsError, AuthError, ProtocolError } from "../errors.ts";
import type { RepoRecord } from "../api/records.ts";
import { advertise } from "../repo/advertisement.ts";
import { uploadPackV0 } from "../repo/upload-pack-v0.ts";
import { uploadPackV2 } from "../repo/upload-pack-v2.ts";
import { receivePack } from "../repo/receive-pack.ts";
import { withWriteLease } from "../repo/write-lease.ts";
import { requestBody } from "./body.ts";
import { gitErrorResponse } from "./error-response.ts";
import type { AppContext } from "./app-context.ts";

type Service = "git-upload-pack" | "git-receive-pack";

const NO_CACHE = {
  "Cache-Control": "no-cache, max-age=0, must-revalidate",
  Pragma: "no-cache",
  Expires: "Fri, 01 Jan 1980 00:00:00 GMT",
};

/** Registers the git routes on `router`. */
export function addGitRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.get("/git/:ns/:repo/info/refs", (request, app) => guard(app, () => infoRefs(request, app)));
  router.post("/git/:ns/:repo/git-upload-pack", (request, app) => guard(app, () => rpc(request, app, "git-upload-pack")));
  router.post("/git/:ns/:repo/git-receive-pack", (request, app) => guard(app, () => rpc(request, app, "git-receive-pack")));
}

async function guard(app: AppContext, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    return gitErrorResponse(error, app.log);
  }
}

/** Splits the route params into namespace and repository name ("x.git" → "x"). */
function target(request: IRequest): { ns: string; name: string } {
  const ns = decodeParam(request.params["ns"]!);
  let name = decodeParam(request.params["repo"]!);
  if (name.endsWith(".git")) name = name.slice(0, -4);
  return { ns, name };
}

/** A percent-decoded path segment; bad percent-encoding is a 400 (as on the REST routes), never a 500. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ArtifactsError("INVALID_INPUT", `Invalid percent-encoding in the URL: "${raw.slice(0, 80)}"`);
  }
}

/**
 * Finds the repository and checks the credentials for `service`, counting the request against the
 * repository's rate limit: in its budget once authorized, in its anonymous budget when refused (so
 * refused requests never use up the budget of the repository's users).
 *
 * Which repositories exist is told only to holders of a genuine token of this server: without
 * credentials every repository path gets the 401 challenge (before any lookup), and a missing
 * repository is 404 for a correctly signed, unexpired token (any repository's) but 403 "Invalid or
 * expired token" for anything else, as for an existing one.
 */
async function authorize(request: IRequest, app: AppContext, service: Service): Promise<RepoRecord> {
  const limiter = app.limiter;
  const req = request as unknown as Request;
  // A malformed URL or Authorization header is counted (as anonymous) by the handler after routing.
  const { ns, name } = target(request);
  const credential = readCredential(req);
  if (credential === null) {
    // Over the anonymous budget too, a request without credentials gets its challenge, not a 429:
    // git sends credentials only after a 401, so a 429 here would lock out every user whose git
    // waits for the challenge (credential helpers, tokens in the URL).
    limiter?.take(req, false);
    throw new AuthError("ERR_AUTH_REQUIRED", "Authentication required");
  }
  let record: RepoRecord;
  try {
    record = await findRepo(app, ns, name, credential.secret);
    await authorizeGit({
      credential,
      tokens: app.reposit.tokens,
      repo: record,
      action: service === "git-receive-pack" ? "write" : "read",
    });
  } catch (error) {
    limiter?.enforce(req, false);
    throw error;
  }
  limiter?.enforce(req, true);
  return record;
}

/** The repository; NOT_FOUND only when `secret` is a genuine token, else the invalid-token refusal. */
async function findRepo(app: AppContext, ns: string, name: string, secret: string): Promise<RepoRecord> {
  try {
    return await app.reposit.getRepo(ns, name);
  } catch (error) {
    if (error instanceof ArtifactsError && error.code === "NOT_FOUND" && !(await app.reposit.tokens.isGenuine(secret))) {
      throw new AuthError("ERR_AUTH_INVALID", "Invalid or expired token");
    }
    throw error;
  }
}

function wantsV2(request: IRequest): boolean {
  const header = request.headers.get("git-protocol") ?? "";
  return header.split(":").some((kv) => kv.trim() === "version=2");
}

async function infoRefs(request: IRequest, app: AppContext): Promise<Response> {
  const service = new URL(request.url).searchParams.get("service");
  if (service !== "git-upload-pack" && service !== "git-receive-pack") {
    // Dumb HTTP is not offered: only smart clients (all current ones) are served.
    throw new ProtocolError("ERR_REQUEST", `Unsupported service "${service ?? ""}": expected git-upload-pack or git-receive-pack`);
  }
  const record = await authorize(request, app, service);
  const body = await advertise(app.reposit.repoContext(record), service, wantsV2(request));
  return new Response(body as BodyInit, { status: 200, headers: { "Content-Type": `application/x-${service}-advertisement`, ...NO_CACHE } });
}

async function rpc(request: IRequest, app: AppContext, service: Service): Promise<Response> {
  const contentType = request.headers.get("content-type");
  if (contentType !== null && contentType !== `application/x-${service}-request`) {
    throw new ProtocolError("ERR_REQUEST", `Unsupported Content-Type "${contentType}": expected application/x-${service}-request`);
  }
  const record = await authorize(request, app, service);
  const ctx = app.reposit.repoContext(record);
  const limits = ctx.env.limits;
  const onError = (error: unknown) => app.log("error", `${service} failed`, { repo: record.id, error: String(error) });
  let body: ReadableStream<Uint8Array>;
  if (service === "git-upload-pack") {
    const input = requestBody(request as unknown as Request, limits.maxNegotiationBytes, "maxNegotiationBytes");
    body = wantsV2(request) ? await uploadPackV2(ctx, input, onError) : await uploadPackV0(ctx, input, onError);
  } else {
    const input = requestBody(request as unknown as Request, limits.maxPushBytes, "maxPushBytes");
    // One writer per repository: a concurrent push waits here (or gets a retryable 503).
    body = await withWriteLease(ctx.env.store, [record.id], () =>
      receivePack(ctx, input, {
        onError,
        onPushed: async (event) => {
          await app.reposit.recordPush(record.namespace, record.name, event);
          app.reposit.maintainSoon(record, event.packs);
        },
      }));
  }
  return new Response(body, { status: 200, headers: { "Content-Type": `application/x-${service}-result`, ...NO_CACHE } });
}
