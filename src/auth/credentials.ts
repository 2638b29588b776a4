/**
 * @module auth/credentials
 * Reads the secret a client presents on a git or REST request, in the forms live Artifacts accepts
 * (spec §5.2): `Authorization: Bearer <token>`, or Basic (RFC 7617) with any username (even empty) and
 * the token as the password. The token may be the bare secret or the full `<secret>?expires=<unix s>`
 * string, percent-encoded or not (clients that put the token in a remote URL send `?` as `%3F`).
 * A secret in the Basic username slot with an empty password is treated as no credential at all, as
 * live Artifacts does ("Authentication required"), so git falls back to its credential helpers.
 */

import { AuthError } from "../errors.ts";

/** A credential read from a request: which scheme carried it and the (percent-decoded) token. */
export interface Credential {
  readonly kind: "bearer" | "basic";
  readonly secret: string;
}

/** Longest Authorization header value we parse; real tokens are a few hundred bytes. */
const MAX_HEADER_LENGTH = 8192;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Returns the credential on `request`, null when there is none (no Authorization header, or Basic
 * with an empty password), and throws AuthError ERR_AUTH_INVALID when the header is malformed.
 * @example readCredential(new Request(url, { headers: { authorization: "Bearer eyJ..." } }))
 */
export function readCredential(request: Request): Credential | null {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  return parseAuthorization(header);
}

/** Parses an Authorization header value; see `readCredential`. */
export function parseAuthorization(header: string): Credential | null {
  if (header.length > MAX_HEADER_LENGTH) {
    throw invalid(
      `Authorization header is ${header.length} characters long: expected at most ${MAX_HEADER_LENGTH}`,
    );
  }
  const value = header.trim();
  const space = value.indexOf(" ");
  const scheme = (space === -1 ? value : value.slice(0, space)).toLowerCase();
  const rest = space === -1 ? "" : value.slice(space + 1).trim();
  if (scheme === "bearer") return parseBearer(rest);
  if (scheme === "basic") return parseBasic(rest);
  throw invalid(`Unsupported authorization scheme "${truncate(scheme)}": expected Bearer or Basic`);
}

/**
 * Drops the informational `?expires=<unix seconds>` suffix of a token, leaving the secret. Expiry is
 * never read from the suffix: it comes from the signed claim and the stored record.
 * @example stripExpiresSuffix("eyJ...?expires=1760000000") // "eyJ..."
 */
export function stripExpiresSuffix(token: string): string {
  const question = token.indexOf("?");
  if (question !== -1 && token.startsWith("expires=", question + 1)) return token.slice(0, question);
  return token;
}

function parseBearer(token: string): Credential {
  if (token === "" || /\s/.test(token)) throw invalid("Bearer credentials must be one token without spaces");
  return { kind: "bearer", secret: percentDecode(token) };
}

function parseBasic(encoded: string): Credential | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded === "") {
    throw invalid("Basic credentials are not valid base64");
  }
  let text: string;
  try {
    text = utf8.decode(binaryStringToBytes(atob(encoded)));
  } catch (error) {
    throw invalid("Basic credentials are not valid base64-encoded UTF-8", error);
  }
  // RFC 7617 §2: the user-id cannot contain ":", so the first colon separates it from the password.
  const colon = text.indexOf(":");
  if (colon === -1) throw invalid('Basic credentials have no ":" between username and password');
  const password = text.slice(colon + 1);
  if (password === "") return null;
  return { kind: "basic", secret: percentDecode(password) };
}

/** Tokens never contain "%", so one is a sign of percent-encoding; undecodable input is kept as sent. */
function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function binaryStringToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function truncate(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}...` : text;
}

function invalid(message: string, cause?: unknown): AuthError {
  return new AuthError("ERR_AUTH_INVALID", `Cannot read Authorization header: ${message}`, { cause });
}
