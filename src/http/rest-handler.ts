/**
 * @module http/rest-handler
 * The wrapper every REST route goes through: account check, control-plane auth, and the one error
 * table (src/http/error-response.ts). Route modules register handlers with `rest(...)`.
 */
import type { IRequest } from "itty-router";
import type { AppContext } from "./app-context.ts";
import { restErrorResponse } from "./error-response.ts";
import { ArtifactsError } from "../errors.ts";
import { checkAccount, requireApiToken } from "./rest-auth.ts";

/** Prefix of every Artifacts REST route. */
export const REST_BASE = "/client/v4/accounts/:account/artifacts";

export type RestHandler = (request: IRequest, app: AppContext) => Promise<Response>;

/** Wraps a route handler with authentication and error mapping. */
export function rest(handler: RestHandler): RestHandler {
  return async (request, app) => {
    try {
      checkAccount(app, param(request, "account"));
      await requireApiToken(request as unknown as Request, app);
      return await handler(request, app);
    } catch (error) {
      return restErrorResponse(error, app.log);
    }
  };
}

/** Route parameters whose field has another name in bodies and error pointers. */
const FIELD_OF_PARAM: Record<string, string> = { ns: "namespace", account: "account_id" };

/**
 * A decoded route parameter (names arrive URL-encoded, as Wrangler sends them); bad
 * percent-encoding is INVALID_INPUT pointing at the field, never a 500.
 */
export function param(request: IRequest, name: string): string {
  const raw = request.params[name]!;
  try {
    return decodeURIComponent(raw);
  } catch {
    const field = FIELD_OF_PARAM[name] ?? name;
    throw new ArtifactsError("INVALID_INPUT", `Invalid percent-encoding in the URL: "${raw.slice(0, 80)}"`, { pointer: `/${field}` });
  }
}
