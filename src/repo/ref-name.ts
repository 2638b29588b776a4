/**
 * @module repo/ref-name
 * Which ref names the server accepts (git-check-ref-format "DESCRIPTION", refs.c
 * `check_refname_format`), with receive-pack's rule on top: builtin/receive-pack.c `update()`
 * refuses a "funny refname" unless the name starts with "refs/" and the rest passes
 * `check_refname_format(name + 5, 0)`, so "refs/foo" is refused while "refs/foo/bar" is taken.
 * We also cap the length and require valid UTF-8 (git accepts any byte ≥ 0x80; our refs are
 * JSON strings). Also: branch names for `default_branch`, and git's byte order for listing refs.
 */

import { DEFAULT_LIMITS } from "../limits.ts";
import { quoteValue, utf8ByteLength, utf8DecodeStrict } from "../util/bytes.ts";

/**
 * Returns null when `name` is a ref a push may create, else the reason, phrased to follow
 * `Invalid ref name "<name>": ` (e.g. `must not contain ".."`). Pass the raw bytes from the wire
 * when you have them so invalid UTF-8 is caught before any lossy decoding.
 * Example: `checkRefFormat("refs/heads/main") === null`, `checkRefFormat("refs/heads/a..b")` → `must not contain ".."`.
 */
export function checkRefFormat(name: string | Uint8Array, maxBytes: number = DEFAULT_LIMITS.maxRefNameBytes): string | null {
  if (typeof name !== "string") {
    if (name.length > maxBytes) return tooLong(name.length, maxBytes);
    try {
      name = utf8DecodeStrict(name);
    } catch {
      return "must be valid UTF-8";
    }
  } else {
    if (hasLoneSurrogate(name)) return "must be valid UTF-8";
    const bytes = utf8ByteLength(name);
    if (bytes > maxBytes) return tooLong(bytes, maxBytes);
  }
  if (!name.startsWith("refs/")) return 'must start with "refs/"';
  const reason = checkRefnameFormat(name.slice(5));
  if (reason === ONE_LEVEL) return 'must have at least two components after "refs/", like "refs/heads/main"';
  return reason;
}

function tooLong(bytes: number, maxBytes: number): string {
  return `must be at most ${maxBytes} bytes of UTF-8, got ${bytes}`;
}

const ONE_LEVEL = 'must contain at least one "/"';

/**
 * git's own `check_refname_format` (what `git check-ref-format [--allow-onelevel] <name>` checks),
 * without the "refs/" prefix rule or a length cap; null when valid, else the reason.
 * Example: `checkRefnameFormat("heads/main") === null`, `checkRefnameFormat("main", { allowOnelevel: true }) === null`.
 */
export function checkRefnameFormat(name: string, options: { allowOnelevel?: boolean } = {}): string | null {
  if (name === "@") return 'must not be "@"';
  if (name.length === 0) return "must not be empty";
  if (hasLoneSurrogate(name)) return "must be valid UTF-8";
  let components = 0;
  let start = 0;
  for (;;) {
    const end = componentEnd(name, start);
    if (typeof end === "string") return end;
    if (end === start) return emptyComponent(name, start);
    const problem = componentProblem(name, start, end);
    if (problem !== null) return problem;
    components++;
    if (end === name.length) break;
    start = end + 1;
  }
  if (name.endsWith(".")) return 'must not end with "."';
  if (components < 2 && options.allowOnelevel !== true) return ONE_LEVEL;
  return null;
}

/**
 * Where the component starting at `start` ends (the next "/" or the end), or the reason it is bad:
 * refs.c `refname_disposition` rejects control characters, space, ~ ^ : ? * [ \ and DEL anywhere,
 * and the sequences ".." and "@{". Characters from U+0080 up are all allowed.
 */
function componentEnd(name: string, start: number): number | string {
  let last = 0;
  for (let i = start; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f) return i;
    if (c < 0x80 && BAD_CHAR[c] === 1) return `must not contain ${describeChar(c)}`;
    if (c === 0x2e && last === 0x2e) return 'must not contain ".."';
    if (c === 0x7b && last === 0x40) return 'must not contain "@{"';
    last = c;
  }
  return name.length;
}

function componentProblem(name: string, start: number, end: number): string | null {
  if (name.charCodeAt(start) === 0x2e) return 'must not have a component starting with "."';
  if (end - start >= 5 && name.startsWith(".lock", end - 5)) return 'must not have a component ending with ".lock"';
  return null;
}

function emptyComponent(name: string, start: number): string {
  if (start === 0) return 'must not start with "/"';
  if (start === name.length) return 'must not end with "/"';
  return 'must not contain "//"';
}

const BAD_CHAR = buildBadChars();

function buildBadChars(): Uint8Array {
  const table = new Uint8Array(128);
  for (let c = 0; c < 0x20; c++) table[c] = 1;
  for (const c of " ~^:?*[\\\x7f") table[c.charCodeAt(0)] = 1;
  return table;
}

function describeChar(c: number): string {
  if (c === 0x20) return "a space";
  if (c < 0x20 || c === 0x7f) return `the control character ${JSON.stringify(String.fromCharCode(c)).slice(1, -1)}`;
  return JSON.stringify(String.fromCharCode(c));
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return true;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/**
 * Null when `short` may be a branch (`git check-ref-format --branch`: `refs/heads/<short>` must be a
 * valid ref, and, as in object-name.c `strbuf_check_branch_ref`, it may not start with "-" or be
 * "HEAD"), else the reason. Example: `checkBranchName("feature/x") === null`.
 */
export function checkBranchName(short: string, maxBytes: number = DEFAULT_LIMITS.maxRefNameBytes): string | null {
  if (short.startsWith("-")) return 'must not start with "-"';
  if (short === "HEAD") return 'must not be "HEAD"';
  return checkRefFormat(`refs/heads/${short}`, maxBytes);
}

/** True when `short` is a valid branch name, e.g. a repository's `default_branch`. Example: `isValidBranchName("main") === true`. */
export function isValidBranchName(short: string, maxBytes?: number): boolean {
  return checkBranchName(short, maxBytes) === null;
}

/**
 * Orders ref names as git does (by bytes of their UTF-8 form, like `strcmp`), for advertisements
 * and listings. JavaScript's `<` compares UTF-16 units, which disagrees for characters above U+FFFF
 * against U+E000–U+FFFF; this compares code points, which is the UTF-8 byte order.
 * Example: `["refs/b", "refs/a"].sort(refSortCompare)`.
 */
export function refSortCompare(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUp(x) - fixUp(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (U+D800–U+DFFF) above U+E000–U+FFFF so unit order becomes code point order. */
function fixUp(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** `Invalid ref name "<name>": <reason>`, the message style for errors built from a reason. */
export function refNameError(name: string, reason: string): string {
  return `Invalid ref name ${quoteValue(name)}: ${reason}`;
}
