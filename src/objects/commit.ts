/**
 * @module objects/commit
 * Commit objects (gitformat-signature "Commit signatures", git-commit-tree, commit.c
 * `parse_commit_buffer`): a header block of `key value` lines — `tree`, `parent`*, `author`,
 * `committer`, then optional `encoding`, extra headers such as `mergetag`, and `gpgsig` — where a
 * line starting with a space continues the previous header's value; then a blank line and the
 * message. Two readers: `parseCommit` for content reads, and `scanCommitLinks`/`readCommitLinks`,
 * which read only the tree, parents and committer time for graph walks without decoding text.
 *
 * The header helpers at the bottom are shared with tag objects (objects/tag.ts), whose layout is
 * the same.
 */

import { ProtocolError } from "../errors.ts";
import type { ObjectId } from "../git/object-id.ts";
import { isObjectId } from "../git/object-id.ts";
import { quoteValue, utf8Decode, utf8Encode } from "../util/bytes.ts";
import { type Ident, formatIdent, parseIdent } from "./person.ts";

/** A parsed commit. `extraHeaders` keeps every other header, in order, with continuation lines joined by "\n". */
export interface Commit {
  tree: ObjectId;
  parents: ObjectId[];
  author: Ident;
  committer: Ident;
  /** The `encoding` header (absent means UTF-8). */
  encoding?: string;
  /** The `gpgsig` header: an armored signature over the commit without this header. */
  gpgsig?: string;
  extraHeaders: [string, string][];
  /** Bytes after the blank line that ends the headers, decoded as UTF-8 (invalid sequences become U+FFFD). */
  message: string;
}

/** What a graph walk needs from a commit. */
export interface CommitLinks {
  tree: ObjectId;
  parents: ObjectId[];
  /**
   * Committer time in Unix seconds; 0 when there is no readable date (as in git). Like commit.c
   * `parse_commit_date` it reads the number after the last ">" even without a zone, where
   * `parseIdent` (like ident.c `split_ident_line`) reports 0: git is inconsistent here too.
   */
  committerTime: number;
}

/**
 * Parses a commit's content (without the `commit <size>\0` header). Throws ProtocolError("ERR_OBJECT")
 * when the first line is not `tree <id>`, an id is malformed, or author or committer is missing.
 * Example: `parseCommit(content).parents.length > 1` for a merge.
 */
export function parseCommit(content: Uint8Array): Commit {
  const { headers, message } = parseObjectText(content, "commit");
  const tree = headerOid(headers, 0, "tree", "commit");
  const parents: ObjectId[] = [];
  let i = 1;
  for (; i < headers.length && headers[i]![0] === "parent"; i++) parents.push(headerOid(headers, i, "parent", "commit"));
  const lifted: Lifted = { extraHeaders: [] };
  for (; i < headers.length; i++) liftHeader(lifted, headers[i]!);
  const { author, committer, encoding, gpgsig, extraHeaders } = lifted;
  if (author === undefined || committer === undefined) {
    const missing = author === undefined ? "author" : "committer";
    throw new ProtocolError("ERR_OBJECT", `Cannot parse commit: no "${missing}" header, expected "${missing} Name <email> <seconds> <+hhmm>"`);
  }
  const commit: Commit = { tree, parents, author, committer, extraHeaders, message };
  if (encoding !== undefined) commit.encoding = encoding;
  if (gpgsig !== undefined) commit.gpgsig = gpgsig;
  return commit;
}

type Lifted = Partial<Pick<Commit, "author" | "committer" | "encoding" | "gpgsig">> & Pick<Commit, "extraHeaders">;

/** Files a header under its field; only the first author, committer, encoding and gpgsig are lifted. */
function liftHeader(fields: Lifted, header: [string, string]): void {
  const [key, value] = header;
  if (key === "author" && fields.author === undefined) fields.author = parseIdent(value);
  else if (key === "committer" && fields.committer === undefined) fields.committer = parseIdent(value);
  else if (key === "encoding" && fields.encoding === undefined) fields.encoding = value;
  else if (key === "gpgsig" && fields.gpgsig === undefined) fields.gpgsig = value;
  else fields.extraHeaders.push(header);
}

/**
 * Serializes a commit in git's header order: tree, parents, author, committer, encoding, extra
 * headers, gpgsig (commit.c `commit_tree_extended` writes extras after encoding and signing inserts
 * gpgsig at the end of the header). Every commit git writes round-trips byte for byte as long as
 * its text is valid UTF-8; a hand-made commit with headers in another order or without the blank
 * line comes back in git's layout (stored objects are kept as bytes, so this only matters when
 * writing new commits), and parsing that layout gives back the same Commit (a second gpgsig kept in
 * `extraHeaders` is written after the lifted one). Throws ProtocolError("ERR_OBJECT") on a malformed id, ident or header key.
 */
export function serializeCommit(commit: Commit): Uint8Array {
  const lines = [formatHeader("tree", checkOid(commit.tree, "tree", "commit"))];
  for (const parent of commit.parents) lines.push(formatHeader("parent", checkOid(parent, "parent", "commit")));
  lines.push(formatHeader("author", formatIdent(commit.author)));
  lines.push(formatHeader("committer", formatIdent(commit.committer)));
  if (commit.encoding !== undefined) lines.push(formatHeader("encoding", commit.encoding));
  let signed = commit.gpgsig === undefined;
  for (const [key, value] of commit.extraHeaders) {
    // parseCommit lifts the first gpgsig and keeps later ones as extras: write it before them.
    if (!signed && key === "gpgsig") {
      lines.push(formatHeader("gpgsig", commit.gpgsig!));
      signed = true;
    }
    lines.push(formatHeader(key, value));
  }
  if (!signed) lines.push(formatHeader("gpgsig", commit.gpgsig!));
  return utf8Encode(`${lines.join("")}\n${commit.message}`);
}

/**
 * Reads a commit's tree, parents and committer time without decoding the message (hot path of
 * graph walks). Same id validation as `parseCommit`.
 * Example: `readCommitLinks(content).parents[0]` is the first parent.
 */
export function readCommitLinks(content: Uint8Array): CommitLinks {
  let tree = "";
  const parents: ObjectId[] = [];
  const committerTime = scanCommitLinks(content, (hexOffset, isTree) => {
    const oid = hexOidAt(content, hexOffset);
    if (isTree) tree = oid;
    else parents.push(oid);
  });
  return { tree, parents, committerTime };
}

const TREE = utf8Encode("tree ");
const PARENT = utf8Encode("parent ");
const COMMITTER = utf8Encode("committer ");
const LF = 0x0a;

/**
 * The allocation-free core of `readCommitLinks`: calls `visit` with the offset of each 40-hex id
 * (the tree first, then the parents in order) and returns the committer time. An indexer can turn
 * the hex into raw bytes in place with `hexOidToBytesInto`.
 */
export function scanCommitLinks(content: Uint8Array, visit: (hexOffset: number, isTree: boolean) => void): number {
  if (!startsWithAt(content, 0, TREE) || !isOidLine(content, TREE.length)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot parse commit: first line ${quoteLine(content, 0)} is not "tree <40 lowercase hex digits>"`);
  }
  visit(TREE.length, true);
  let pos = TREE.length + 41;
  while (startsWithAt(content, pos, PARENT)) {
    if (!isOidLine(content, pos + PARENT.length)) {
      throw new ProtocolError("ERR_OBJECT", `Cannot parse commit: ${quoteLine(content, pos)} is not "parent <40 lowercase hex digits>"`);
    }
    visit(pos + PARENT.length, false);
    pos += PARENT.length + 41;
  }
  return committerTime(content, pos);
}

/** Finds the first `committer` header line from `pos` and reads its date, as commit.c `parse_commit_date` does. */
function committerTime(content: Uint8Array, pos: number): number {
  while (pos < content.length && content[pos] !== LF) {
    let end = content.indexOf(LF, pos);
    if (end < 0) end = content.length;
    if (startsWithAt(content, pos, COMMITTER)) return identTime(content, pos + COMMITTER.length, end);
    pos = end + 1;
  }
  return 0;
}

/** The decimal after the last ">" of an ident line (bytes `start..end`), or 0. */
function identTime(content: Uint8Array, start: number, end: number): number {
  let i = end - 1;
  while (i >= start && content[i] !== 0x3e) i--;
  if (i < start) return 0;
  i++;
  while (i < end && (content[i] === 0x20 || content[i] === 0x09)) i++;
  let value = 0;
  for (; i < end; i++) {
    const digit = content[i]! - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

// ---- Shared with objects/tag.ts -------------------------------------------------------------------

/** Headers and message of a commit or tag. */
export interface ObjectText {
  headers: [string, string][];
  message: string;
}

/**
 * Splits commit or tag content into headers (continuation lines joined by "\n", a key-only line has
 * value "") and the message after the first blank line ("" when there is none).
 * Throws ProtocolError("ERR_OBJECT") when the content starts with a continuation line.
 */
export function parseObjectText(content: Uint8Array, what: string): ObjectText {
  const end = headerEnd(content);
  const headers: [string, string][] = [];
  // The last header's own "\n" is not a line of its own.
  const textEnd = end > 0 && content[end - 1] === LF ? end - 1 : end;
  if (textEnd > 0) {
    const lines = utf8Decode(content.subarray(0, textEnd)).split("\n");
    for (const line of lines) addHeaderLine(headers, line, what);
  }
  const message = end + 1 < content.length ? utf8Decode(content.subarray(end + 1)) : "";
  return { headers, message };
}

/** Index of the "\n" that is the blank line ending the header block, or the content length. */
function headerEnd(content: Uint8Array): number {
  if (content[0] === LF) return 0;
  let i = content.indexOf(LF);
  while (i >= 0 && i + 1 < content.length) {
    if (content[i + 1] === LF) return i + 1;
    i = content.indexOf(LF, i + 1);
  }
  return content.length;
}

function addHeaderLine(headers: [string, string][], line: string, what: string): void {
  if (line.charCodeAt(0) === 0x20) {
    const last = headers[headers.length - 1];
    if (last === undefined) {
      throw new ProtocolError("ERR_OBJECT", `Cannot parse ${what}: continuation line ${quoteValue(line)} has no header before it`);
    }
    last[1] += `\n${line.slice(1)}`;
    return;
  }
  const space = line.indexOf(" ");
  headers.push(space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)]);
}

/** One header as git writes it (commit.c `add_extra_header`): continuation lines get a leading space. */
export function formatHeader(key: string, value: string): string {
  if (key.length === 0 || /[ \n\0]/.test(key)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot serialize header key ${quoteValue(key)}: expected a non-empty word without spaces or newlines`);
  }
  if (value.length === 0) return `${key}\n`;
  return `${key} ${value.replaceAll("\n", "\n ")}\n`;
}

/** The id in header `index`, which must be `key`; throws ProtocolError("ERR_OBJECT") otherwise. */
export function headerOid(headers: [string, string][], index: number, key: string, what: string): ObjectId {
  const header = headers[index];
  if (header === undefined || header[0] !== key || !isObjectId(header[1])) {
    const shown = header === undefined ? "nothing" : quoteValue(`${header[0]} ${header[1]}`);
    throw new ProtocolError("ERR_OBJECT", `Cannot parse ${what}: found ${shown} where "${key} <40 lowercase hex digits>" was expected`);
  }
  return header[1];
}

/** Returns `oid` when it is an object id; throws ProtocolError("ERR_OBJECT") naming the header otherwise. */
export function checkOid(oid: ObjectId, key: string, what: string): ObjectId {
  if (!isObjectId(oid)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot serialize ${what}: ${key} ${quoteValue(String(oid))} is not 40 lowercase hex digits`);
  }
  return oid;
}

/** True when `content` holds `prefix` at `pos`. */
export function startsWithAt(content: Uint8Array, pos: number, prefix: Uint8Array): boolean {
  if (pos + prefix.length > content.length) return false;
  for (let i = 0; i < prefix.length; i++) if (content[pos + i] !== prefix[i]) return false;
  return true;
}

/** True when `content` holds 40 lowercase hex digits and a "\n" at `pos`. */
export function isOidLine(content: Uint8Array, pos: number): boolean {
  if (pos + 41 > content.length || content[pos + 40] !== LF) return false;
  for (let i = pos; i < pos + 40; i++) {
    const c = content[i]!;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

const HEX_CHARS: number[] = new Array<number>(40).fill(0);

/**
 * The 40 hex characters at `offset` as an id; the caller has validated them (`isOidLine`).
 * Filling a reused array and one `fromCharCode` call measured faster than TextDecoder in Deno and
 * Bun and on par in Node.
 */
export function hexOidAt(content: Uint8Array, offset: number): ObjectId {
  for (let i = 0; i < 40; i++) HEX_CHARS[i] = content[offset + i]!;
  return String.fromCharCode.apply(null, HEX_CHARS);
}

/** Writes the 20 raw bytes of the validated 40 hex digits at `hexOffset` into `target` at `targetOffset`. */
export function hexOidToBytesInto(content: Uint8Array, hexOffset: number, target: Uint8Array, targetOffset: number): void {
  for (let i = 0; i < 20; i++) {
    target[targetOffset + i] = (hexNibble(content[hexOffset + 2 * i]!) << 4) | hexNibble(content[hexOffset + 2 * i + 1]!);
  }
}

function hexNibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

/** The line of `content` starting at `pos`, quoted for an error message. */
export function quoteLine(content: Uint8Array, pos: number): string {
  let end = content.indexOf(LF, pos);
  if (end < 0) end = content.length;
  return quoteValue(utf8Decode(content.subarray(pos, Math.min(end, pos + 100))));
}
