/**
 * @module api/content
 * Content reads of one repository, shared by the REST routes C1–C6 and the binding's `log`,
 * `readCommit`, `readTree`, `readBlob` and `readFile` (spec/artifacts-api.md §2.2–2.3, §3.3).
 *
 * A `RepoContent` is a snapshot: one pool view and one read of the refs, taken by `open`. Every
 * object it returns is reachable from this repository's own refs — a fork network shares one
 * object pool, and nothing pushed to a sibling may be readable here by hash — so an object that is
 * in the pool but not reachable is reported as absent. Reachability costs one graph walk, done at
 * most once per snapshot and only when a hash is not a ref tip (src/repo/reachability.ts).
 *
 * Ref names resolve as git's `rev-parse` does (refs.c `ref_rev_parse_rules`): "HEAD" is the default
 * branch, then `<ref>`, `refs/<ref>`, `refs/tags/<ref>`, `refs/heads/<ref>`, `refs/remotes/<ref>`,
 * `refs/remotes/<ref>/HEAD`; a 40-hex id names an object directly. Annotated tags are peeled
 * (tag.c `deref_tag`). This accepts `HEAD` and full ref names, which the live service rejects
 * (spec §9 item 7).
 */
import type { Reposit } from "./reposit.ts";
import type { RepoRecord } from "./records.ts";
import { ArtifactsError } from "../errors.ts";
import { isObjectId, type ObjectId } from "../git/object-id.ts";
import { ObjectPool } from "../repo/object-pool.ts";
import { readRefs } from "../repo/refs.ts";
import { reachableSet } from "../repo/reachability.ts";
import { BLOB, COMMIT, peel, TREE, treeOf } from "../repo/commit-graph.ts";
import { parseCommit, type Commit } from "../objects/commit.ts";
import { forEachTreeEntry, parseTree, treeEntryKind, type TreeEntryKind } from "../objects/tree.ts";
import { quoteValue, utf8Encode } from "../util/bytes.ts";

/** A commit as Artifacts returns it (binding `ArtifactsCommitMetadata`; REST uses the same camelCase JSON). */
export interface CommitMetadata {
  hash: ObjectId;
  treeHash: ObjectId;
  /** The message with one trailing newline removed. */
  message: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  /** Parent ids in git order; [] for a root commit. */
  parents: ObjectId[];
  /** Unix seconds. */
  authoredAt: number;
  committedAt: number;
}

/** One tree entry as Artifacts returns it (binding `ArtifactsTreeEntry`). */
export interface ContentTreeEntry {
  name: string;
  /** The mode as stored, e.g. "100644", "40000". */
  mode: string;
  hash: ObjectId;
  type: TreeEntryKind;
}

/** A file's bytes and whether they look like text (see `isTextual`). */
export interface FileContent {
  /** Shared with the object cache: read, never write. */
  bytes: Uint8Array;
  textual: boolean;
}

export interface LogOptions {
  /** Branch, tag, full ref name, "HEAD" or commit id; default (also for "") "HEAD". */
  ref?: string;
  /** 1 or more, default 50; values above 1000 are clamped to 1000 (the live service clamps too). */
  limit?: number;
  /** Commits to skip, 0 or more, default 0. */
  offset?: number;
}

export const LOG_DEFAULT_LIMIT = 50;
export const LOG_MAX_LIMIT = 1000;

/** Bytes git's binary heuristic looks at (xdiff-interface.c `buffer_is_binary`, FIRST_FEW_BYTES). */
const SNIFF_BYTES = 8000;

/** Commit reads in flight at once while building a log page (bounded for remote stores). */
const LOG_READ_CONCURRENCY = 16;

/** Full ref names a short name may stand for, in git's `rev-parse` order (refs.c `ref_rev_parse_rules`). */
const REF_RULES: readonly ((ref: string) => string)[] = [
  (r) => r,
  (r) => `refs/${r}`,
  (r) => `refs/tags/${r}`,
  (r) => `refs/heads/${r}`,
  (r) => `refs/remotes/${r}`,
  (r) => `refs/remotes/${r}/HEAD`,
];

/**
 * Content reads over one snapshot of a repository.
 * @example
 * const content = await RepoContent.open(reposit, record);
 * const [head] = await content.log({ limit: 1 });
 */
export class RepoContent {
  readonly #pool: ObjectPool;
  readonly #refs: ReadonlyMap<string, ObjectId>;
  readonly #head: string;
  readonly #repoId: string;
  readonly #tips: number[];
  readonly #tipSet: Set<number>;
  #reachable: Uint8Array | null = null;

  private constructor(pool: ObjectPool, refs: ReadonlyMap<string, ObjectId>, head: string, repoId: string) {
    this.#pool = pool;
    this.#refs = refs;
    this.#head = head;
    this.#repoId = repoId;
    this.#tips = [];
    for (const id of refs.values()) {
      const g = pool.locateId(id);
      if (g !== -1) this.#tips.push(g);
    }
    this.#tipSet = new Set(this.#tips);
  }

  /** Takes a snapshot of `record`'s refs and object pool. */
  static async open(reposit: Reposit, record: RepoRecord): Promise<RepoContent> {
    const ctx = reposit.repoContext(record);
    const [pool, snapshot] = await Promise.all([ObjectPool.open(ctx.env, ctx.poolId), readRefs(ctx.env.store, ctx.repoId)]);
    return new RepoContent(pool, snapshot.refs, ctx.head, ctx.repoId);
  }

  /**
   * The first-parent chain from `ref`, newest first, `offset` commits skipped, at most `limit`.
   * An unknown ref, or one that does not end at a commit, gives []. Throws INVALID_INPUT for a
   * bad limit (pointer /limit) or offset (/offset).
   */
  async log(options: LogOptions = {}): Promise<CommitMetadata[]> {
    const limit = logLimit(options.limit);
    const offset = logOffset(options.offset);
    const start = this.resolveCommit(options.ref === undefined || options.ref === "" ? "HEAD" : options.ref);
    const chain = firstParentChain(this.#pool, start, offset, limit);
    return mapBounded(chain, LOG_READ_CONCURRENCY, (g) => this.#commitAt(g));
  }

  /** The commit `hash`, or null when absent, unreachable or not a commit. Throws INVALID_INPUT (/hash) for a malformed hash. */
  async readCommit(hash: string): Promise<CommitMetadata | null> {
    const g = this.#visibleOfType(hash, COMMIT);
    return g === -1 ? null : this.#commitAt(g);
  }

  /** The immediate entries of tree `hash`, or null when absent, unreachable or not a tree. */
  async readTree(hash: string): Promise<ContentTreeEntry[] | null> {
    const g = this.#visibleOfType(hash, TREE);
    if (g === -1) return null;
    const { content } = await this.#pool.read(g);
    return parseTree(content).map((e) => ({ name: e.name, mode: e.mode, hash: e.oid, type: treeEntryKind(e.mode) }));
  }

  /** The bytes of blob `hash` (shared with the object cache: do not write), or null when absent, unreachable or not a blob. */
  async readBlob(hash: string): Promise<Uint8Array | null> {
    const g = this.#visibleOfType(hash, BLOB);
    return g === -1 ? null : (await this.#pool.read(g)).content;
  }

  /**
   * The file at `path` in the tree of `ref` (anything `log` accepts, or a tree id). `path` is split
   * on "/"; leading and repeated slashes are ignored, and a trailing one names a directory. Null for
   * an unknown ref, a missing path, a directory or a submodule; a symlink gives its target as git
   * stores it. Throws INVALID_INPUT when `ref` (/ref) or `path` (/path) is empty.
   */
  async readFile(ref: string, path: string): Promise<FileContent | null> {
    if (typeof ref !== "string" || ref === "") throw new ArtifactsError("INVALID_INPUT", "Invalid ref: expected a non-empty branch, tag or commit id", { pointer: "/ref" });
    if (typeof path !== "string" || path === "") throw new ArtifactsError("INVALID_INPUT", "Invalid path: expected a non-empty file path", { pointer: "/path" });
    const root = this.#rootTree(ref);
    if (root === -1 || path.endsWith("/")) return null;
    const g = await this.#lookupPath(root, path);
    if (g === -1) return null;
    const { content } = await this.#pool.read(g);
    return { bytes: content, textual: isTextual(content) };
  }

  /**
   * The file named by "<ref>/<path>" (the REST `raw` route), where refs may contain "/" (spec §9
   * item 8): the longest prefix that resolves to a tree holding the path wins, and a shorter one
   * is tried when it does not, so a tag "main/src" does not hide main's src/ directory. Null when
   * no split names a file.
   * Example: with branch "feature/x", `readRawFile("feature/x/src/a.ts")` reads src/a.ts of feature/x.
   */
  async readRawFile(refAndPath: string): Promise<FileContent | null> {
    for (let cut = refAndPath.lastIndexOf("/"); cut > 0; cut = refAndPath.lastIndexOf("/", cut - 1)) {
      const path = refAndPath.slice(cut + 1);
      if (path === "") continue;
      const root = this.#rootTree(refAndPath.slice(0, cut));
      if (root === -1) continue;
      const g = await this.#lookupPath(root, path);
      if (g === -1) continue;
      const { content } = await this.#pool.read(g);
      return { bytes: content, textual: isTextual(content) };
    }
    return null;
  }

  /** Full name of the ref `ref` stands for ("HEAD" → the default branch), or null. */
  refName(ref: string): string | null {
    if (ref === "HEAD") return this.#refs.has(this.#head) ? this.#head : null;
    for (const rule of REF_RULES) {
      const name = rule(ref);
      if (this.#refs.has(name)) return name;
    }
    return null;
  }

  /** Global number of the commit `ref` ends at after peeling tags, or -1. */
  resolveCommit(ref: string): number {
    const g = this.#resolveObject(ref);
    return g !== -1 && this.#pool.typeOf(g) === COMMIT ? g : -1;
  }

  /** The peeled object `ref` names (a visible 40-hex id first, as git prefers ids), or -1. */
  #resolveObject(ref: string): number {
    if (isObjectId(ref)) {
      const g = this.#pool.locateId(ref);
      if (this.#visible(g)) return peel(this.#pool, g);
    }
    const name = this.refName(ref);
    if (name === null) return -1;
    const g = this.#pool.locateId(this.#refs.get(name)!);
    return g === -1 ? -1 : peel(this.#pool, g);
  }

  /** Root tree of what `ref` names: a commit's tree, or a tree itself (git accepts any tree-ish); -1 otherwise. */
  #rootTree(ref: string): number {
    const g = this.#resolveObject(ref);
    if (g === -1) return -1;
    const type = this.#pool.typeOf(g);
    if (type === TREE) return g;
    if (type !== COMMIT) return -1;
    const tree = treeOf(this.#pool, g);
    return tree !== -1 && this.#pool.typeOf(tree) === TREE ? tree : -1;
  }

  /** Walks `path` from tree `root`; the blob at its end, or -1 (missing, a directory, a submodule, through a non-tree). */
  async #lookupPath(root: number, path: string): Promise<number> {
    const segments = path.split("/").filter((s) => s !== "");
    let current = root;
    let kind: TreeEntryKind = "tree";
    for (const segment of segments) {
      if (kind !== "tree" || this.#pool.typeOf(current) !== TREE) return -1;
      const { content } = await this.#pool.read(current);
      const entry = findTreeEntry(content, utf8Encode(segment));
      if (entry === null) return -1;
      kind = treeEntryKind(entry.modeBits);
      if (kind === "gitlink") return -1; // a submodule's commit is not in this repository
      current = this.#pool.locate(content, entry.oidOffset);
      if (current === -1) return -1;
    }
    return kind !== "tree" && this.#pool.typeOf(current) === BLOB ? current : -1;
  }

  /** Global number of `hash` when it is visible and of `type`, else -1; throws INVALID_INPUT on a malformed hash. */
  #visibleOfType(hash: string, type: number): number {
    assertHash(hash);
    const g = this.#pool.locateId(hash);
    return this.#visible(g) && this.#pool.typeOf(g) === type ? g : -1;
  }

  /** True when object `g` is reachable from this repository's refs. */
  #visible(g: number): boolean {
    if (g === -1) return false;
    if (this.#tipSet.has(g)) return true;
    this.#reachable ??= reachableSet(this.#pool, this.#repoId, this.#tips);
    return this.#reachable[g] === 1;
  }

  async #commitAt(g: number): Promise<CommitMetadata> {
    const { content } = await this.#pool.read(g);
    return commitMetadata(this.#pool.idOf(g), parseCommit(content));
  }
}

/**
 * Throws INVALID_INPUT (pointer /hash) unless `hash` is 40 lowercase hex digits. `message` defaults
 * to the live binding's text; the REST routes pass the live REST text ("Invalid SHA-1 hash").
 */
export function assertHash(hash: unknown, message = "Invalid hash: expected a 40-character SHA-1 hex hash."): asserts hash is ObjectId {
  if (isObjectId(hash)) return;
  throw new ArtifactsError("INVALID_INPUT", message, { pointer: "/hash" });
}

/** The Artifacts shape of a parsed commit. */
export function commitMetadata(hash: ObjectId, commit: Commit): CommitMetadata {
  const message = commit.message.endsWith("\n") ? commit.message.slice(0, -1) : commit.message;
  return {
    hash,
    treeHash: commit.tree,
    message,
    author: { name: commit.author.name, email: commit.author.email },
    committer: { name: commit.committer.name, email: commit.committer.email },
    parents: commit.parents,
    authoredAt: commit.author.timestamp,
    committedAt: commit.committer.timestamp,
  };
}

/**
 * git's binary heuristic made UTF-8 aware: text when the first 8000 bytes hold no NUL and are
 * well-formed UTF-8 (Unicode Table 3-7: no overlongs, surrogates or code points above U+10FFFF).
 * A sequence that starts before the 8000-byte mark is checked in full; one cut by the end of the
 * data is not text. Example: `isTextual(utf8Encode("héllo\n")) === true`.
 */
export function isTextual(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, SNIFF_BYTES);
  let i = 0;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      if (b === 0) return false;
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return false;
    if (i + need >= bytes.length) return false;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return false;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

function logLimit(limit: unknown): number {
  if (limit === undefined) return LOG_DEFAULT_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new ArtifactsError("INVALID_INPUT", `Invalid limit ${quoteValue(String(limit))}: expected an integer of at least 1 (at most ${LOG_MAX_LIMIT} commits are returned)`, { pointer: "/limit" });
  }
  return Math.min(limit, LOG_MAX_LIMIT);
}

function logOffset(offset: unknown): number {
  if (offset === undefined) return 0;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) {
    throw new ArtifactsError("INVALID_INPUT", `Invalid offset ${quoteValue(String(offset))}: expected an integer of at least 0`, { pointer: "/offset" });
  }
  return offset;
}

/**
 * Commits `offset .. offset+limit` of the first-parent chain from `start` (global numbers). Walks
 * the pool's link index only, so skipping costs no object reads. A missing first parent (a shallow
 * or partial history) ends the chain; the second parent is never taken in its place.
 */
function firstParentChain(pool: ObjectPool, start: number, offset: number, limit: number): number[] {
  const out: number[] = [];
  let skipped = 0;
  for (let g = start; g !== -1 && out.length < limit; g = firstParent(pool, g)) {
    if (pool.typeOf(g) !== COMMIT) break;
    if (skipped < offset) skipped++;
    else out.push(g);
  }
  return out;
}

/** The first parent of commit `g` (links are the tree, then the parents in order), or -1. */
function firstParent(pool: ObjectPool, g: number): number {
  let parent = -1;
  let seen = false;
  pool.forEachLink(g, (target, type) => {
    if (type === COMMIT && !seen) {
      seen = true;
      parent = target;
    }
  });
  return parent;
}

/** The entry named `name` (raw bytes) in tree `content`: its mode bits and the offset of its raw id. */
function findTreeEntry(content: Uint8Array, name: Uint8Array): { modeBits: number; oidOffset: number } | null {
  let found: { modeBits: number; oidOffset: number } | null = null;
  forEachTreeEntry(content, (modeBits, nameStart, nameEnd, oidOffset) => {
    if (found !== null || nameEnd - nameStart !== name.length) return;
    for (let i = 0; i < name.length; i++) if (content[nameStart + i] !== name[i]) return;
    found = { modeBits, oidOffset };
  });
  return found;
}

/** `fn` over `items` with at most `concurrency` calls pending, results in input order. */
async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
