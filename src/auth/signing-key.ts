/**
 * @module auth/signing-key
 * The server's token-signing key as configuration text: entry points read it from REPOSIT_SIGNING_KEY
 * or a file and pass the bytes to the core. HS256 wants at least 32 bytes (RFC 7518 §3.2). Error
 * messages never quote the key text: it is a secret.
 */

import { MIN_KEY_BYTES } from "./repo-tokens.ts";

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Decodes a signing key written as hex or as base64url/base64 (padding optional). Throws TypeError
 * when the text is neither or decodes to fewer than 32 bytes.
 * @example parseSigningKey(env.REPOSIT_SIGNING_KEY) // Uint8Array(32)
 */
export function parseSigningKey(text: string): Uint8Array {
  const trimmed = text.trim();
  // Text of hex digits only is read as hex even though it is also valid base64: a random base64 key made
  // only of hex digits is vanishingly unlikely, while reading a short hex key as base64 would hide that
  // it is too short.
  const bytes = HEX.test(trimmed) ? hexToBytes(trimmed) : base64ToBytes(trimmed);
  if (bytes.length < MIN_KEY_BYTES) {
    throw new TypeError(
      `Invalid signing key: it decodes to ${bytes.length} bytes, expected at least ${MIN_KEY_BYTES}`,
    );
  }
  return bytes;
}

/**
 * Returns a new random 32-byte key as base64url, for `REPOSIT_SIGNING_KEY`.
 * @example generateSigningKey() // "q3Jd...43 characters"
 */
export function generateSigningKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(MIN_KEY_BYTES));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function base64ToBytes(text: string): Uint8Array {
  const unpadded = text.replace(/=+$/, "");
  if (!BASE64.test(text) || unpadded.length % 4 === 1) {
    throw new TypeError("Invalid signing key: expected base64url, base64 or hex text of at least 32 bytes");
  }
  const binary = atob(
    unpadded.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (unpadded.length % 4)) % 4),
  );
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
