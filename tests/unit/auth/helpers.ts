/**
 * Shared fixtures for the auth tests: a fixed clock, a store, a key, two repos, and assertions for
 * the one opaque refusal `RepoTokens.verify` throws.
 */
import assert from "node:assert/strict";
import { AuthError } from "../../../src/errors.ts";
import { RepoTokens, type TokenRepo } from "../../../src/auth/repo-tokens.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import type { KvStore } from "../../../src/storage/types.ts";

export const START_MS = Date.UTC(2026, 9, 1, 12, 0, 0, 250);
export const REPO: TokenRepo = { id: "u7usp14xkllei2on", namespace: "prod", name: "app" };
export const OTHER_REPO: TokenRepo = { id: "0tvugavnogssnwzk", namespace: "prod", name: "other" };

export interface Fixture {
  store: KvStore;
  key: Uint8Array;
  clock: { ms: number };
  tokens: RepoTokens;
}

export function fixture(): Fixture {
  const store = createMemoryStore();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const clock = { ms: START_MS };
  return { store, key, clock, tokens: new RepoTokens({ store, key, now: () => clock.ms }) };
}

/** Asserts the opaque refusal, and that the logged reason (cause) matches `reason`. */
export async function assertInvalid(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
    assert.equal(error.code, "ERR_AUTH_INVALID");
    assert.equal(error.message, "Invalid or expired token");
    // Only plain Errors leave src/auth: no jose class in the chain.
    assert.equal(Object.getPrototypeOf(error.cause), Error.prototype);
    assert.match((error.cause as Error).message, reason);
    return true;
  });
}

export function base64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function jsonOfSegment(segment: string): Record<string, unknown> {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)));
}

export function secretOf(plaintext: string): string {
  return plaintext.slice(0, plaintext.indexOf("?"));
}
