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
