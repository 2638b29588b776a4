/**
 * @module console/console-page
 * The console's HTML shell, served at /console. It carries no data and no inline script or style
 * (the Content-Security-Policy forbids both): the script (/console/app.js) renders every view into
 * <main> from the hash address, so the page is the same for everyone and can be cached.
 */

export interface ConsolePageOptions {
  /** Mount point of the handler ("" or e.g. "/git-service"). */
  readonly basePath: string;
  /** The account id REST calls use by default (the configured one, if any). */
  readonly accountId: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for an HTML attribute value or text node. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * The HTML of /console.
 * @example consolePage({ basePath: "", accountId: "default" })
 */
export function consolePage(options: ConsolePageOptions): string {
  const base = escapeHtml(options.basePath);
  return `<!doctype html>
<html lang="en" data-base-path="${base}" data-account="${escapeHtml(options.accountId)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Reposit console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/console/app.css">
<script src="${base}/console/app.js" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="#/">Reposit console</a>
<nav aria-label="Breadcrumb"><ol id="crumbs"></ol></nav>
<p id="who" class="who"></p>
<button type="button" id="sign-out" hidden>Sign out</button>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="status" class="status" role="status" aria-live="polite"></div>
<noscript><p>The Reposit console needs JavaScript.</p></noscript>
</body>
</html>
`;
}
