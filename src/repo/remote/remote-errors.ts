/**
 * @module repo/remote/remote-errors
 * The Artifacts errors an import reports (spec artifacts-api §6.1 "Errors", §3.5 codes): the remote
 * client decides the code where the cause is known (HTTP status, URL shape), and `toImportError`
 * maps what the pack indexer throws (a LimitError is a pack too big to import, a ProtocolError a
 * remote that sent something that is not git). Fixed public messages match Artifacts'; the detail
 * of an upstream failure goes into `cause`, never into the message.
 */
import { ArtifactsError, LimitError, ProtocolError } from "../../errors.ts";

/** Artifacts' message for a URL that is not a git remote. */
export const INVALID_URL_MESSAGE = "url must be an HTTPS git remote URL (e.g. https://github.com/owner/repo)";

/** Artifacts' message for a remote that failed, timed out or answered with something that is not git. */
export const UPSTREAM_MESSAGE = "The upstream service is unavailable. Please retry.";

/** INVALID_URL with Artifacts' message, pointing at `/url`. */
export function invalidUrl(cause?: unknown): ArtifactsError {
  return new ArtifactsError("INVALID_URL", INVALID_URL_MESSAGE, { pointer: "/url", ...(cause === undefined ? {} : { cause }) });
}

/** UPSTREAM_UNAVAILABLE with Artifacts' message; `cause` says what went wrong. */
export function upstreamUnavailable(cause: unknown): ArtifactsError {
  return new ArtifactsError("UPSTREAM_UNAVAILABLE", UPSTREAM_MESSAGE, { cause });
}

/** UPSTREAM_UNAVAILABLE for a response that breaks the protocol; `detail` follows the error style. */
export function malformed(detail: string): ArtifactsError {
  return upstreamUnavailable(new ProtocolError("ERR_REQUEST", detail));
}

/** MEMORY_LIMIT for a remote that is too large to import. */
export function tooLarge(url: string, detail: string): ArtifactsError {
  return new ArtifactsError("MEMORY_LIMIT", `Repository at ${url} is too large to import: ${detail}`);
}

/**
 * The error an HTTP status means for an import (401/403: private, 404/410: absent, 408/429/5xx:
 * try again). Other statuses mean the URL is not a smart HTTP git remote at `discovery`, and a
 * broken remote afterwards.
 */
export function statusError(status: number, url: string, discovery: boolean): ArtifactsError {
  if (status === 401 || status === 403) {
    return new ArtifactsError(
      "REMOTE_AUTH_REQUIRED",
      `Repository at ${url} requires authentication (HTTP ${status}). Only public repositories can be imported.`,
    );
  }
  if (status === 404 || status === 410) return new ArtifactsError("NOT_FOUND", `Repository not found at ${url}`);
  const cause = new Error(`Remote answered HTTP ${status}`);
  if (status === 408 || status === 429 || status >= 500 || !discovery) return upstreamUnavailable(cause);
  return invalidUrl(cause);
}

/** Maps what an import's pack indexing threw to the public error; other errors pass unchanged. */
export function toImportError(error: unknown, url: string): unknown {
  if (error instanceof ArtifactsError) return error;
  if (error instanceof LimitError) return tooLarge(url, error.message);
  if (error instanceof ProtocolError) return upstreamUnavailable(error);
  return error;
}
