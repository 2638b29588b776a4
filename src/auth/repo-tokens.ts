/**
 * @module auth/repo-tokens
 * Repo-scoped tokens (spec §4): HS256 JWTs (RFC 7519, RFC 7518 §3.2) signed with the server key, handed
 * out as `<jwt>?expires=<exp unix seconds>`. Only metadata is stored, never the token: key
 * `tok/<repoId>/<tokenId>` → JSON `{ id, scope, createdAt, expiresAt, revokedAt }`. A token is valid
 * only while both the signed claims and the stored record say so, which is what makes revocation and
 * repo deletion immediate and makes rewriting the `?expires=` suffix pointless (spec §4 "Expiry is
 * enforced server-side from the stored record").
 *
 * Every verification failure is the same AuthError ERR_AUTH_INVALID "Invalid or expired token" so a
 * caller learns nothing about which check failed; the real reason is in `cause` for logs. jose stays
 * inside this module: no jose type or error leaves it.
 */

import { compactVerify, jwtVerify, SignJWT } from "jose";
import * as v from "valibot";
import { ArtifactsError, AuthError, StorageError } from "../errors.ts";
import type { KvStore } from "../storage/types.ts";
import { stripExpiresSuffix } from "./credentials.ts";
import { isId, randomId } from "./ids.ts";
import {
  parseTokenClaims,
  TOKEN_ISSUER,
  TOKEN_SCOPES,
  type TokenClaims,
  type TokenScope,
} from "./token-claims.ts";

/** TTL bounds and default in seconds (spec §4). */
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 31_536_000;
export const DEFAULT_TTL_SECONDS = 86_400;

/** Shortest accepted signing key: HS256 wants at least the hash size, 256 bits (RFC 7518 §3.2). */
export const MIN_KEY_BYTES = 32;

/** Tokens we issue are a few hundred characters; anything much longer is refused before any crypto. */
const MAX_TOKEN_LENGTH = 4096;
const INVALID_TOKEN = "Invalid or expired token";

/** The repository a token is issued for or checked against. */
export interface TokenRepo {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
}

/** A freshly issued token. `plaintext` is shown once and never stored. Times are ISO-8601 with ms. */
export interface IssuedToken {
  readonly id: string;
  readonly plaintext: string;
  readonly scope: TokenScope;
  readonly expiresAt: string;
  readonly createdAt: string;
}

/** The outcome of a successful verification. */
export interface VerifiedToken {
  readonly tokenId: string;
  readonly scope: TokenScope;
}

/** Lifecycle state of a token, derived from its record and the clock. */
export type TokenState = "active" | "expired" | "revoked";

/** Token metadata as listed by the API (spec §4: no label, no last-used). */
export interface TokenInfo {
  readonly id: string;
  readonly scope: TokenScope;
  readonly state: TokenState;
  readonly createdAt: string;
  readonly expiresAt: string;
}

const TokenRecordSchema = v.object({
  id: v.string(),
  scope: v.picklist(["read", "write"]),
  createdAt: v.string(),
  expiresAt: v.string(),
  revokedAt: v.nullable(v.string()),
});
type TokenRecord = v.InferOutput<typeof TokenRecordSchema>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Issues, verifies, lists and revokes the tokens of repositories.
 * @example
 * const tokens = new RepoTokens({ store, key, now: () => clock.ms });
 * const { plaintext } = await tokens.issue(repo, "read", 3600);
 * await tokens.verify(plaintext, repo); // { tokenId, scope: "read" }
 */
export class RepoTokens {
  readonly #store: KvStore;
  readonly #key: Uint8Array;
  readonly #now: () => number;
  #cryptoKey: Promise<CryptoKey> | undefined;

  constructor(opts: { store: KvStore; key: Uint8Array; now?: () => number }) {
    if (opts.key.length < MIN_KEY_BYTES) {
      throw new TypeError(`Signing key is ${opts.key.length} bytes long: expected at least ${MIN_KEY_BYTES}`);
    }
    this.#store = opts.store;
    this.#key = new Uint8Array(opts.key);
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Issues a token for `repo` and stores its record. Throws ArtifactsError INVALID_TTL when `ttl` is not
   * an integer in 60..31536000 seconds, INVALID_INPUT for an unknown scope.
   */
  async issue(
    repo: TokenRepo,
    scope: TokenScope = "write",
    ttl: number = DEFAULT_TTL_SECONDS,
  ): Promise<IssuedToken> {
    checkScope(scope);
    checkTtl(ttl);
    const nowMs = this.#now();
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + ttl;
    for (let attempt = 0; attempt < 3; attempt++) {
      const id = randomId();
      const claims = {
        iss: TOKEN_ISSUER,
        sub: repo.id,
        ns: repo.namespace,
        repo: repo.name,
        scope,
        jti: id,
        iat,
        exp,
      };
      const parsed = parseTokenClaims(claims);
      if (!parsed.ok) {
        throw new TypeError(`Cannot issue a token for "${repo.namespace}/${repo.name}": ${parsed.reason}`);
      }
      const record: TokenRecord = {
        id,
        scope,
        createdAt: new Date(nowMs).toISOString(),
        expiresAt: new Date(exp * 1000).toISOString(),
        revokedAt: null,
      };
      const key = recordKey(repo.id, id);
      const jwt = await this.#sign(parsed.claims);
      // The check makes an id collision (about 2^-82 per pair) a retry instead of an overwrite.
      const mutations = [
        { type: "set", key, value: encodeRecord(record) },
        // Token ids are global so `DELETE .../tokens/:id` can find the repository.
        { type: "set", key: tokenIndexKey(id), value: encoder.encode(repo.id) },
      ] as const;
      const checks = [{ key, version: null }, { key: tokenIndexKey(id), version: null }];
      if (!(await this.#store.commit(checks, mutations))) continue;
      return {
        id,
        plaintext: `${jwt}?expires=${exp}`,
        scope,
        expiresAt: record.expiresAt,
        createdAt: record.createdAt,
      };
    }
    throw new StorageError(
      "ERR_STORAGE",
      `Cannot store a new token for repo "${repo.id}": 3 fresh ids were all taken`,
    );
  }

  /**
   * Checks `secret` (with or without `?expires=`) for `repo`. Throws AuthError ERR_AUTH_INVALID
   * "Invalid or expired token" on every kind of failure, with the reason in `cause`.
   */
  async verify(secret: string, repo: TokenRepo): Promise<VerifiedToken> {
    const result = await this.#check(secret, repo);
    if (typeof result === "string") {
      throw new AuthError("ERR_AUTH_INVALID", INVALID_TOKEN, { cause: new Error(result) });
    }
    return result;
  }

  /** Lists the tokens of a repo in `state` ("all" for every state), newest first. */
  async list(repoId: string, state: TokenState | "all" = "active"): Promise<TokenInfo[]> {
    const nowMs = this.#now();
    const out: TokenInfo[] = [];
    for await (const entry of this.#store.list({ prefix: tokenPrefix(repoId) })) {
      const record = decodeRecord(entry.key, entry.value);
      const info: TokenInfo = {
        id: record.id,
        scope: record.scope,
        state: stateOf(record, nowMs),
        createdAt: record.createdAt,
        expiresAt: record.expiresAt,
      };
      if (state === "all" || info.state === state) out.push(info);
    }
    // ISO-8601 strings of one format sort like the times they name.
    return out.sort((a, b) => compareDesc(a.createdAt, b.createdAt) || compareDesc(a.id, b.id));
  }

  /**
   * Revokes a token of `repoId` given its id or its plaintext (signature checked first). Returns false
   * when no such token exists for this repo; revoking an already revoked token returns true.
   */
  async revoke(repoId: string, tokenOrId: string): Promise<boolean> {
    const prefix = tokenPrefix(repoId);
    const id = isId(tokenOrId) ? tokenOrId : await this.#idFromPlaintext(tokenOrId, repoId);
    if (id === null) return false;
    const key = prefix + id;
    // Records only change by revocation or deletion, so a lost race settles on the second read.
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = await this.#store.get(key);
      if (entry === null) return false;
      const record = decodeRecord(key, entry.value);
      if (record.revokedAt !== null) return true;
      const revoked: TokenRecord = { ...record, revokedAt: new Date(this.#now()).toISOString() };
      const mutation = { type: "set", key, value: encodeRecord(revoked) } as const;
      if (await this.#store.commit([{ key, version: entry.version }], [mutation])) return true;
    }
    throw new StorageError(
      "ERR_STORAGE",
      `Cannot revoke token "${id}": its record changed during 3 attempts`,
    );
  }

  /** Deletes every token record of a repo (on repo deletion). Returns how many were deleted. */
  async deleteAll(repoId: string): Promise<number> {
    const prefix = tokenPrefix(repoId);
    const limits = this.#store.limits;
    const keyBytes = encoder.encode(prefix).length + 16;
    const batch = Math.max(1, Math.min(limits.maxMutations, Math.floor(limits.maxCommitBytes / keyBytes)));
    let deleted = 0;
    for (;;) {
      const keys: string[] = [];
      for await (const entry of this.#store.list({ prefix, limit: Math.max(1, Math.floor(batch / 2)) })) {
        keys.push(entry.key, tokenIndexKey(entry.key.slice(prefix.length)));
      }
      if (keys.length === 0) return deleted;
      const ok = await this.#store.commit([], keys.map((key) => ({ type: "delete", key }) as const));
      if (!ok) {
        throw new StorageError(
          "ERR_STORAGE",
          `Cannot delete the tokens of repo "${repoId}": an unchecked commit failed`,
        );
      }
      deleted += keys.length / 2;
    }
  }

  /** The repository a token id belongs to, or null (for revocation by id without a repository). */
  async repoIdOf(tokenId: string): Promise<string | null> {
    if (!isId(tokenId)) return null;
    const entry = await this.#store.get(tokenIndexKey(tokenId));
    return entry === null ? null : decoder.decode(entry.value);
  }

  /** Returns the verified token, or a sentence saying why it is not valid (never shown to clients). */
  async #check(secret: string, repo: TokenRepo): Promise<VerifiedToken | string> {
    const claims = await this.#claims(secret);
    if (typeof claims === "string") return claims;
    if (claims.sub !== repo.id) return `Token is for repo id "${claims.sub}", not "${repo.id}"`;
    if (claims.ns !== repo.namespace || claims.repo !== repo.name) {
      return `Token is for "${claims.ns}/${claims.repo}", not "${repo.namespace}/${repo.name}"`;
    }
    const key = recordKey(repo.id, claims.jti);
    const entry = await this.#store.get(key);
    if (entry === null) return `Token "${claims.jti}" has no record (repo deleted or token never stored)`;
    const record = decodeRecord(key, entry.value);
    if (record.revokedAt !== null) return `Token "${claims.jti}" was revoked at ${record.revokedAt}`;
    if (!(Date.parse(record.expiresAt) > this.#now())) {
      return `Token "${claims.jti}" record expired at ${record.expiresAt}`;
    }
    if (record.scope !== claims.scope) {
      return `Token "${claims.jti}" claims scope "${claims.scope}" but its record says "${record.scope}"`;
    }
    return { tokenId: claims.jti, scope: claims.scope };
  }

  /**
   * True when `secret` is a token this server signed and that has not expired, for any repository
   * (no stored record is read). Lets the git routes say "not found" only to real token holders.
   */
  async isGenuine(secret: string): Promise<boolean> {
    return typeof (await this.#claims(secret)) !== "string";
  }

  /** The claims of a canonical, correctly signed, unexpired token, or why it is not one. */
  async #claims(secret: string): Promise<TokenClaims | string> {
    const jwt = stripExpiresSuffix(secret);
    if (jwt.length > MAX_TOKEN_LENGTH) {
      return `Token is ${jwt.length} characters long: expected at most ${MAX_TOKEN_LENGTH}`;
    }
    if (!isCanonicalJwt(jwt)) return "Token is not in canonical base64url form";
    let payload: unknown;
    try {
      // Pinning algorithms refuses `alg: none` and every asymmetric alg, whatever the header says.
      const options = {
        algorithms: ["HS256"],
        issuer: TOKEN_ISSUER,
        currentDate: new Date(this.#now()),
        requiredClaims: ["exp", "jti", "sub"],
      };
      payload = (await jwtVerify(jwt, await this.#getCryptoKey(), options)).payload;
    } catch (error) {
      // Any failure here comes from attacker-controlled input, so it is a refusal, never a 500.
      return `JWT verification failed: ${describe(error)}`;
    }
    const parsed = parseTokenClaims(payload);
    return parsed.ok ? parsed.claims : parsed.reason;
  }

  /** Returns the jti of a correctly signed token for `repoId`; expiry is ignored: revoking is harmless. */
  async #idFromPlaintext(token: string, repoId: string): Promise<string | null> {
    const jwt = stripExpiresSuffix(token);
    if (jwt.length > MAX_TOKEN_LENGTH || !isCanonicalJwt(jwt)) return null;
    let payloadBytes: Uint8Array;
    try {
      payloadBytes =
        (await compactVerify(jwt, await this.#getCryptoKey(), { algorithms: ["HS256"] })).payload;
    } catch {
      return null;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(decoder.decode(payloadBytes));
    } catch {
      return null;
    }
    const parsed = parseTokenClaims(payload);
    return parsed.ok && parsed.claims.sub === repoId ? parsed.claims.jti : null;
  }

  async #sign(claims: TokenClaims): Promise<string> {
    return new SignJWT({ ns: claims.ns, repo: claims.repo, scope: claims.scope })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(await this.#getCryptoKey());
  }

  /** Imports the HMAC key once: jose would re-import a raw Uint8Array key on every call. */
  #getCryptoKey(): Promise<CryptoKey> {
    this.#cryptoKey ??= crypto.subtle.importKey(
      "raw",
      this.#key as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    return this.#cryptoKey;
  }
}

/** Throws INVALID_TTL unless `ttl` is a whole number of seconds in 60..31,536,000. */
export function checkTtl(ttl: number): void {
  // One message for every bad value, the live service's own text.
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS) {
    throw new ArtifactsError("INVALID_TTL", `ttl must be between ${MIN_TTL_SECONDS} and ${MAX_TTL_SECONDS} seconds`, { pointer: "/ttl" });
  }
}

function checkScope(scope: string): void {
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) {
    throw new ArtifactsError("INVALID_INPUT", `Invalid scope "${scope}": expected "read" or "write"`, {
      pointer: "/scope",
    });
  }
}

function tokenPrefix(repoId: string): string {
  // Ids are fixed-length base-36, so one repo's prefix can never be a prefix of another's.
  if (!isId(repoId)) {
    throw new TypeError(`Invalid repo id "${repoId}": expected 16 lowercase base-36 characters`);
  }
  return `tok/${repoId}/`;
}

function recordKey(repoId: string, tokenId: string): string {
  return tokenPrefix(repoId) + tokenId;
}

function stateOf(record: TokenRecord, nowMs: number): TokenState {
  if (record.revokedAt !== null) return "revoked";
  return Date.parse(record.expiresAt) > nowMs ? "active" : "expired";
}

function compareDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

function encodeRecord(record: TokenRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

function decodeRecord(key: string, value: Uint8Array): TokenRecord {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(value));
  } catch (error) {
    throw new StorageError("ERR_CORRUPT", `Token record "${key}" is not JSON`, { cause: error });
  }
  const result = v.safeParse(TokenRecordSchema, json);
  if (!result.success) {
    throw new StorageError("ERR_CORRUPT", `Token record "${key}" is malformed: ${result.issues[0].message}`);
  }
  return result.output;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : `${error.name}: ${error.message}`;
  }
  return String(error);
}

/** `tokid/<token id>` → repository id. */
function tokenIndexKey(tokenId: string): string {
  return `tokid/${tokenId}`;
}

/**
 * True when every "."-separated segment is canonical unpadded base64url (RFC 7515 §2, RFC 4648 §5):
 * only the 64 alphabet characters (no "=" padding, no whitespace, no "+" or "/"), no length that
 * cannot occur, and the unused low bits of a segment's last character zero. jose's decoder forgives
 * padding and stray bits, so without this several strings would verify as the same token (RFC 4648
 * §3.5), and a token would not be one exact string. The number of segments is jose's to check.
 */
function isCanonicalJwt(jwt: string): boolean {
  for (const segment of jwt.split(".")) {
    if (!/^[A-Za-z0-9_-]*$/.test(segment)) return false;
    const tail = segment.length % 4;
    if (tail === 1) return false;
    if (tail === 0) continue;
    const last = BASE64URL.indexOf(segment[segment.length - 1]!);
    const unusedBits = tail === 2 ? 4 : 2;
    if ((last & ((1 << unusedBits) - 1)) !== 0) return false;
  }
  return true;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
