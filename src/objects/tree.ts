/**
 * @module objects/tree
 * Tree objects: a sequence of entries `<octal mode> <name>\0<20-byte id>`, sorted by name where a
 * subtree sorts as if its name ended in "/". No git document specifies the layout; this follows the
 * reader, tree-walk.c `decode_tree_entry`, and the writers' order, read-cache.c `base_name_compare`
 * (the same order git-mktree produces). Modes are kept as stored ("40000", "100644", even odd historic
 * ones like "100664"); the entry's object type follows git's `canon_mode`: a directory mode is a
 * tree, 160000 (and anything git cannot classify) a gitlink to a commit, everything else a blob.
 *
 * Reading accepts what git reads: only the structure is checked (octal mode, non-empty name ended by
 * NUL, 20 id bytes), plus "no '/' in a name" in `parseTree` because paths are built from names.
 * The fsck rules against "." , ".." and ".git" entries (fsck.c `fsck_tree`, used by receive-pack
 * hardening) live in `validateTreeEntryName`. `forEachTreeEntry` is the allocation-free reader for
 * reachability walks over hundreds of thousands of entries.
 */

import { ProtocolError } from "../errors.ts";
import type { ObjectId } from "../git/object-id.ts";
import { OID_BYTES, isObjectId, oidFromBytes, oidToBytesInto } from "../git/object-id.ts";
import { quoteBytes, quoteValue, utf8Decode, utf8Encode } from "../util/bytes.ts";

/** An entry's object type: "commit" is a gitlink (a submodule commit). */
export type TreeEntryType = "blob" | "tree" | "commit";

/** Artifacts' `ArtifactsTreeEntryType`. */
export type TreeEntryKind = "tree" | "blob" | "symlink" | "gitlink" | "exec";

/** One tree entry, e.g. `{ mode: "100644", name: "README.md", oid: "…", type: "blob" }`. */
export interface TreeEntry {
  /** Octal mode as stored: "100644", "100755", "120000", "40000", "160000" (old trees may hold others). */
  mode: string;
  name: string;
  oid: ObjectId;
  type: TreeEntryType;
}

/** What `serializeTree` needs; `type` is implied by `mode`. */
export type TreeEntryInput = Pick<TreeEntry, "mode" | "name" | "oid">;

/** Called by `forEachTreeEntry` with the numeric mode, the name's byte range and the offset of the 20 raw id bytes. */
export type TreeEntryVisitor = (modeBits: number, nameStart: number, nameEnd: number, oidOffset: number) => void;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFGITLINK = 0o160000;

/** True when `modeBits` is a subtree. Example: `isTreeMode(0o40000) === true`. */
export function isTreeMode(modeBits: number): boolean {
  return (modeBits & S_IFMT) === S_IFDIR;
}

/** True when git treats `modeBits` as a gitlink (160000, and any type git cannot classify, as `canon_mode` does). */
export function isGitlinkMode(modeBits: number): boolean {
  const format = modeBits & S_IFMT;
  return format !== S_IFDIR && format !== S_IFREG && format !== S_IFLNK;
}

/** The object type an entry with `modeBits` points to. Example: `treeEntryType(0o160000) === "commit"`. */
export function treeEntryType(modeBits: number): TreeEntryType {
  if (isTreeMode(modeBits)) return "tree";
  return isGitlinkMode(modeBits) ? "commit" : "blob";
}

/**
 * Artifacts' entry type for a mode string or number: "exec" when the owner execute bit is set on a
 * regular file (git's `ce_permissions` looks at that bit only). Example: `treeEntryKind("100755") === "exec"`.
 */
export function treeEntryKind(mode: string | number): TreeEntryKind {
  const bits = typeof mode === "number" ? mode : parseModeString(mode);
  const format = bits & S_IFMT;
  if (format === S_IFDIR) return "tree";
  if (format === S_IFLNK) return "symlink";
  if (format !== S_IFREG) return "gitlink";
  return bits & 0o100 ? "exec" : "blob";
}

/**
 * Walks the entries of a tree without allocating: for each entry calls `visit` with the mode bits,
 * the name's byte range and the offset of its raw id; returns the number of entries. Throws
 * ProtocolError("ERR_OBJECT") on a structural error (bad mode, empty or unterminated name, short id).
 * Example: `forEachTreeEntry(content, (mode, s, e, id) => { if (isTreeMode(mode)) queue(content, id); })`.
 */
export function forEachTreeEntry(content: Uint8Array, visit: TreeEntryVisitor): number {
  let pos = 0;
  let count = 0;
  while (pos < content.length) {
    let mode = 0;
    let i = pos;
    for (; i < content.length && content[i] !== 0x20; i++) {
      const digit = content[i]! - 0x30;
      if (digit < 0 || digit > 7) throw badMode(content, pos);
      mode = ((mode << 3) | digit) >>> 0; // unsigned int arithmetic, as in tree-walk.c get_mode
    }
    if (i === pos || i === content.length) throw badMode(content, pos);
    const nameStart = i + 1;
    // A plain loop: names are short, and a native indexOf call costs more than scanning them.
    let nameEnd = nameStart;
    while (nameEnd < content.length && content[nameEnd] !== 0) nameEnd++;
    if (nameEnd === content.length) throw treeError(pos, "has no NUL after its name");
    if (nameEnd === nameStart) throw treeError(pos, "has an empty name");
    if (nameEnd + 1 + OID_BYTES > content.length) throw treeError(pos, `is cut short: expected ${OID_BYTES} id bytes after the name`);
    visit(mode, nameStart, nameEnd, nameEnd + 1);
    pos = nameEnd + 1 + OID_BYTES;
    count++;
  }
  return count;
}

function badMode(content: Uint8Array, pos: number): ProtocolError {
  const end = Math.min(content.length, pos + 16);
  return treeError(pos, `has mode ${quoteBytes(content.subarray(pos, end))}, expected octal digits followed by a space`);
}

function treeError(pos: number, problem: string): ProtocolError {
  return new ProtocolError("ERR_OBJECT", `Cannot parse tree: entry at offset ${pos} ${problem}`);
}

/**
 * Parses a tree's content (without the `tree <size>\0` header). Names are decoded as UTF-8
 * (invalid sequences become U+FFFD). Throws ProtocolError("ERR_OBJECT") on a structural error or a
 * name containing "/". Example: `parseTree(content).map((e) => e.name)`.
 */
export function parseTree(content: Uint8Array): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let entryStart = 0;
  forEachTreeEntry(content, (bits, nameStart, nameEnd, oidOffset) => {
    const slash = content.indexOf(0x2f, nameStart);
    if (slash >= 0 && slash < nameEnd) {
      throw treeError(entryStart, `has name ${quoteBytes(content.subarray(nameStart, nameEnd))} containing "/"`);
    }
    entries.push({
      mode: modeString(content, entryStart, nameStart - 1, bits),
      name: decodeName(content, nameStart, nameEnd),
      oid: oidFromBytes(content, oidOffset),
      type: treeEntryType(bits),
    });
    entryStart = oidOffset + OID_BYTES;
  });
  return entries;
}

// The five modes git writes today, so parsing a tree does not build a mode string per entry.
const COMMON_MODES = new Map<number, string>(
  ["100644", "100755", "40000", "120000", "160000"].map((m) => [parseInt(m, 8), m]),
);

/** The stored mode text `start..end`; shared strings for the common spellings. */
function modeString(content: Uint8Array, start: number, end: number, bits: number): string {
  const common = COMMON_MODES.get(bits);
  // A zero-padded mode ("040000") has the same bits as "40000" but must keep its spelling.
  if (common !== undefined && common.length === end - start) return common;
  return String.fromCharCode.apply(null, Array.from(content.subarray(start, end)));
}

const NAME_CHARS: number[] = [];

/** Decodes a name; ASCII names skip TextDecoder (measured faster for short strings in Bun and Deno). */
function decodeName(content: Uint8Array, start: number, end: number): string {
  NAME_CHARS.length = end - start;
  for (let i = start; i < end; i++) {
    const c = content[i]!;
    if (c >= 0x80) return utf8Decode(content.subarray(start, end));
    NAME_CHARS[i - start] = c;
  }
  return String.fromCharCode.apply(null, NAME_CHARS);
}

/**
 * Serializes entries in git's order (subtrees compared as if their names ended in "/"); the input
 * order does not matter. Throws ProtocolError("ERR_OBJECT") on a mode that is not octal digits, an
 * empty name or one containing "/" or NUL, a malformed id, or two entries with the same name.
 * Example: `serializeTree([{ mode: "100644", name: "a", oid }])`.
 */
export function serializeTree(entries: readonly TreeEntryInput[]): Uint8Array {
  const prepared = entries.map(prepareEntry);
  rejectDuplicates(entries);
  prepared.sort(compareEntries);
  let size = 0;
  for (const e of prepared) size += e.mode.length + 1 + e.name.length + 1 + OID_BYTES;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const e of prepared) {
    out.set(e.mode, pos);
    out[pos + e.mode.length] = 0x20;
    pos += e.mode.length + 1;
    out.set(e.name, pos);
    pos += e.name.length + 1; // the NUL is already 0
    oidToBytesInto(e.oid, out, pos);
    pos += OID_BYTES;
  }
  return out;
}

interface PreparedEntry {
  mode: Uint8Array;
  name: Uint8Array;
  isTree: boolean;
  oid: ObjectId;
}

function prepareEntry(entry: TreeEntryInput): PreparedEntry {
  const bits = parseModeString(entry.mode);
  if (entry.name.length === 0 || /[/\0]/.test(entry.name)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot serialize tree: entry name ${quoteValue(entry.name)} is empty or contains "/" or NUL`);
  }
  if (!isObjectId(entry.oid)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot serialize tree: entry ${quoteValue(entry.name)} has id ${quoteValue(String(entry.oid))}, expected 40 lowercase hex digits`);
  }
  return { mode: utf8Encode(entry.mode), name: utf8Encode(entry.name), isTree: isTreeMode(bits), oid: entry.oid };
}

function rejectDuplicates(entries: readonly TreeEntryInput[]): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name)) throw new ProtocolError("ERR_OBJECT", `Cannot serialize tree: duplicate entry name ${quoteValue(name)}`);
    seen.add(name);
  }
}

/** read-cache.c `base_name_compare`: bytes, then a subtree's end counts as "/" and a blob's as NUL. */
function compareEntries(a: PreparedEntry, b: PreparedEntry): number {
  const x = a.name;
  const y = b.name;
  const len = Math.min(x.length, y.length);
  for (let i = 0; i < len; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  const cx = len < x.length ? x[len]! : a.isTree ? 0x2f : 0;
  const cy = len < y.length ? y[len]! : b.isTree ? 0x2f : 0;
  return cx - cy;
}

/**
 * Parses an octal mode string with the same unsigned 32-bit arithmetic as `forEachTreeEntry`, so
 * every mode a parsed tree holds is accepted back. Throws ProtocolError("ERR_OBJECT") unless it is
 * made of octal digits.
 */
function parseModeString(mode: string): number {
  if (!/^[0-7]+$/.test(mode)) {
    throw new ProtocolError("ERR_OBJECT", `Invalid tree entry mode ${quoteValue(mode)}: expected octal digits such as "100644" or "40000"`);
  }
  let bits = 0;
  for (let i = 0; i < mode.length; i++) bits = ((bits << 3) | (mode.charCodeAt(i) - 0x30)) >>> 0;
  return bits;
}

/**
 * fsck's name rules for entries received in a push (fsck.c `fsck_tree`, `verify_path` in
 * read-cache.c): rejects empty names, names containing "/" or NUL, "." and "..", and every spelling
 * of ".git" that some filesystem would treat as the repository directory: any case (".GIT"), NTFS
 * trailing dots and spaces or a stream suffix (".git. ", ".git::$INDEX_ALLOCATION"), the 8.3 short
 * name "git~1", and HFS+ ignorable code points (".g\u200Cit"). Throws ProtocolError("ERR_OBJECT").
 * Example: `validateTreeEntryName(".Git")` throws.
 */
export function validateTreeEntryName(name: string): void {
  const problem = treeEntryNameProblem(name);
  if (problem !== null) throw new ProtocolError("ERR_OBJECT", `Invalid tree entry name ${quoteValue(name)}: ${problem}`);
}

function treeEntryNameProblem(name: string): string | null {
  if (name.length === 0) return "expected a non-empty name";
  if (name.includes("/") || name.includes("\0")) return 'must not contain "/" or NUL';
  if (name === "." || name === "..") return 'must not be "." or ".."';
  if (isNtfsDotGit(name) || isHfsDotGit(name)) return 'must not name the ".git" directory on any filesystem';
  return null;
}

/** ".git" or "git~1" in any case, followed only by dots and spaces up to the end, a ":" or a separator. */
function isNtfsDotGit(name: string): boolean {
  const lower = name.toLowerCase();
  let rest: number;
  if (lower.startsWith(".git")) rest = 4;
  else if (lower.startsWith("git~1")) rest = 5;
  else return false;
  for (let i = rest; i < name.length; i++) {
    const c = name[i];
    if (c === ":" || c === "\\" || c === "/") return true;
    if (c !== "." && c !== " ") return false;
  }
  return true;
}

// Code points HFS+ ignores when comparing names (utf8.c `next_hfs_char`).
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

function isHfsDotGit(name: string): boolean {
  return name.replace(HFS_IGNORED, "").toLowerCase() === ".git";
}
