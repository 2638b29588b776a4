/**
 * @module api/names
 * Namespace and repository names (Artifacts name rules: first character a letter or digit, then
 * letters, digits, ".", "_" or "-"; namespaces 2–63 characters, repositories 1–63).
 *
 * Case: names keep the case they were created with and are shown that way, but they are unique
 * regardless of case and looked up case-insensitively ("Demo" and "demo" are the same repository),
 * like GitHub. Two repositories differing only by case would otherwise collide on case-insensitive
 * file systems the moment someone clones both, and confuse every human reading a URL.
 */
import { ArtifactsError } from "../errors.ts";

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

/** Validates a repository name; throws INVALID_REPO_NAME with the pointer `/name`. */
export function assertRepoName(name: unknown, pointer = "/name"): string {
  if (typeof name !== "string" || !NAME_PATTERN.test(name) || name.length > 63) {
    // The live service's text (it does not quote the name).
    const why = typeof name === "string" && name.length > 63 ? "must be at most 63 characters" : "must match /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/";
    throw new ArtifactsError("INVALID_REPO_NAME", `Invalid repo name: ${why}`, { pointer });
  }
  return name;
}

/** Validates a namespace name; throws INVALID_INPUT "Invalid namespace name" with the pointer `/namespace`. */
export function assertNamespaceName(name: unknown): string {
  if (typeof name !== "string" || !NAME_PATTERN.test(name) || name.length < 2 || name.length > 63) {
    const shown = typeof name === "string" ? ` "${name.slice(0, 80)}"` : "";
    throw new ArtifactsError("INVALID_INPUT", `Invalid namespace name${shown}: must be 2-63 characters matching /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/`, { pointer: "/namespace" });
  }
  return name;
}

/** The key form of a name (case-folded). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}
