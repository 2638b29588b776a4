/**
 * @module auth/ids
 * Random identifiers for repositories and tokens, in the shape live Artifacts uses (spec §1.4): 16
 * lowercase base-36 characters, e.g. `u7usp14xkllei2on`. 16 symbols of 36 give about 82.7 bits.
 */

const ID_LENGTH = 16;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
/** 252 = 7 × 36: bytes below it map to each symbol equally often; the rest are redrawn (no modulo bias). */
const ACCEPT_BELOW = 252;
/** 16 symbols need 16 accepted bytes; 24 draws leave room for the ~1.6% rejection rate in one call. */
const DRAW_BYTES = 24;

const CHAR_CODES = new Uint8Array(ALPHABET.length);
for (let i = 0; i < ALPHABET.length; i++) CHAR_CODES[i] = ALPHABET.charCodeAt(i);

/** Matches a well-formed id (see `randomId`). */
export const ID_PATTERN = /^[0-9a-z]{16}$/;

/**
 * Returns a fresh 16-character lowercase base-36 id from `crypto.getRandomValues`.
 * @example randomId() // "e78473xkdxtgr1n9"
 */
export function randomId(): string {
  const out = new Uint8Array(ID_LENGTH);
  const bytes = new Uint8Array(DRAW_BYTES);
  let filled = 0;
  while (filled < ID_LENGTH) {
    crypto.getRandomValues(bytes);
    for (let i = 0; i < DRAW_BYTES && filled < ID_LENGTH; i++) {
      const b = bytes[i]!;
      if (b < ACCEPT_BELOW) out[filled++] = CHAR_CODES[b % 36]!;
    }
  }
  return String.fromCharCode(...out);
}

/** Returns true when `value` has the shape of an id from `randomId`. */
export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
