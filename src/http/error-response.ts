/**
 * @module http/error-response
 * The one place errors become HTTP responses. REST gets Cloudflare's v4 envelope
 * (`{ result: null, success: false, errors: [{ code, message, documentation_url, source }], messages: [] }`);
 * git endpoints get a status and a short text/plain body, which git prints after "remote:".
 * Unknown errors are logged and answered without detail.
 */
import { ArtifactsError, AuthError, LimitError, ProtocolError, ReposError, StorageError } from "../errors.ts";
import type { Logger } from "./app-context.ts";
import { BusyError } from "../repo/write-lease.ts";

const DOCS = "https://developers.cloudflare.com/artifacts/api/errors";

const ARTIFACTS_STATUS: Record<string, number> = {
  INVALID_INPUT: 400,
  INVALID_REPO_NAME: 400,
  INVALID_TTL: 400,
  INVALID_URL: 400,
  REMOTE_AUTH_REQUIRED: 422,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CREATE_IN_PROGRESS: 409,
  IMPORT_IN_PROGRESS: 409,
  FORK_IN_PROGRESS: 409,
  INTERNAL_ERROR: 500,
  UPSTREAM_UNAVAILABLE: 502,
  MEMORY_LIMIT: 413,
  RATE_LIMITED: 429,
  UNAUTHORIZED: 401,
};

/** Git endpoints: status first, text body git shows the user. */
export function gitErrorResponse(error: unknown, log: Logger): Response {
  if (error instanceof AuthError) {
    if (error.code === "ERR_AUTH_REQUIRED") {
      return text(401, error.message, { "WWW-Authenticate": 'Basic realm="artifacts"' });
    }
    return text(403, error.message);
  }
  if (error instanceof ArtifactsError) {
    const status = ARTIFACTS_STATUS[error.code] ?? 500;
    const headers: Record<string, string> = status === 409 || status === 429 ? { "Retry-After": "1" } : {};
    return text(status, error.message, headers);
  }
  if (error instanceof LimitError) return text(413, error.message);
  if (error instanceof ProtocolError) return text(400, error.message);
  if (error instanceof BusyError) return text(503, error.message, { "Retry-After": "5" });
  if (error instanceof StorageError) {
    log("error", "storage failure on a git request", { error: describe(error) });
    return text(503, "Storage is temporarily unavailable", { "Retry-After": "1" });
  }
  log("error", "unexpected failure on a git request", { error: describe(error) });
  return text(500, "Internal server error");
}

/** REST: the v4 envelope with Artifacts codes. */
export function restErrorResponse(error: unknown, log: Logger): Response {
  let failure: ArtifactsError;
  if (error instanceof ArtifactsError) failure = error;
  else if (error instanceof LimitError) failure = new ArtifactsError("MEMORY_LIMIT", error.message);
  else if (error instanceof ReposError && error.code.startsWith("ERR_AUTH")) failure = new ArtifactsError("UNAUTHORIZED", error.message);
  else {
    log("error", "unexpected failure on a REST request", { error: describe(error) });
    failure = new ArtifactsError("INTERNAL_ERROR", "An internal error occurred.");
  }
  const status = ARTIFACTS_STATUS[failure.code] ?? 500;
  const body = {
    result: null,
    success: false,
    errors: [
      {
        code: failure.numericCode,
        message: failure.message,
        documentation_url: `${DOCS}#${failure.numericCode}`,
        ...(failure.source ? { source: failure.source } : {}),
      },
    ],
    messages: [],
  };
  const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8" };
  if (status === 409 && failure.code.endsWith("_IN_PROGRESS")) headers["Retry-After"] = "1";
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="reposit"';
  return new Response(JSON.stringify(body), { status, headers });
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body.endsWith("\n") ? body : body + "\n", {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
  });
}

/** Error details for logs: name, code and message, never request data or secrets. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code ? ` ${String(code)}` : ""}: ${error.message}${error.stack ? `\n${error.stack}` : ""}`;
  }
  return String(error);
}

/** 429 for a request over its rate limit: the v4 envelope on REST, text on git routes. */
export function rateLimited(request: Request, retryAfterSeconds: number): Response {
  const headers = { "Retry-After": String(retryAfterSeconds) };
  if (new URL(request.url).pathname.includes("/client/v4/")) {
    const error = new ArtifactsError("RATE_LIMITED", `Too many requests: retry in ${retryAfterSeconds} s`);
    const response = restErrorResponse(error, () => {});
    response.headers.set("Retry-After", String(retryAfterSeconds));
    return response;
  }
  return text(429, `Too many requests: retry in ${retryAfterSeconds} s`, headers);
}
