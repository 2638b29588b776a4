/**
 * @module api/import-repo
 * The lifecycle around an import: the repository exists in state "importing" while the remote is
 * fetched (listed with that status; `get` and git refuse it with IMPORT_IN_PROGRESS), becomes
 * "ready" with the remote's default branch and `source = git:<url>.git`, or is removed again when
 * the import fails.
 */
import { ArtifactsError } from "../errors.ts";
import { importInto } from "./import.ts";
import type { FetchFunction, TargetCheck } from "../repo/remote/transport.ts";
import { updateRepo } from "./records.ts";
import type { CreatedRepo, Reposit } from "./reposit.ts";

export interface ImportSettings {
  /** Hosts (host or host:port) whose plain-http URLs may be imported (REPOSIT_IMPORT_ALLOW_HTTP). */
  readonly allowHttpHosts?: string[];
  readonly timeoutMs?: number;
  readonly fetch?: FetchFunction;
  /** Refuses targets before each request (SSRF rules; loopback and private addresses are always refused). */
  readonly checkTarget?: TargetCheck;
  /** Hosts that may be imported from although they are not public (REPOSIT_IMPORT_ALLOW_PRIVATE). */
  readonly allowPrivateHosts?: string[];
}

export async function importRepo(
  reposit: Reposit,
  ns: string,
  name: string,
  source: { url: string; branch?: string; depth?: number },
  options: { description?: string | null; readOnly?: boolean },
  settings: ImportSettings = reposit.importSettings,
): Promise<CreatedRepo> {
  if (typeof source.url !== "string" || source.url === "") {
    throw new ArtifactsError("INVALID_INPUT", "Invalid url: expected a string", { pointer: "/url" });
  }
  const created = await reposit.createRepo(
    ns,
    name,
    { description: options.description ?? null, readOnly: options.readOnly ?? false },
    { status: "importing" },
  );
  try {
    const result = await importInto(reposit, created.record, source, settings);
    const ready = await updateRepo(reposit.store, ns, name, (r) => ({ ...r, status: "ready", defaultBranch: result.defaultBranch, source: result.source }));
    if (!ready) throw new ArtifactsError("NOT_FOUND", "Repository not found");
    return { record: ready, token: created.token };
  } catch (error) {
    await reposit.deleteRepo(ns, name, { tombstone: false }).catch(() => {});
    throw error;
  }
}
