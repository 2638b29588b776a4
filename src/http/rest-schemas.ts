/**
 * @module http/rest-schemas
 * valibot schemas for REST inputs, and one function that turns the first issue into an
 * ArtifactsError naming the field (`source.pointer`) and what was expected.
 */
import * as v from "valibot";
import { ArtifactsError, type ArtifactsErrorCode } from "../errors.ts";

export const CreateRepoBody = v.object({
  name: v.string(),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(4096)))),
  default_branch: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))),
  read_only: v.optional(v.boolean()),
});

export const CreateTokenBody = v.object({
  repo: v.string(),
  scope: v.optional(v.picklist(["read", "write"])),
  ttl: v.optional(v.number()),
});

/** Field-specific codes (Artifacts uses INVALID_REPO_NAME for /name and INVALID_TTL for /ttl). */
const FIELD_CODES: Record<string, ArtifactsErrorCode> = { "/name": "INVALID_REPO_NAME", "/ttl": "INVALID_TTL" };

/** Parses `input` or throws the Artifacts error for its first issue. */
export function parseInput<const S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const pointer = "/" + (issue.path ?? []).map((p: { key: unknown }) => String(p.key)).join("/");
  const code = pointer === "/" ? "INVALID_INPUT" : (FIELD_CODES[pointer] ?? "INVALID_INPUT");
  const field = pointer === "/" ? "body" : pointer.slice(1);
  throw new ArtifactsError(code, `Invalid ${field}: ${issue.message}`, pointer === "/" ? {} : { pointer });
}

/** Reads a JSON body (an empty body is `{}`); malformed JSON is INVALID_INPUT. */
export async function readJson(request: Request, max = 1024 * 1024): Promise<unknown> {
  const text = await request.text();
  if (text.length > max) throw new ArtifactsError("INVALID_INPUT", `Request body is larger than ${max} bytes`);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ArtifactsError("INVALID_INPUT", "Invalid JSON body: expected a JSON object");
  }
}

/** An integer query parameter within [min, max], with the live service's zod-style messages. */
function intParam(min: number, max: number) {
  return v.pipe(
    v.string(),
    v.regex(/^-?\d+$/, "Invalid input: expected an integer"),
    v.transform(Number),
    v.minValue(min, `Too small: expected number to be >=${min}`),
    v.maxValue(max, `Too big: expected number to be <=${max}`),
  );
}

const oneOf = <const T extends readonly string[]>(options: T) =>
  v.picklist(options, `Invalid option: expected one of ${options.map((o) => `"${o}"`).join("|")}`);

export const RepoListQuery = v.object({
  limit: v.optional(intParam(1, 200)),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(2048))),
  page: v.optional(intParam(1, 1_000_000)),
  per_page: v.optional(intParam(1, 200)),
  search: v.optional(v.pipe(v.string(), v.maxLength(256))),
  sort: v.optional(oneOf(["created_at", "updated_at", "last_push_at", "name"] as const)),
  direction: v.optional(oneOf(["asc", "desc"] as const)),
});

export const TokenListQuery = v.object({
  state: v.optional(oneOf(["active", "expired", "revoked", "all"] as const)),
  page: v.optional(intParam(1, 1_000_000)),
  per_page: v.optional(intParam(1, 100)),
});

export const NamespaceListQuery = v.object({
  limit: v.optional(intParam(1, 1000)),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(256))),
});

export const CreateNamespaceBody = v.object({
  namespace: v.string("Invalid input: expected string, received undefined"),
  jurisdiction: v.optional(oneOf(["eu", "us"] as const)),
});

export const ForkBody = v.object({
  name: v.string(),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(4096)))),
  read_only: v.optional(v.boolean()),
  default_branch_only: v.optional(v.boolean()),
});

export const ImportBody = v.object({
  url: v.pipe(v.string(), v.maxLength(2048)),
  branch: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))),
  depth: v.optional(v.pipe(v.number(), v.integer("Invalid input: expected an integer"), v.minValue(1, "Too small: expected number to be >0"))),
  read_only: v.optional(v.boolean()),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(4096)))),
});

/** Query parameters as itty-router parsed them (repeated keys become arrays; we take the last). */
export function queryObject(query: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(query)) {
    if (value === undefined) continue;
    out[k] = Array.isArray(value) ? value[value.length - 1]! : value;
  }
  return out;
}
