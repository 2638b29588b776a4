/**
 * @module git/object-type
 * The four git object types, their numbers inside a pack (gitformat-pack "Object types": 1 commit,
 * 2 tree, 3 blob, 4 tag, 6 OFS_DELTA, 7 REF_DELTA; 5 is reserved and 0 invalid), and the object id:
 * the SHA-1 of `"<type> <size>\0"` followed by the content (gitformat-pack "Checksums and object IDs").
 */
import { ProtocolError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { hexEncode, utf8Encode } from "../util/bytes.ts";
import type { ObjectId } from "./object-id.ts";

/** A git object type. */
export type ObjectType = "commit" | "tree" | "blob" | "tag";

/** Pack type numbers of whole objects. */
export type WholePackType = 1 | 2 | 3 | 4;

/** Every valid pack entry type number. */
export type PackType = WholePackType | 6 | 7;

/** Pack type of a commit. */
export const PACK_COMMIT = 1;
/** Pack type of a tree. */
export const PACK_TREE = 2;
/** Pack type of a blob. */
export const PACK_BLOB = 3;
/** Pack type of a tag. */
export const PACK_TAG = 4;
/** A delta whose base is found by a backwards offset inside the same pack. */
export const PACK_OFS_DELTA = 6;
/** A delta whose base is named by its object id (in the pack or, in a thin pack, outside it). */
export const PACK_REF_DELTA = 7;

const TYPES_BY_NUMBER: readonly (ObjectType | undefined)[] = [undefined, "commit", "tree", "blob", "tag"];
const NUMBERS_BY_TYPE: Readonly<Record<ObjectType, WholePackType>> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/** True for the strings "commit", "tree", "blob" and "tag". Example: `isObjectType("blob") === true`. */
export function isObjectType(value: string): value is ObjectType {
  return value === "commit" || value === "tree" || value === "blob" || value === "tag";
}

/** True for 1, 2, 3, 4, 6 and 7. Example: `isPackType(5) === false`. */
export function isPackType(value: number): value is PackType {
  return (value >= 1 && value <= 4) || value === 6 || value === 7;
}

/** The pack type number of an object type. Example: `packTypeOf("tree") === 2`. */
export function packTypeOf(type: ObjectType): WholePackType {
  return NUMBERS_BY_TYPE[type];
}

/**
 * The object type of a whole-object pack type; throws ProtocolError("ERR_PACK") for deltas and
 * invalid numbers. Example: `objectTypeOf(3) === "blob"`.
 */
export function objectTypeOf(packType: number): ObjectType {
  const type = packType >= 1 && packType <= 4 ? TYPES_BY_NUMBER[packType] : undefined;
  if (type === undefined) {
    throw new ProtocolError(
      "ERR_PACK",
      `Invalid object type ${packType}: expected 1 (commit), 2 (tree), 3 (blob) or 4 (tag)`,
    );
  }
  return type;
}

const HEADER_PREFIXES: Readonly<Record<ObjectType, Uint8Array>> = {
  commit: utf8Encode("commit "),
  tree: utf8Encode("tree "),
  blob: utf8Encode("blob "),
  tag: utf8Encode("tag "),
};

/** The bytes of `"<type> <size>\0"`. Example: `encodeObjectHeader("blob", 5)` is `"blob 5\0"`. */
export function encodeObjectHeader(type: ObjectType, size: number): Uint8Array {
  const prefix = HEADER_PREFIXES[type];
  const digits = String(size);
  const out = new Uint8Array(prefix.length + digits.length + 1);
  out.set(prefix, 0);
  for (let i = 0; i < digits.length; i++) out[prefix.length + i] = digits.charCodeAt(i);
  return out;
}

/**
 * The object id of `content` stored as `type`. Example:
 * `hashObject(platform, "blob", new Uint8Array())` is `"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"`.
 */
export function hashObject(platform: Platform, type: ObjectType, content: Uint8Array): ObjectId {
  return hexEncode(hashObjectBytes(platform, NUMBERS_BY_TYPE[type], content), 0, 20);
}

/**
 * The raw 20-byte object id of `content` stored as the whole-object pack type `packType` (1-4), for
 * indexes that keep ids as bytes. Example: `hexEncode(hashObjectBytes(platform, 3, new Uint8Array()))`
 * is `"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"`.
 */
export function hashObjectBytes(
  platform: Platform,
  packType: WholePackType,
  content: Uint8Array,
): Uint8Array {
  const hasher = platform.sha1();
  // Two updates, never a joined copy: measured with node:crypto under Node and Bun, the copy costs
  // more than the second native call at every size from 100 bytes up.
  hasher.update(encodeObjectHeader(objectTypeOf(packType), content.length));
  hasher.update(content);
  return hasher.digest();
}
