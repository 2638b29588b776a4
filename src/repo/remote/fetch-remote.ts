/**
 * @module repo/remote/fetch-remote
 * The import client (spec artifacts-api §6.1 "Import"): validates the URL and options, discovers the
 * remote (protocol v2, or v0 when the server does not speak it), picks the refs, and sends one
 * fetch for their ids. It returns when the pack starts, so the caller streams the pack into the
 * indexer while it arrives; the shallow boundary is known by then (v2 sends `shallow-info` before
 * `packfile`, v0 sends its shallow list before the pack).
 *
 * Not yet here (issue 6): SSRF protection. Nothing stops a URL from naming a private or loopback
 * address; the `checkTarget` option is where that check goes — it runs before every request,
 * redirects included.
 */
import { ArtifactsError } from "../../errors.ts";
import type { ObjectId } from "../../git/object-id.ts";
import { INFINITE_DEPTH } from "../shallow.ts";
import { checkBranchName } from "../ref-name.ts";
import { discover, type Discovery } from "./discover.ts";
import { fetchV2, lsRefs, type PackResponse } from "./fetch-v2.ts";
import { fetchV0 } from "./fetch-v0.ts";
import { IMPORT_PREFIXES, selectRefs } from "./remote-refs.ts";
import { parseRemoteUrl } from "./remote-url.ts";
import { malformed, toImportError } from "./remote-errors.ts";
import { Transport, type FetchFunction, type TargetCheck } from "./transport.ts";

/** Default bound on waiting for the remote (Artifacts gave up on a large import after about 66 s). */
export const DEFAULT_IMPORT_TIMEOUT_MS = 120_000;

export interface FetchRemoteOptions {
  /** How to reach the remote (default: the global `fetch`). */
  readonly fetch?: FetchFunction | undefined;
  /** Hosts (`host:port`) that may be reached over plain `http://`. */
  readonly allowHttpHosts?: readonly string[] | undefined;
  /** Bound on all waiting for the remote, in milliseconds (default 120 s). */
  readonly timeoutMs?: number | undefined;
  /** Runs before every request; throw to refuse a target (SSRF protection, issue 6). */
  readonly checkTarget?: TargetCheck | undefined;
  /** Import only `refs/heads/<branch>`. */
  readonly branch?: string | undefined;
  /** Import only the last `depth` commits of each ref. */
  readonly depth?: number | undefined;
  /** Largest pack accepted, in bytes (MEMORY_LIMIT beyond). */
  readonly maxPackBytes: number;
  /** Most branches and tags accepted (MEMORY_LIMIT beyond). */
  readonly maxRefs: number;
}

/** A remote ready to stream its pack. Call `close()` when done with it, even after a failure. */
export interface RemoteFetch {
  /** The normalised repository URL. */
  readonly url: string;
  /** `git:<url ending in .git>`. */
  readonly source: string;
  readonly defaultBranch: string;
  /** The refs to create (full names → ids). */
  readonly refs: ReadonlyMap<string, ObjectId>;
  /** Commits the pack has without their parents (depth, or a shallow remote). */
  readonly shallow: readonly ObjectId[];
  /** The pack bytes, or null when the remote has no refs to import. */
  readonly pack: AsyncIterable<Uint8Array> | null;
  close(): void;
}

/**
 * Connects to `url` and starts fetching. Throws ArtifactsError (INVALID_INPUT, INVALID_URL,
 * REMOTE_AUTH_REQUIRED, NOT_FOUND, UPSTREAM_UNAVAILABLE, MEMORY_LIMIT).
 * @example
 * const remote = await fetchRemote("https://github.com/owner/repo", { maxPackBytes: 1 << 30, maxRefs: 10_000 });
 * try { if (remote.pack) await ingestPack(pool, remote.pack, blobId); } finally { remote.close(); }
 */
export async function fetchRemote(url: unknown, options: FetchRemoteOptions): Promise<RemoteFetch> {
  const remote = parseRemoteUrl(url, options.allowHttpHosts ?? []);
  const branch = checkBranchOption(options.branch);
  const depth = checkDepthOption(options.depth);
  const transport = new Transport(remote.url, {
    fetch: options.fetch ?? ((request) => fetch(request)),
    timeoutMs: options.timeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS,
    allowHttpHosts: options.allowHttpHosts ?? [],
    checkTarget: options.checkTarget,
  });
  try {
    const discovery = await discover(transport, remote, options.maxRefs);
    checkObjectFormat(discovery, remote.url);
    const prefixes = branch === undefined ? ["HEAD", ...IMPORT_PREFIXES] : [`refs/heads/${branch}`];
    const listed = discovery.protocol === "v2" ? await lsRefs(transport, discovery, prefixes, options.maxRefs) : discovery;
    const selection = selectRefs(listed.refs, listed.head, branch, remote.url);
    const wants = [...new Set(selection.refs.values())];
    let response: PackResponse | null = null;
    if (wants.length > 0) {
      if (depth !== undefined && !supportsShallow(discovery)) {
        throw new ArtifactsError("INVALID_INPUT", `Repository at ${remote.url} does not support shallow fetches: import it without depth`, { pointer: "/depth" });
      }
      const args = { wants, depth, limit: { maxBytes: options.maxPackBytes, url: remote.url } };
      response = discovery.protocol === "v2" ? await fetchV2(transport, discovery, args) : await fetchV0(transport, discovery, args);
    }
    return {
      url: remote.url,
      source: remote.source,
      defaultBranch: selection.defaultBranch,
      refs: selection.refs,
      shallow: response?.shallow ?? [],
      pack: response?.pack ?? null,
      close: () => transport.close(),
    };
  } catch (error) {
    transport.close();
    throw toImportError(error, remote.url);
  }
}

function checkBranchOption(branch: unknown): string | undefined {
  if (branch === undefined || branch === null) return undefined;
  const problem = typeof branch === "string" ? checkBranchName(branch) : "must be a string";
  if (problem !== null) throw new ArtifactsError("INVALID_INPUT", `Invalid branch ${JSON.stringify(branch)}: ${problem}`, { pointer: "/branch" });
  return branch as string;
}

function checkDepthOption(depth: unknown): number | undefined {
  if (depth === undefined || depth === null) return undefined;
  if (typeof depth !== "number" || !Number.isInteger(depth) || depth < 1 || depth >= INFINITE_DEPTH) {
    throw new ArtifactsError("INVALID_INPUT", `Invalid depth ${JSON.stringify(depth)}: must be an integer from 1 to ${INFINITE_DEPTH - 1}`, { pointer: "/depth" });
  }
  return depth;
}

/** We store sha1 objects only (gitprotocol-capabilities "object-format"). */
function checkObjectFormat(discovery: Discovery, url: string): void {
  const format = discovery.capabilities.get("object-format");
  if (format !== undefined && format !== "sha1") {
    throw new ArtifactsError("INVALID_INPUT", `Repository at ${url} uses object format "${format}": only sha1 repositories can be imported`, { pointer: "/url" });
  }
}

function supportsShallow(discovery: Discovery): boolean {
  if (discovery.protocol === "v0") return discovery.capabilities.has("shallow");
  const fetch = discovery.capabilities.get("fetch");
  if (fetch === undefined) throw malformed("Remote speaks protocol v2 but does not offer fetch");
  return fetch.split(" ").includes("shallow");
}
