/**
 * @module repo/object-links
 * The outgoing links of an object, as the pack index stores them: a commit links to its tree then
 * its parents (type 2, then 1 each) and carries its committer time; a tree links to each entry
 * (2 tree, 3 blob or symlink, 1 gitlink); a tag links to its target with the target's type.
 * Extracted once at ingest so that reachability never needs to inflate an object again.
 */
import { scanCommitLinks, hexOidToBytesInto } from "../objects/commit.ts";
import { forEachTreeEntry, isGitlinkMode, isTreeMode } from "../objects/tree.ts";
import { readTagTarget } from "../objects/tag.ts";
import { oidToBytesInto } from "../git/object-id.ts";
import { packTypeOf } from "../git/object-type.ts";
import type { TypeCode } from "./object-pool.ts";

export interface Links {
  /** 20 bytes per link. */
  readonly ids: Uint8Array;
  /** Object type of each link target. */
  readonly types: Uint8Array;
  /** Committer time (commits), else 0. */
  readonly commitTime: number;
}

const NONE: Links = { ids: new Uint8Array(0), types: new Uint8Array(0), commitTime: 0 };

export function extractLinks(type: TypeCode, content: Uint8Array): Links {
  switch (type) {
    case 1:
      return commitLinks(content);
    case 2:
      return treeLinks(content);
    case 4: {
      const target = readTagTarget(content);
      const ids = new Uint8Array(20);
      oidToBytesInto(target.object, ids, 0);
      return { ids, types: Uint8Array.of(packTypeOf(target.type)), commitTime: 0 };
    }
    default:
      return NONE;
  }
}

function commitLinks(content: Uint8Array): Links {
  const offsets: number[] = [];
  const commitTime = scanCommitLinks(content, (hexOffset) => offsets.push(hexOffset));
  const ids = new Uint8Array(offsets.length * 20);
  const types = new Uint8Array(offsets.length).fill(1);
  types[0] = 2;
  for (let k = 0; k < offsets.length; k++) hexOidToBytesInto(content, offsets[k]!, ids, k * 20);
  return { ids, types, commitTime };
}

function treeLinks(content: Uint8Array): Links {
  const entries: number[] = [];
  forEachTreeEntry(content, (mode, _nameStart, _nameEnd, oidOffset) => {
    entries.push(oidOffset, isTreeMode(mode) ? 2 : isGitlinkMode(mode) ? 1 : 3);
  });
  const n = entries.length / 2;
  const ids = new Uint8Array(n * 20);
  const types = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const at = entries[2 * k]!;
    ids.set(content.subarray(at, at + 20), k * 20);
    types[k] = entries[2 * k + 1]!;
  }
  return { ids, types, commitTime: 0 };
}
