/**
 * @module objects/person
 * Identity lines of commits and tags (`author`, `committer`, `tagger`):
 * `Name <email> <unix-seconds> <+hhmm>` (git-commit-tree "Commit Information", git-fast-import
 * "`committer`" for the raw date format). Parsing is as tolerant as git's own reader
 * (ident.c `split_ident_line`): the e-mail is what lies between the first "<" and the next ">",
 * the date is read after the last ">", and a missing or broken date is not an error. Only a line
 * without "<" and ">" is rejected. fsck-level strictness is not applied on read.
 */

import { ProtocolError } from "../errors.ts";
import { quoteValue } from "../util/bytes.ts";

/** One identity, e.g. `{ name: "A U Thor", email: "a@example.com", timestamp: 1700000000, timezone: "+0100" }`. */
export interface Ident {
  name: string;
  email: string;
  /** Unix seconds; 0 when the line carries no readable date. */
  timestamp: number;
  /** The zone exactly as stored, normally "+hhmm" or "-hhmm"; "+0000" when the line carries none. */
  timezone: string;
  /**
   * The line as stored, present only when it is not in the canonical form `formatIdent` writes
   * (odd spacing, no date, leading zeros, trailing junk) or holds a name or e-mail it would refuse
   * (a ">" in the name, a "<" in the e-mail, NUL). `formatIdent` writes it back while the
   * other fields still describe it, so old objects with such lines re-serialize byte for byte.
   */
  raw?: string;
}

/**
 * Parses an identity line (without the `author `/`committer `/`tagger ` key).
 * Throws ProtocolError("ERR_OBJECT") when there is no "<" with a ">" after it.
 * Example: `parseIdent("A <a@b> 1700000000 +0100")` → `{ name: "A", email: "a@b", timestamp: 1700000000, timezone: "+0100" }`.
 */
export function parseIdent(text: string): Ident {
  const lt = text.indexOf("<");
  const gt = lt < 0 ? -1 : text.indexOf(">", lt + 1);
  if (gt < 0) {
    throw new ProtocolError(
      "ERR_OBJECT",
      `Cannot parse identity ${quoteValue(text)}: expected "Name <email> <unix-seconds> <+hhmm>"`,
    );
  }
  const ident: Ident = {
    name: text.slice(0, trimEnd(text, lt)),
    email: text.slice(lt + 1, gt),
    timestamp: 0,
    timezone: "+0000",
  };
  readDate(text, ident);
  // A field formatIdent refuses to write (git reads ">" in a name or "<" in an e-mail) also keeps
  // the stored line, so the object still re-serializes.
  if (canonicalIdent(ident) !== text || !writable(ident.name) || !writable(ident.email)) ident.raw = text;
  return ident;
}

/**
 * Formats an identity line. Throws ProtocolError("ERR_OBJECT") when a field cannot be written
 * (a name or e-mail containing "<", ">" or a newline, a negative or fractional timestamp, a zone
 * that is not a sign followed by digits).
 * Example: `formatIdent({ name: "A", email: "a@b", timestamp: 0, timezone: "+0000" })` → `"A <a@b> 0 +0000"`.
 */
export function formatIdent(ident: Ident): string {
  if (ident.raw !== undefined && sameFields(parseIdent(ident.raw), ident)) return ident.raw;
  checkField(ident.name, "name");
  checkField(ident.email, "e-mail");
  if (!Number.isSafeInteger(ident.timestamp) || ident.timestamp < 0) {
    throw new ProtocolError("ERR_OBJECT", `Cannot format identity: timestamp ${ident.timestamp} is not a non-negative integer`);
  }
  if (!/^[+-][0-9]+$/.test(ident.timezone)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot format identity: timezone ${quoteValue(ident.timezone)} is not "+hhmm" or "-hhmm"`);
  }
  return canonicalIdent(ident);
}

function canonicalIdent(ident: Ident): string {
  return `${ident.name} <${ident.email}> ${ident.timestamp} ${ident.timezone}`;
}

function sameFields(a: Ident, b: Ident): boolean {
  return a.name === b.name && a.email === b.email && a.timestamp === b.timestamp && a.timezone === b.timezone;
}

/** Whether formatIdent can write `value` as a name or e-mail. */
function writable(value: string): boolean {
  return !/[<>\n\0]/.test(value);
}

function checkField(value: string, what: string): void {
  if (!writable(value)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot format identity: ${what} ${quoteValue(value)} contains "<", ">", a newline or NUL`);
  }
}

// git's isspace() (git-compat-util.h sane_ctype) is exactly these four.
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Index just past the last non-space character before `end`. */
function trimEnd(text: string, end: number): number {
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

/** Fills timestamp and timezone from the text after the last ">", as split_ident_line does. */
function readDate(text: string, ident: Ident): void {
  let i = skipSpaces(text, text.lastIndexOf(">") + 1);
  const dateStart = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i === dateStart) return;
  const dateEnd = i;
  i = skipSpaces(text, i);
  const sign = text.charCodeAt(i);
  if (sign !== 0x2b && sign !== 0x2d) return;
  const tzStart = i++;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i === tzStart + 1) return;
  const timestamp = Number(text.slice(dateStart, dateEnd));
  // Past 2^53 a number is no longer exact (and 400 digits are Infinity): git shows dates that
  // overflow as 0 (date.c date_overflows), so such a line reads as one without a date.
  if (!Number.isSafeInteger(timestamp)) return;
  ident.timestamp = timestamp;
  ident.timezone = text.slice(tzStart, i);
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}
