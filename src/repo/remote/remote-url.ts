/**
 * @module repo/remote/remote-url
 * Which remote URLs an import accepts and how they are named (spec artifacts-api §6.1: public HTTPS
 * git remotes, `.git` optional, `source` recorded as `git:<url>.git`). The smart HTTP endpoints are
 * the repository URL plus `/info/refs?service=git-upload-pack` and `/git-upload-pack`
 * (gitprotocol-http "URL Format"). Plain `http://` is accepted only for hosts listed in
 * `allowHttpHosts` (tests, private networks).
 */
import { ArtifactsError } from "../../errors.ts";
import { invalidUrl } from "./remote-errors.ts";

export interface RemoteUrl {
  /** The repository URL, normalised (lowercase host, no trailing slash, no fragment); used in messages. */
  readonly url: string;
  /** Base URLs to try in order: as given, then with ".git" appended when it was missing. */
  readonly candidates: readonly string[];
  /** `git:<url ending in .git>`, as Artifacts records an import's source. */
  readonly source: string;
}

/**
 * Validates and normalises an import URL. Throws INVALID_URL when `input` is not a URL of a
 * repository, INVALID_INPUT when it is not HTTPS or carries credentials.
 * Example: `parseRemoteUrl("https://github.com/o/r").source === "git:https://github.com/o/r.git"`.
 */
export function parseRemoteUrl(input: unknown, allowHttpHosts: readonly string[] = []): RemoteUrl {
  if (typeof input !== "string" || input.trim() === "") throw invalidUrl();
  let parsed: URL;
  try {
    parsed = new URL(input.trim());
  } catch (error) {
    throw invalidUrl(error);
  }
  checkScheme(parsed, allowHttpHosts);
  if (parsed.username !== "" || parsed.password !== "") {
    throw new ArtifactsError("INVALID_INPUT", "url must not contain credentials: only public repositories can be imported", { pointer: "/url" });
  }
  const path = parsed.pathname.replace(/\/+$/, "");
  if (parsed.search !== "" || path === "") throw invalidUrl();
  const url = parsed.origin + path;
  const hasSuffix = path.endsWith(".git");
  return {
    url,
    candidates: hasSuffix ? [url] : [url, url + ".git"],
    source: "git:" + (hasSuffix ? url : url + ".git"),
  };
}

/**
 * Throws INVALID_INPUT "Must be an HTTPS URL" unless `url` is https, or http to a host listed in
 * `allowHttpHosts`: "host" allows any port, "host:port" that port only (ports as in `URL.host`,
 * which omits the default 80). Also applied to every redirect.
 */
export function checkScheme(url: URL, allowHttpHosts: readonly string[]): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && (allowHttpHosts.includes(url.host) || allowHttpHosts.includes(url.hostname))) return;
  throw new ArtifactsError("INVALID_INPUT", "Must be an HTTPS URL", { pointer: "/url" });
}
