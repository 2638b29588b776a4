/**
 * @module errors
 * One error hierarchy with stable codes (jose style). Code lives in `code`; only src/http maps codes
 * to HTTP statuses and bodies. Messages follow one style: sentence case, no final period, quoted
 * values, what was wrong and what was expected, e.g.
 * `Invalid repo name "a b": must match ^[a-zA-Z0-9][a-zA-Z0-9._-]*$`.
 *
 * - `ProtocolError`: a client sent bytes that do not follow the git protocol or pack format.
 * - `LimitError`: input exceeded a configured limit (src/limits.ts).
 * - `AuthError`: missing, invalid, expired or insufficient credentials.
 * - `ArtifactsError`: the public control-plane errors with Cloudflare Artifacts' codes.
 * - `StorageError`: a storage backend failed or returned something inconsistent.
 */

export type ProtocolErrorCode =
  | "ERR_PKT_LINE"
  | "ERR_PACK"
  | "ERR_DELTA"
  | "ERR_ZLIB"
  | "ERR_OBJECT"
  | "ERR_REQUEST"
  | "ERR_CAPABILITY"
  | "ERR_UNREACHABLE_WANT";

export type LimitErrorCode = "ERR_LIMIT";

export type AuthErrorCode = "ERR_AUTH_REQUIRED" | "ERR_AUTH_INVALID" | "ERR_AUTH_INSUFFICIENT" | "ERR_READ_ONLY";

export type StorageErrorCode = "ERR_STORAGE" | "ERR_CORRUPT";

/** The public error codes of Cloudflare Artifacts (REST `errors[].code` and binding `ArtifactsError.code`). */
export type ArtifactsErrorCode =
  | "INVALID_INPUT"
  | "INVALID_REPO_NAME"
  | "INVALID_TTL"
  | "INVALID_URL"
  | "REMOTE_AUTH_REQUIRED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "CREATE_IN_PROGRESS"
  | "IMPORT_IN_PROGRESS"
  | "FORK_IN_PROGRESS"
  | "INTERNAL_ERROR"
  | "UPSTREAM_UNAVAILABLE"
  | "MEMORY_LIMIT"
  | "RATE_LIMITED"
  | "UNAUTHORIZED";

/** Numeric codes as published by Artifacts (CREATE_IN_PROGRESS, RATE_LIMITED and UNAUTHORIZED are ours). */
export const ARTIFACTS_NUMERIC_CODES: Readonly<Record<ArtifactsErrorCode, number>> = Object.freeze({
  INVALID_INPUT: 10100,
  INVALID_REPO_NAME: 10101,
  INVALID_TTL: 10103,
  INVALID_URL: 10104,
  REMOTE_AUTH_REQUIRED: 10106,
  NOT_FOUND: 10200,
  ALREADY_EXISTS: 10201,
  CREATE_IN_PROGRESS: 10301,
  IMPORT_IN_PROGRESS: 10302,
  FORK_IN_PROGRESS: 10303,
  INTERNAL_ERROR: 10400,
  UPSTREAM_UNAVAILABLE: 10401,
  MEMORY_LIMIT: 10402,
  RATE_LIMITED: 10429,
  UNAUTHORIZED: 10000,
});

export type ReposErrorCode = ProtocolErrorCode | LimitErrorCode | AuthErrorCode | StorageErrorCode | ArtifactsErrorCode;

/** Base class: every error the core throws on purpose is one of these. */
export class ReposError extends Error {
  readonly code: ReposErrorCode;
  constructor(code: ReposErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A client sent bytes that break the git protocol or pack format. */
export class ProtocolError extends ReposError {
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Input exceeded a limit from src/limits.ts. `limit` names the field of `Limits`. */
export class LimitError extends ReposError {
  declare readonly code: LimitErrorCode;
  readonly limit: string;
  constructor(limit: string, message: string) {
    super("ERR_LIMIT", message);
    this.limit = limit;
  }
}

/** Credentials are missing, invalid, expired, or do not allow the operation. */
export class AuthError extends ReposError {
  declare readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A storage backend failed, or stored data is inconsistent. */
export class StorageError extends ReposError {
  declare readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Source of a field error, as in the v4 envelope's `errors[].source.pointer` (e.g. "/name"). */
export interface ErrorSource {
  pointer?: string;
}

/** The public control-plane error, identical in shape to the Workers binding's `ArtifactsError`. */
export class ArtifactsError extends ReposError {
  declare readonly code: ArtifactsErrorCode;
  readonly numericCode: number;
  readonly source: ErrorSource | undefined;
  constructor(code: ArtifactsErrorCode, message: string, options?: { cause?: unknown; pointer?: string }) {
    super(code, message, options);
    this.name = "ArtifactsError";
    this.numericCode = ARTIFACTS_NUMERIC_CODES[code];
    this.source = options?.pointer === undefined ? undefined : { pointer: options.pointer };
  }
}

/** Returns true when `error` is one of ours with the given code. */
export function hasCode(error: unknown, code: ReposErrorCode): boolean {
  return error instanceof ReposError && error.code === code;
}
