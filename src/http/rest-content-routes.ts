/**
 * @module http/rest-content-routes
 * The Artifacts REST content reads (spec/artifacts-api.md §3.3 C1–C6) under
 * `/client/v4/accounts/:account/artifacts/namespaces/:ns/repos/:name/`: `log`, `commit/:hash`,
 * `tree/:hash` (JSON in the v4 envelope) and `blob/:hash`, `file`, `raw/:ref/:path+` (raw bytes on
 * success, the envelope on error). All of them read through src/api/content.ts, as the binding does.
 * Fixed against live: `raw` resolves refs containing "/" (longest prefix holding the path wins) and `tree/:hash` on a
 * non-tree is 404 "Tree not found" rather than 500 (spec §9 items 8 and 9).
 */
import type { IRequest, RouterType } from "itty-router";
import { assertHash, RepoContent } from "../api/content.ts";
import { ArtifactsError } from "../errors.ts";
import { quoteValue } from "../util/bytes.ts";
import type { AppContext } from "./app-context.ts";
import { envelope } from "./envelope.ts";
import { param, rest, REST_BASE } from "./rest-handler.ts";

const REPO = `${REST_BASE}/namespaces/:ns/repos/:name`;

const OCTET_STREAM = "application/octet-stream";
const TEXT_PLAIN = "text/plain; charset=utf-8";

/**
 * Registers C1–C6 on `router`.
 * @example addContentRoutes(router); // next to addRestRoutes(router) in src/http/handler.ts
 */
export function addContentRoutes(router: RouterType<IRequest, [AppContext]>): void {
  router.get(`${REPO}/log`, rest(async (request, app) => {
    const query = new URL(request.url).searchParams;
    const limit = queryInteger(query, "limit");
    const offset = queryInteger(query, "offset");
    const ref = query.get("ref");
    const content = await openContent(request, app);
    return envelope(await content.log({
      ...(ref !== null ? { ref } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(offset !== undefined ? { offset } : {}),
    }));
  }));

  router.get(`${REPO}/commit/:hash`, rest(async (request, app) => {
    const commit = await (await openContent(request, app)).readCommit(hashParam(request));
    if (commit === null) throw new ArtifactsError("NOT_FOUND", "Commit not found");
    return envelope(commit);
  }));

  router.get(`${REPO}/tree/:hash`, rest(async (request, app) => {
    const entries = await (await openContent(request, app)).readTree(hashParam(request));
    if (entries === null) throw new ArtifactsError("NOT_FOUND", "Tree not found");
    return envelope(entries);
  }));

  router.get(`${REPO}/blob/:hash`, rest(async (request, app) => {
    const bytes = await (await openContent(request, app)).readBlob(hashParam(request));
    if (bytes === null) throw new ArtifactsError("NOT_FOUND", "Blob not found");
    return bytesResponse(bytes, OCTET_STREAM);
  }));

  router.get(`${REPO}/file`, rest(async (request, app) => {
    const query = new URL(request.url).searchParams;
    const path = query.get("path");
    if (path === null || path === "") {
      throw new ArtifactsError("INVALID_INPUT", "Invalid path: expected a non-empty file path in the \"path\" query parameter", { pointer: "/path" });
    }
    const file = await (await openContent(request, app)).readFile(query.get("ref") ?? "HEAD", path);
    if (file === null) throw new ArtifactsError("NOT_FOUND", "File not found");
    return bytesResponse(file.bytes, OCTET_STREAM);
  }));

  router.get(`${REPO}/raw/:ref/:path+`, rest(async (request, app) => {
    const file = await (await openContent(request, app)).readRawFile(`${param(request, "ref")}/${param(request, "path")}`);
    if (file === null) throw new ArtifactsError("NOT_FOUND", "File not found");
    return bytesResponse(file.bytes, file.textual ? TEXT_PLAIN : OCTET_STREAM);
  }));
}

async function openContent(request: IRequest, app: AppContext): Promise<RepoContent> {
  const record = await app.reposit.getRepo(param(request, "ns"), param(request, "name"));
  return RepoContent.open(app.reposit, record);
}

/** The `:hash` parameter; 400 with the live REST text "Invalid SHA-1 hash" (pointer /hash) unless 40 lowercase hex digits. */
function hashParam(request: IRequest): string {
  const hash = param(request, "hash");
  assertHash(hash, "Invalid SHA-1 hash");
  return hash;
}

/** An optional integer query parameter; INVALID_INPUT (pointer `/<name>`) when present but not a decimal integer. */
function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^-?[0-9]+$/.test(value)) {
    throw new ArtifactsError("INVALID_INPUT", `Invalid ${name} ${quoteValue(value)}: expected an integer`, { pointer: `/${name}` });
  }
  return Number(value);
}

/**
 * 200 with `bytes` as the body and its Content-Length. The bytes are handed over whole rather than
 * as a ReadableStream: Bun drops a Content-Length set on a streamed body and answers chunked, and
 * Workers do the same without a FixedLengthStream, while a buffer body gets the length everywhere.
 * Streaming would save nothing here: the object is already whole in memory (at most
 * limits.maxObjectBytes). The Fetch standard copies a buffer body when the Response is built, so
 * the object cache the bytes come from is not handed to the runtime to write into.
 */
function bytesResponse(bytes: Uint8Array, contentType: string): Response {
  return new Response(bytes as BodyInit, {
    status: 200,
    headers: {
      "Content-Type": contentType,
      "Content-Length": String(bytes.length),
      // Stored content is user data: never let a browser sniff it into HTML.
      "X-Content-Type-Options": "nosniff",
    },
  });
}
