/**
 * @module http/console-routes
 * The web console at `/console`: one HTML shell, its script (`/console/app.js`) and stylesheet
 * (`/console/app.css`), all strings from src/console/ (no file system, so Workers serve them too).
 * The console holds no privileges of its own: it signs in with the control-plane API token and
 * does everything through the public REST API.
 *
 * Every response carries a strict Content-Security-Policy — scripts and styles only from this
 * origin, no inline code, fetches only to this origin, no framing — so that user data rendered by
 * the console (names, descriptions, file contents, commit messages) can never run as code.
 */
import type { IRequest, RouterType } from "itty-router";
import { consolePage } from "../console/console-page.ts";
import { CONSOLE_SCRIPT } from "../console/console-script.ts";
import { CONSOLE_CSS } from "../console/console-style.ts";
import type { AppContext } from "./app-context.ts";

/** The policy of every console response (CSP Level 3). */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  // Small assets that change with the server version: always revalidate.
  "Cache-Control": "no-cache",
};

function asset(body: string, contentType: string): Response {
  return new Response(body, { status: 200, headers: { "Content-Type": contentType, ...SECURITY_HEADERS } });
}

/**
 * Registers `/console`, `/console/`, `/console/app.js` and `/console/app.css` on `router`.
 * @example if (options.console) addConsoleRoutes(router);
 */
export function addConsoleRoutes(router: RouterType<IRequest, [AppContext]>): void {
  let page: string | null = null;
  const html = (_request: IRequest, app: AppContext) => {
    page ??= consolePage({ basePath: app.basePath, accountId: app.accountId ?? "default" });
    return asset(page, "text/html; charset=utf-8");
  };
  router.get("/console", html);
  router.get("/console/", html);
  router.get("/console/app.js", () => asset(CONSOLE_SCRIPT, "text/javascript; charset=utf-8"));
  router.get("/console/app.css", () => asset(CONSOLE_CSS, "text/css; charset=utf-8"));
}
