/**
 * @module auth/policy
 * The one authorization decision for git smart HTTP (spec §5.2, §6.4): who may read or push a repo.
 * Each refusal is an AuthError whose code src/http maps to a status: ERR_AUTH_REQUIRED → 401 with a
 * Basic challenge (so git asks its credential helper), ERR_AUTH_INVALID / ERR_AUTH_INSUFFICIENT /
 * ERR_READ_ONLY → 403 with the message git prints after "remote:".
 */

import { AuthError } from "../errors.ts";
import type { Credential } from "./credentials.ts";
import type { RepoTokens, TokenRepo, VerifiedToken } from "./repo-tokens.ts";

/** The repository being accessed, as the policy needs it. */
export interface PolicyRepo extends TokenRepo {
  readonly readOnly: boolean;
}

/**
 * Returns the token that allows `action` on `repo`, or throws AuthError: no credential →
 * ERR_AUTH_REQUIRED; bad, expired, revoked or other-repo token → ERR_AUTH_INVALID; read token for a
 * push → ERR_AUTH_INSUFFICIENT; push to a read-only repo → ERR_READ_ONLY.
 * @example await authorizeGit({ credential: readCredential(request), tokens, repo, action: "write" })
 */
export async function authorizeGit(opts: {
  credential: Credential | null;
  tokens: RepoTokens;
  repo: PolicyRepo;
  action: "read" | "write";
}): Promise<VerifiedToken> {
  if (opts.credential === null) throw new AuthError("ERR_AUTH_REQUIRED", "Authentication required");
  const token = await opts.tokens.verify(opts.credential.secret, opts.repo);
  if (opts.action === "write") {
    if (token.scope !== "write") throw new AuthError("ERR_AUTH_INSUFFICIENT", "Insufficient permissions");
    // Live Artifacts accepts pushes to read-only repos (spec §6.4); we enforce the flag as documented.
    if (opts.repo.readOnly) throw new AuthError("ERR_READ_ONLY", "Repository is read-only");
  }
  return token;
}
