/**
 * @module git/pack-format
 * The fixed parts of a pack (gitformat-pack "pack-*.pack files have the following format"): the
 * 12-byte header (`PACK`, version, object count), each entry's type-and-size header ("n-byte type and
 * length (3-bit type, (n-1)*7+4-bit length)"), and the OFS_DELTA "offset encoding" (big-endian 7-bit
 * groups where every continuation adds 1 before shifting, so no two encodings share a value).
 * Sizes and distances are computed with arithmetic, not 32-bit shifts, so they are exact to 2^53.
 */
import { ProtocolError } from "../errors.ts";

/** The four bytes every pack starts with: "PACK". */
export const PACK_SIGNATURE: Uint8Array = Uint8Array.of(0x50, 0x41, 0x43, 0x4b);
/** Bytes of the pack header: signature, version, object count. */
export const PACK_HEADER_LENGTH = 12;
/** Bytes of the trailer: the SHA-1 of everything before it. */
export const PACK_TRAILER_LENGTH = 20;
/** The version git writes. */
export const PACK_VERSION = 2;
/** Versions git reads ("Git currently accepts version number 2 or 3 but generates version 2 only"). */
export const PACK_READ_VERSIONS: readonly number[] = [2, 3];
/** Longest entry type-and-size header we read: 1 + 9 continuation bytes carries 67 bits. */
const MAX_ENTRY_HEADER = 10;

/** A decoded pack header. */
export interface PackHeader {
  version: number;
  objectCount: number;
}

/** The 12-byte header of a version-2 pack of `objectCount` objects. Example: `encodePackHeader(0)` is `PACK\0\0\0\x02\0\0\0\0`. */
export function encodePackHeader(objectCount: number): Uint8Array {
  if (!Number.isInteger(objectCount) || objectCount < 0 || objectCount > 0xffffffff) {
    throw new RangeError(
      `Invalid pack object count ${objectCount}: expected an integer from 0 to 4294967295`,
    );
  }
  const out = new Uint8Array(PACK_HEADER_LENGTH);
  out.set(PACK_SIGNATURE, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, PACK_VERSION);
  view.setUint32(8, objectCount);
  return out;
}

/**
 * Decodes and checks the first 12 bytes of a pack. Throws ProtocolError("ERR_PACK") on a short
 * input, a wrong signature or an unsupported version. Example: `decodePackHeader(encodePackHeader(3)).objectCount === 3`.
 */
export function decodePackHeader(bytes: Uint8Array): PackHeader {
  if (bytes.length < PACK_HEADER_LENGTH) {
    throw new ProtocolError(
      "ERR_PACK",
      `Pack is truncated: the header needs 12 bytes but the input has ${bytes.length}`,
    );
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== PACK_SIGNATURE[i]) {
      throw new ProtocolError(
        "ERR_PACK",
        `Invalid pack signature "${printable(bytes.subarray(0, 4))}": expected "PACK"`,
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PACK_HEADER_LENGTH);
  const version = view.getUint32(4);
  if (!PACK_READ_VERSIONS.includes(version)) {
    throw new ProtocolError("ERR_PACK", `Unsupported pack version ${version}: expected 2 or 3`);
  }
  return { version, objectCount: view.getUint32(8) };
}

function printable(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
      ? String.fromCharCode(b)
      : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** A decoded entry type-and-size header. */
export interface EntryHeader {
  /** The raw 3-bit type (check it with `isPackType` from object-type.ts: 0 and 5 are invalid). */
  packType: number;
  /** Inflated size of the entry's payload (the object, or the delta instructions). */
  size: number;
  /** Bytes the header took. */
  headerLength: number;
}

/**
 * Encodes an entry header: type in bits 4-6 of the first byte, the size's low 4 bits below it, then
 * 7 bits per byte, least significant first. Example: `encodeEntryHeader(3, 100)` is `[0xb4, 0x06]`.
 */
export function encodeEntryHeader(packType: number, size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`Invalid pack entry size ${size}: expected a non-negative safe integer`);
  }
  const out = new Uint8Array(MAX_ENTRY_HEADER);
  let rest = Math.floor(size / 16);
  let byte = ((packType & 7) << 4) | (size % 16);
  let n = 0;
  while (rest > 0) {
    out[n++] = byte | 0x80;
    byte = rest % 128;
    rest = Math.floor(rest / 128);
  }
  out[n++] = byte;
  return out.slice(0, n);
}

/**
 * Decodes the entry header at `bytes[offset]`. Returns null when `bytes` ends inside it. Throws
 * ProtocolError("ERR_PACK") when the size does not fit in 53 bits.
 * Example: `decodeEntryHeader(Uint8Array.of(0xb4, 0x06), 0)` is `{ packType: 3, size: 100, headerLength: 2 }`.
 */
export function decodeEntryHeader(bytes: Uint8Array, offset: number): EntryHeader | null {
  if (offset >= bytes.length) return null;
  let byte = bytes[offset]!;
  const packType = (byte >> 4) & 7;
  let size = byte & 15;
  let scale = 16;
  let pos = offset + 1;
  while (byte & 0x80) {
    if (pos >= bytes.length) return null;
    if (pos - offset >= MAX_ENTRY_HEADER) {
      throw new ProtocolError(
        "ERR_PACK",
        `Invalid pack entry header: its size is longer than ${MAX_ENTRY_HEADER} bytes`,
      );
    }
    byte = bytes[pos++]!;
    size += (byte & 0x7f) * scale;
    scale *= 128;
  }
  if (size > Number.MAX_SAFE_INTEGER) {
    throw new ProtocolError("ERR_PACK", "Invalid pack entry header: its size does not fit in 53 bits");
  }
  return { packType, size, headerLength: pos - offset };
}

/**
 * Encodes an OFS_DELTA distance (delta offset minus base offset) in git's offset encoding.
 * Example: `encodeOfsDelta(128)` is `[0x80, 0x00]` and `encodeOfsDelta(16512)` is `[0x80, 0x80, 0x00]`.
 */
export function encodeOfsDelta(distance: number): Uint8Array {
  if (!Number.isSafeInteger(distance) || distance < 0) {
    throw new RangeError(`Invalid OFS_DELTA distance ${distance}: expected a non-negative safe integer`);
  }
  const out = new Uint8Array(8);
  let pos = out.length - 1;
  let rest = distance;
  out[pos] = rest % 128;
  rest = Math.floor(rest / 128);
  while (rest > 0) {
    rest -= 1; // The decoder adds 1 per continuation byte, so the encoder takes it back.
    out[--pos] = 0x80 | (rest % 128);
    rest = Math.floor(rest / 128);
  }
  return out.slice(pos);
}

/** A decoded OFS_DELTA distance and how many bytes it took. */
export interface OfsDelta {
  distance: number;
  length: number;
}

/**
 * Decodes the OFS_DELTA distance at `bytes[offset]`. Returns null when `bytes` ends inside it.
 * Throws ProtocolError("ERR_PACK") when it does not fit in 53 bits.
 * Example: `decodeOfsDelta(Uint8Array.of(0x80, 0x00), 0)` is `{ distance: 128, length: 2 }`.
 */
export function decodeOfsDelta(bytes: Uint8Array, offset: number): OfsDelta | null {
  if (offset >= bytes.length) return null;
  let byte = bytes[offset]!;
  let distance = byte & 0x7f;
  let pos = offset + 1;
  while (byte & 0x80) {
    if (pos >= bytes.length) return null;
    byte = bytes[pos++]!;
    distance = (distance + 1) * 128 + (byte & 0x7f);
    if (distance > Number.MAX_SAFE_INTEGER) {
      throw new ProtocolError("ERR_PACK", "Invalid OFS_DELTA offset: it does not fit in 53 bits");
    }
  }
  return { distance, length: pos - offset };
}
