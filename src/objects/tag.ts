/**
 * @module objects/tag
 * Annotated tag objects (git-mktag "DESCRIPTION", tag.c `parse_tag_buffer`): headers `object <id>`,
 * `type <type>`, `tag <name>`, an optional `tagger <ident>` (very old tags have none), possibly more
 * headers, then a blank line and the message. A signature of a SHA-1 tag is part of the message
 * (gitformat-signature "Tag signatures"). `readTagTarget` is the fast reader used to peel tags.
 */

import { ProtocolError } from "../errors.ts";
import type { ObjectId } from "../git/object-id.ts";
import type { ObjectType } from "../git/object-type.ts";
import { isObjectType } from "../git/object-type.ts";
import { quoteValue, utf8Encode } from "../util/bytes.ts";
import { checkOid, formatHeader, headerOid, hexOidAt, isOidLine, parseObjectText, quoteLine, startsWithAt } from "./commit.ts";
import { type Ident, formatIdent, parseIdent } from "./person.ts";

/** A parsed annotated tag. `extraHeaders` keeps any other header, in order. */
export interface Tag {
  object: ObjectId;
  type: ObjectType;
  /** The tag's name as recorded in the object (normally the ref name without "refs/tags/"). */
  tag: string;
  tagger?: Ident;
  extraHeaders: [string, string][];
  /** Bytes after the blank line, decoded as UTF-8 (invalid sequences become U+FFFD); includes any signature. */
  message: string;
}

/** The object a tag points to. */
export interface TagTarget {
  object: ObjectId;
  type: ObjectType;
}

/**
 * Parses a tag's content (without the `tag <size>\0` header). Throws ProtocolError("ERR_OBJECT")
 * unless it starts with `object <id>` and `type <type>` and has a `tag` header.
 * Example: `parseTag(content).object` is the tagged object's id.
 */
export function parseTag(content: Uint8Array): Tag {
  const { headers, message } = parseObjectText(content, "tag");
  const object = headerOid(headers, 0, "object", "tag");
  const type = headerType(headers[1]);
  let name: string | undefined;
  let tagger: Ident | undefined;
  const extraHeaders: [string, string][] = [];
  for (let i = 2; i < headers.length; i++) {
    const [key, value] = headers[i]!;
    if (key === "tag" && name === undefined) name = value;
    else if (key === "tagger" && tagger === undefined) tagger = parseIdent(value);
    else extraHeaders.push(headers[i]!);
  }
  if (name === undefined) throw new ProtocolError("ERR_OBJECT", 'Cannot parse tag: no "tag" header, expected "tag <name>"');
  const tag: Tag = { object, type, tag: name, extraHeaders, message };
  if (tagger !== undefined) tag.tagger = tagger;
  return tag;
}

function headerType(header: [string, string] | undefined): ObjectType {
  if (header === undefined || header[0] !== "type" || !isObjectType(header[1])) {
    const shown = header === undefined ? "nothing" : quoteValue(`${header[0]} ${header[1]}`);
    throw new ProtocolError("ERR_OBJECT", `Cannot parse tag: found ${shown} where "type commit|tree|blob|tag" was expected`);
  }
  return header[1];
}

/**
 * Serializes a tag in git's order: object, type, tag, tagger, extra headers, blank line, message.
 * Throws ProtocolError("ERR_OBJECT") on a malformed id, type, name or ident.
 */
export function serializeTag(tag: Tag): Uint8Array {
  if (!isObjectType(tag.type)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot serialize tag: type ${quoteValue(String(tag.type))} is not commit, tree, blob or tag`);
  }
  if (tag.tag.includes("\n")) throw new ProtocolError("ERR_OBJECT", `Cannot serialize tag: name ${quoteValue(tag.tag)} contains a newline`);
  let text = formatHeader("object", checkOid(tag.object, "object", "tag")) + formatHeader("type", tag.type);
  text += formatHeader("tag", tag.tag);
  if (tag.tagger !== undefined) text += formatHeader("tagger", formatIdent(tag.tagger));
  for (const [key, value] of tag.extraHeaders) text += formatHeader(key, value);
  return utf8Encode(`${text}\n${tag.message}`);
}

const OBJECT = utf8Encode("object ");
const TYPE = utf8Encode("type ");
const TYPE_NAMES: readonly [ObjectType, Uint8Array][] = (["commit", "tree", "blob", "tag"] as const).map((t) => [t, utf8Encode(`${t}\n`)]);

/**
 * Reads only the target of a tag (peeling). Throws ProtocolError("ERR_OBJECT") unless the tag starts
 * with `object <id>` and `type <type>` lines. Example: `readTagTarget(content).type === "commit"`.
 */
export function readTagTarget(content: Uint8Array): TagTarget {
  if (!startsWithAt(content, 0, OBJECT) || !isOidLine(content, OBJECT.length)) {
    throw new ProtocolError("ERR_OBJECT", `Cannot parse tag: first line ${quoteLine(content, 0)} is not "object <40 lowercase hex digits>"`);
  }
  const typeLine = OBJECT.length + 41;
  if (startsWithAt(content, typeLine, TYPE)) {
    for (const [type, bytes] of TYPE_NAMES) {
      if (startsWithAt(content, typeLine + TYPE.length, bytes)) return { object: hexOidAt(content, OBJECT.length), type };
    }
  }
  throw new ProtocolError("ERR_OBJECT", `Cannot parse tag: second line ${quoteLine(content, typeLine)} is not "type commit|tree|blob|tag"`);
}
