/**
 * @module auth/constant-time
 * Comparisons whose running time does not depend on where (or whether) the inputs differ. Both sides
 * are first hashed with SHA-256, so the loop always runs over two 32-byte digests: neither a length
 * difference nor the position of the first differing byte shows in the timing. Used for the
 * control-plane API token; repo tokens are checked by HMAC verification in Web Crypto instead.
 */

const encoder = new TextEncoder();

/**
 * Returns true when `a` and `b` hold the same bytes, in time independent of their contents.
 * @example await timingSafeEqualBytes(new Uint8Array([1]), new Uint8Array([1])) // true
 */
export async function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): Promise<boolean> {
  const [da, db] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < da.length; i++) diff |= da[i]! ^ db[i]!;
  return diff === 0;
}

/**
 * Returns true when the UTF-8 encodings of `a` and `b` are equal, in time independent of their contents.
 * @example await timingSafeEqualString(presented, configuredApiToken)
 */
export function timingSafeEqualString(a: string, b: string): Promise<boolean> {
  return timingSafeEqualBytes(encoder.encode(a), encoder.encode(b));
}

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  // Copy into an ArrayBuffer-backed view: Web Crypto's BufferSource typing excludes SharedArrayBuffer.
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
}
