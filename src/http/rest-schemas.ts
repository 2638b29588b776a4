/**
 * @module http/rest-schemas
 * valibot schemas for REST inputs, and one function that turns the first issue into an
 * ArtifactsError naming the field (`source.pointer`) and what was expected, in the words of the
 * live service's zod messages (spec/artifacts-api.md §3.1: "Invalid input: expected string,
 * received undefined", "Too big: expected number to be <=200", "Invalid option: expected one of
 * ..."). A bad or missing repository `name` gets the live INVALID_REPO_NAME text instead.
 */
import * as v from "valibot";
import { ArtifactsError, type ArtifactsErrorCode } from "../errors.ts";
import { concatBytes } from "../util/bytes.ts";
import { assertRepoName } from "../api/names.ts";

/** A string of at most `max` characters, with zod's message for a longer one. */
const boundedString = (max: number) => v.pipe(v.string(), v.maxLength(max, `Too big: expected string to have <=${max} characters`));

/** A branch name as given (1–255 characters; git's ref rules are checked where it is used). */
const branchName = v.pipe(v.string(), v.minLength(1, "Too small: expected string to have >=1 characters"), boundedString(255));

export const CreateRepoBody = v.object({
  name: v.string(),
  description: v.optional(v.nullable(boundedString(4096))),
  default_branch: v.optional(branchName),
  read_only: v.optional(v.boolean()),
});

/** Field-specific codes (Artifacts uses INVALID_REPO_NAME for /name and INVALID_TTL for /ttl). */
const FIELD_CODES: Record<string, ArtifactsErrorCode> = { "/name": "INVALID_REPO_NAME", "/ttl": "INVALID_TTL" };

/** zod's name for the type of a received value ("undefined", "null", "array", "number", ...). */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * The message of a valibot issue in zod's words. Type mismatches and missing keys (valibot: "Invalid
 * type: Expected string but received 5", "Invalid key: ...") become "Invalid input: expected string,
 * received number"; messages the schemas set themselves (ranges, options) are kept.
 */
function issueMessage(schema: v.GenericSchema, issue: v.GenericIssue): string {
  if (issue.kind !== "schema" || issue.type === "picklist") return issue.message;
  const last = issue.path?.[issue.path.length - 1];
  // A missing key is reported by the object schema; the entry's schema knows what was expected.
  const missingKey = issue.type === "object" && last !== undefined && issue.input === undefined;
  const entries = (schema as { entries?: Record<string, { expects?: string }> }).entries;
  const expected = missingKey ? (entries?.[String(last.key)]?.expects ?? "value") : (issue.expected ?? "value");
  return `Invalid input: expected ${expected.replace(/^Object$/, "object")}, received ${typeName(issue.input)}`;
}

/** Parses `input` or throws the Artifacts error for its first issue. */
export function parseInput<const S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const pointer = "/" + (issue.path ?? []).map((p: { key: unknown }) => String(p.key)).join("/");
  // Live: a missing or non-string name is "Invalid repo name: must match /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/".
  if (pointer === "/name") assertRepoName(issue.input);
  const code = pointer === "/" ? "INVALID_INPUT" : (FIELD_CODES[pointer] ?? "INVALID_INPUT");
  const field = pointer === "/" ? "body" : pointer.slice(1);
  throw new ArtifactsError(code, `Invalid ${field}: ${issueMessage(schema, issue)}`, pointer === "/" ? {} : { pointer });
}

/** Reads a JSON body of at most `max` bytes (an empty body is `{}`); malformed JSON is INVALID_INPUT. */
export async function readJson(request: Request, max = 1024 * 1024): Promise<unknown> {
  const text = await readText(request, max);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ArtifactsError("INVALID_INPUT", "Invalid JSON body: expected a JSON object");
  }
}

/** The body as UTF-8 text, read chunk by chunk and given up on past `max` bytes (never buffered whole). */
async function readText(request: Request, max: number): Promise<string> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    total += chunk.value.length;
    if (total > max) {
      await reader.cancel();
      throw new ArtifactsError("INVALID_INPUT", `Request body is larger than ${max} bytes`);
    }
    parts.push(chunk.value);
  }
  return new TextDecoder().decode(concatBytes(parts, total));
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
  cursor: v.optional(boundedString(2048)),
  page: v.optional(intParam(1, 1_000_000)),
  per_page: v.optional(intParam(1, 200)),
  search: v.optional(boundedString(256)),
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
  cursor: v.optional(boundedString(256)),
  page: v.optional(intParam(1, 1_000_000)),
  per_page: v.optional(intParam(1, 1000)),
});

export const CreateTokenBody = v.object({
  repo: v.string(),
  scope: v.optional(oneOf(["read", "write"] as const)),
  ttl: v.optional(v.number()),
});

export const CreateNamespaceBody = v.object({
  namespace: v.string(),
  jurisdiction: v.optional(oneOf(["eu", "us"] as const)),
});

export const ForkBody = v.object({
  name: v.string(),
  description: v.optional(v.nullable(boundedString(4096))),
  read_only: v.optional(v.boolean()),
  default_branch_only: v.optional(v.boolean()),
});

export const ImportBody = v.object({
  url: boundedString(2048),
  branch: v.optional(branchName),
  depth: v.optional(v.pipe(v.number(), v.integer("Invalid input: expected an integer"), v.minValue(1, "Too small: expected number to be >0"))),
  read_only: v.optional(v.boolean()),
  description: v.optional(v.nullable(boundedString(4096))),
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
