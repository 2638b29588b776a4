/**
 * @module http/rest-auth
 * Control-plane authentication: `Authorization: Bearer <REPOSIT_API_TOKEN>`, compared in constant
 * time. Repository (git) tokens are refused here, as Artifacts refuses them on its REST API. Each
 * request is counted against its namespace's rate limit here, once the token has been checked:
 * refused requests in the namespace's anonymous budget, so they cannot use up the real client's.
 */
import { ArtifactsError } from "../errors.ts";
import { timingSafeEqualString } from "../auth/constant-time.ts";
import type { AppContext } from "./app-context.ts";

export async function requireApiToken(request: Request, app: AppContext): Promise<void> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match || !(await timingSafeEqualString(match[1]!, app.apiToken))) {
    app.limiter?.enforce(request, false);
    throw new ArtifactsError("UNAUTHORIZED", "Authentication error: a valid control-plane API token is required");
  }
  app.limiter?.enforce(request, true);
}

/** Refuses account ids other than the configured one (any is accepted when none is configured). */
export function checkAccount(app: AppContext, accountId: string): void {
  if (app.accountId !== null && accountId !== app.accountId) {
    throw new ArtifactsError("NOT_FOUND", `Account "${accountId}" not found`);
  }
}
