/**
 * @module api/repo-list
 * Listing a namespace's repositories: substring search on the name, sort by created_at,
 * updated_at, last_push_at or name in either direction, and two paging styles as the live service
 * has them — offset pages (`page`, `per_page`) and keyset cursors (`limit`, `cursor`).
 *
 * Cursors are keyset positions (the sort value, name and id of the last item returned), bound to the
 * sort, direction and search they were issued for and signed with the server key: a cursor used with
 * other parameters, or one the server never issued, is an INVALID_INPUT error. Keyset paging stays
 * correct while repositories are created or deleted during a walk: nothing is returned twice and no
 * repository that existed for the whole walk is skipped.
 */
import { ArtifactsError } from "../errors.ts";
import { nameKey } from "./names.ts";
import type { RepoRecord } from "./records.ts";

export type RepoSort = "created_at" | "updated_at" | "last_push_at" | "name";
export type SortDirection = "asc" | "desc";

export interface RepoListQuery {
  readonly search?: string;
  readonly sort: RepoSort;
  readonly direction: SortDirection;
  /** Cursor style when set (1..200). */
  readonly limit?: number;
  readonly cursor?: string;
  /** Offset style (used when `limit` is not set). */
  readonly page?: number;
  readonly perPage?: number;
}

export interface RepoListPage {
  readonly repos: RepoRecord[];
  /** Repositories matching the search. */
  readonly total: number;
  /** Next-page cursor (cursor style), absent on the last page. */
  readonly cursor?: string;
  readonly page?: number;
  readonly perPage: number;
  readonly totalPages?: number;
}

interface Position {
  readonly v: string;
  readonly n: string;
  readonly i: string;
}

function sortValue(r: RepoRecord, sort: RepoSort): string {
  switch (sort) {
    case "created_at":
      return r.createdAt;
    case "updated_at":
      return r.updatedAt;
    case "last_push_at":
      return r.lastPushAt ?? "";
    case "name":
      return nameKey(r.name);
  }
}

function position(r: RepoRecord, sort: RepoSort): Position {
  return { v: sortValue(r, sort), n: nameKey(r.name), i: r.id };
}

function compare(a: Position, b: Position): number {
  return a.v < b.v ? -1 : a.v > b.v ? 1 : a.n < b.n ? -1 : a.n > b.n ? 1 : a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

/** Signs and verifies cursors (src/auth/mac.ts). */
export interface CursorSigner {
  sign(text: string): Promise<string>;
  verify(text: string, tag: string): Promise<boolean>;
}

export async function listRepos(records: RepoRecord[], query: RepoListQuery, signer: CursorSigner): Promise<RepoListPage> {
  const search = query.search?.toLowerCase() ?? "";
  const matching = records.filter((r) => search === "" || r.name.toLowerCase().includes(search));
  const dir = query.direction === "asc" ? 1 : -1;
  const keyed = matching.map((r) => ({ r, p: position(r, query.sort) })).sort((a, b) => dir * compare(a.p, b.p));
  if (query.limit === undefined) {
    const perPage = query.perPage ?? 50;
    const page = query.page ?? 1;
    const slice = keyed.slice((page - 1) * perPage, page * perPage).map((k) => k.r);
    return { repos: slice, total: matching.length, page, perPage, totalPages: Math.ceil(matching.length / perPage) };
  }
  const binding = `${query.sort}|${query.direction}|${search}`;
  let start = 0;
  if (query.cursor !== undefined) {
    const after = await decodeCursor(query.cursor, binding, signer);
    start = keyed.findIndex((k) => dir * compare(k.p, after) > 0);
    if (start === -1) start = keyed.length;
  }
  const slice = keyed.slice(start, start + query.limit);
  const more = start + query.limit < keyed.length;
  const last = slice[slice.length - 1];
  const page: RepoListPage = { repos: slice.map((k) => k.r), total: matching.length, perPage: query.limit };
  return more && last ? { ...page, cursor: await encodeCursor(last.p, binding, signer) } : page;
}

function toBase64Url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

async function encodeCursor(p: Position, binding: string, signer: CursorSigner): Promise<string> {
  const body = toBase64Url(JSON.stringify({ b: binding, ...p }));
  return `${body}.${await signer.sign(body)}`;
}

async function decodeCursor(cursor: string, binding: string, signer: CursorSigner): Promise<Position> {
  const invalid = (why: string) => new ArtifactsError("INVALID_INPUT", `Invalid cursor: ${why}`, { pointer: "/cursor" });
  const dot = cursor.lastIndexOf(".");
  if (dot <= 0 || cursor.length > 2048) throw invalid("it was not issued by this server");
  const body = cursor.slice(0, dot);
  if (!(await signer.verify(body, cursor.slice(dot + 1)))) throw invalid("it was not issued by this server");
  let parsed: { b?: unknown; v?: unknown; n?: unknown; i?: unknown };
  try {
    parsed = JSON.parse(fromBase64Url(body));
  } catch {
    throw invalid("it was not issued by this server");
  }
  if (parsed.b !== binding) throw invalid("it belongs to a listing with a different sort, direction or search");
  if (typeof parsed.v !== "string" || typeof parsed.n !== "string" || typeof parsed.i !== "string") throw invalid("it is malformed");
  return { v: parsed.v, n: parsed.n, i: parsed.i };
}

