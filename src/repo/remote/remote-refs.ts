/**
 * @module repo/remote/remote-refs
 * Which of a remote's refs an import copies and which branch becomes the default (spec
 * artifacts-api §6.1): without a branch, every branch and tag (tags by their own ids, so annotated
 * tag objects come along) and the default branch named by the remote's HEAD symref; with a branch,
 * that branch alone. Refs outside refs/heads/ and refs/tags/ (pull requests, notes), peeled `^{}`
 * entries and names git itself would refuse (git-check-ref-format) are skipped.
 */
import { ArtifactsError } from "../../errors.ts";
import { isObjectId, type ObjectId } from "../../git/object-id.ts";
import { checkBranchName, checkRefFormat } from "../ref-name.ts";
import { malformed, tooLarge } from "./remote-errors.ts";

export interface RemoteRef {
  readonly name: string;
  readonly id: ObjectId;
}

/** What the remote says about HEAD: the branch it points at (when told) and its id (null when unborn or absent). */
export interface RemoteHead {
  readonly target: string | null;
  readonly id: ObjectId | null;
}

/** The refs an import creates and the repository's default branch. */
export interface RefSelection {
  readonly refs: ReadonlyMap<string, ObjectId>;
  readonly defaultBranch: string;
}

/** The ref prefixes an import asks for (also sent as ls-refs `ref-prefix` arguments). */
export const IMPORT_PREFIXES: readonly string[] = ["refs/heads/", "refs/tags/"];

/** True when `name` is a ref an import copies. Example: `isImportable("refs/pull/1/head") === false`. */
export function isImportable(name: string): boolean {
  return IMPORT_PREFIXES.some((p) => name.startsWith(p)) && !name.endsWith("^{}") && checkRefFormat(name) === null;
}

/**
 * Splits "<40-hex id> <rest>" (a ref advertisement or ls-refs line); throws UPSTREAM_UNAVAILABLE
 * when it does not start with an object id. Example: `splitRefLine("<id> refs/heads/main")`.
 */
export function splitRefLine(line: string): { id: ObjectId; rest: string } {
  const id = line.slice(0, 40);
  if (!isObjectId(id) || line.charCodeAt(40) !== 0x20) throw malformed(`Invalid ref line "${line.slice(0, 120)}": expected "<object id> <ref name>"`);
  return { id, rest: line.slice(41) };
}

/** Collects importable refs, bounded: more than `maxRefs` is MEMORY_LIMIT. */
export class RefList {
  readonly refs: RemoteRef[] = [];
  readonly #maxRefs: number;
  readonly #url: string;

  constructor(maxRefs: number, url: string) {
    this.#maxRefs = maxRefs;
    this.#url = url;
  }

  /** Keeps `name` if an import copies it. */
  add(name: string, id: ObjectId): void {
    if (!isImportable(name)) return;
    if (this.refs.length >= this.#maxRefs) throw tooLarge(this.#url, `it has more than ${this.#maxRefs} branches and tags`);
    this.refs.push({ name, id });
  }
}

/**
 * Chooses the refs to create. Throws NOT_FOUND when `branch` is given and the remote lacks it.
 * Example: `selectRefs(refs, { target: "refs/heads/master", id }, undefined, url).defaultBranch === "master"`.
 */
export function selectRefs(refs: readonly RemoteRef[], head: RemoteHead, branch: string | undefined, url: string): RefSelection {
  if (branch !== undefined) {
    const ref = refs.find((r) => r.name === `refs/heads/${branch}`);
    if (!ref) throw new ArtifactsError("NOT_FOUND", `Branch ${branch} not found in ${url}`, { pointer: "/branch" });
    return { refs: new Map([[ref.name, ref.id]]), defaultBranch: branch };
  }
  return { refs: new Map(refs.map((r) => [r.name, r.id])), defaultBranch: defaultBranchOf(refs, head) };
}

/**
 * The remote's default branch: HEAD's symref target; without one (old servers, v0 without the
 * symref capability), a branch at HEAD's id as git's guess_remote_head does (main, then master,
 * then the first); for a remote without HEAD, main or master if present, else the first branch.
 */
export function defaultBranchOf(refs: readonly RemoteRef[], head: RemoteHead): string {
  if (head.target !== null && head.target.startsWith("refs/heads/")) {
    const short = head.target.slice(11);
    if (checkBranchName(short) === null) return short;
  }
  const branches = refs.filter((r) => r.name.startsWith("refs/heads/"));
  const atHead = branches.filter((r) => r.id === head.id);
  const names = (atHead.length > 0 ? atHead : branches).map((r) => r.name.slice(11));
  return names.find((n) => n === "main") ?? names.find((n) => n === "master") ?? names[0] ?? "main";
}
