/**
 * @module auth/token-claims
 * The claims of a repo-scoped token (an HS256 JWT, RFC 7519) and their valibot schema. jose checks
 * the signature, `alg` and `exp`; this schema checks that every claim we rely on is present and
 * well-typed, so nothing downstream handles an unchecked payload.
 */

import * as v from "valibot";
import { ID_PATTERN } from "./ids.ts";

/** The `iss` claim of every token this server issues. */
export const TOKEN_ISSUER = "reposit";

/** What a token allows: `read` (clone, fetch, ls-remote) or `write` (adds push). */
export type TokenScope = "read" | "write";

/** The scopes in one list, for validation. */
export const TOKEN_SCOPES: readonly TokenScope[] = ["read", "write"];

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const name = v.pipe(v.string(), v.maxLength(63), v.regex(NAME_PATTERN));
const id = v.pipe(v.string(), v.regex(ID_PATTERN));
const seconds = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Claims schema: `sub` is the repo id, `ns`/`repo` its names, `jti` the token id, times in seconds. */
export const TokenClaimsSchema = v.object({
  iss: v.literal(TOKEN_ISSUER),
  sub: id,
  ns: name,
  repo: name,
  scope: v.picklist(["read", "write"]),
  jti: id,
  iat: seconds,
  exp: seconds,
});

/** Claims of a verified token. */
export type TokenClaims = v.InferOutput<typeof TokenClaimsSchema>;

/**
 * Returns the claims when `payload` has the expected shape, or a sentence naming the first problem.
 * @example parseTokenClaims(JSON.parse(payloadJson))
 */
export function parseTokenClaims(
  payload: unknown,
): { ok: true; claims: TokenClaims } | { ok: false; reason: string } {
  const result = v.safeParse(TokenClaimsSchema, payload);
  if (result.success) return { ok: true, claims: result.output };
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join(".") ?? "(root)";
  return { ok: false, reason: `Token claim "${path}" is invalid: ${issue.message}` };
}
