/**
 * @module auth/mac
 * Short HMAC-SHA-256 tags for values the server hands out and must recognise later (list cursors).
 * The key is derived from the server key and a purpose string, so a tag made for one purpose is
 * never valid for another (and never equals a token signature).
 */
import { timingSafeEqualString } from "./constant-time.ts";

export interface Mac {
  /** A base64url tag of `text` (128 bits). */
  sign(text: string): Promise<string>;
  /** Constant-time check of a tag. */
  verify(text: string, tag: string): Promise<boolean>;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function createMac(serverKey: Uint8Array, purpose: string): Mac {
  const key = (async () => {
    const master = await crypto.subtle.importKey("raw", serverKey as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const derived = new Uint8Array(await crypto.subtle.sign("HMAC", master, encoder.encode(`reposit:${purpose}`)));
    return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  })();
  const sign = async (text: string) => base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode(text))).subarray(0, 16));
  return {
    sign,
    verify: async (text, tag) => timingSafeEqualString(await sign(text), tag),
  };
}
