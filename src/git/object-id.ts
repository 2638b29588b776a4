/**
 * @module object-id
 * SHA-1 object ids as used on the wire: 40 lowercase hex digits in pkt-lines (gitprotocol-common,
 * ABNF `obj-id = 40*(HEXDIGIT)`, and git itself writes lowercase), 20 raw bytes inside packs, idx
 * files and tree entries (gitformat-pack). Only `object-format=sha1` is supported.
 */

import { ProtocolError } from "../errors.ts";
import { hexEncode, hexValue, quoteValue } from "../util/bytes.ts";

/** A lowercase 40-hex SHA-1 object id, e.g. "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391". */
export type ObjectId = string;

/** Raw length of a SHA-1 object id. */
export const OID_BYTES = 20;

/** Hex length of a SHA-1 object id. */
export const OID_HEX = 40;

/** The all-zero id: "no object" in ref updates (`<old> <new> <ref>`) and empty advertisements. */
export const ZERO_ID: ObjectId = "0".repeat(OID_HEX);

/** True when `value` is a 40-character lowercase hex string. Example: `isObjectId(ZERO_ID)` → true. */
export function isObjectId(value: unknown): value is ObjectId {
  if (typeof value !== "string" || value.length !== OID_HEX) return false;
  for (let i = 0; i < OID_HEX; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/**
 * Throws ProtocolError("ERR_REQUEST") unless `value` is an object id; `what` names it in the message.
 * Example: `assertObjectId(line.slice(5), "want")` → `Invalid want "xyz": expected 40 lowercase hexadecimal digits`.
 */
export function assertObjectId(value: unknown, what: string): asserts value is ObjectId {
  if (isObjectId(value)) return;
  const shown = typeof value === "string" ? quoteValue(value) : `value of type ${typeof value}`;
  throw new ProtocolError("ERR_REQUEST", `Invalid ${what} ${shown}: expected 40 lowercase hexadecimal digits`);
}

/** The 20 raw bytes of `oid`; throws ProtocolError("ERR_REQUEST") when it is not an object id. */
export function oidToBytes(oid: ObjectId): Uint8Array {
  const out = new Uint8Array(OID_BYTES);
  oidToBytesInto(oid, out, 0);
  return out;
}

/** Writes the 20 raw bytes of `oid` into `target` at `offset` (pack and tree writers avoid an allocation). */
export function oidToBytesInto(oid: ObjectId, target: Uint8Array, offset: number): void {
  assertObjectId(oid, "object id");
  for (let i = 0; i < OID_BYTES; i++) {
    target[offset + i] = (hexValue(oid.charCodeAt(2 * i)) << 4) | hexValue(oid.charCodeAt(2 * i + 1));
  }
}

/** The hex id of the 20 bytes at `offset`. Example: `oidFromBytes(entry, nameEnd + 1)`. */
export function oidFromBytes(bytes: Uint8Array, offset = 0): ObjectId {
  if (offset < 0 || offset + OID_BYTES > bytes.length) {
    throw new RangeError(`Cannot read an object id at offset ${offset}: only ${bytes.length} bytes available`);
  }
  return hexEncode(bytes, offset, OID_BYTES);
}
