/**
 * @module console/console-style
 * The console's stylesheet, served as /console/app.css (the CSP allows no inline style). System
 * fonts, light and dark schemes, a visible focus ring.
 *
 * Written without backticks or "${" so it fits a String.raw template unchanged.
 */
export const CONSOLE_CSS = String.raw`
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad; --danger: #b3261e; --card: #f6f8fa; --focus: #ff9800; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #30363d; --accent: #6cb6ff; --danger: #ff7b72; --card: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--card); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
nav ol, nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; }
#crumbs li + li::before, .path li + li::before { content: "/"; margin-right: 0.75rem; color: var(--muted); }
[aria-current] { font-weight: 600; }
.who { margin: 0 0 0 auto; color: var(--muted); }
main { padding: 1rem 1.25rem 3rem; max-width: 72rem; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: 0.25rem 0 1rem; }
h1:focus { outline: none; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.75rem; }
h3 { font-size: 1.05rem; margin: 0 0 0.5rem; }
.tabs { border-bottom: 1px solid var(--line); margin-bottom: 1rem; }
.tabs a { display: inline-block; padding: 0.4rem 0.2rem; }
.tabs a[aria-current] { border-bottom: 3px solid var(--accent); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; }
tbody th { font-weight: 500; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .secret { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
pre { background: var(--card); border: 1px solid var(--line); padding: 0.75rem; overflow: auto; max-height: 70vh; white-space: pre; }
pre.message { white-space: pre-wrap; }
.details { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0 0 1rem; }
.details dt { color: var(--muted); }
.details dd { margin: 0; overflow-wrap: anywhere; }
form.card, .secret-panel { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0.5rem 0; max-width: 44rem; }
form.filters { display: flex; flex-wrap: wrap; align-items: end; gap: 0.5rem 1rem; margin: 0.5rem 0 1rem; }
form.filters .field { margin: 0; }
.field { display: flex; flex-direction: column; gap: 0.2rem; margin-bottom: 0.8rem; }
.field.check { flex-direction: row; align-items: center; gap: 0.5rem; }
.hint { color: var(--muted); }
input, select, button { font: inherit; color: inherit; }
input[type=text], input[type=password], input[type=search], input[type=url], input[type=number], select { padding: 0.35rem 0.5rem; border: 1px solid var(--muted); border-radius: 4px; background: var(--bg); min-width: 12rem; }
input.secret { width: 100%; }
button { padding: 0.4rem 0.9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: var(--bg); cursor: pointer; }
button:disabled { opacity: 0.6; cursor: progress; }
button.danger { background: var(--bg); color: var(--danger); border-color: var(--danger); }
#sign-out { background: transparent; color: var(--accent); }
.error { color: var(--danger); font-weight: 600; border-left: 4px solid var(--danger); padding-left: 0.6rem; }
.notice { font-weight: 600; }
.empty, .binary { color: var(--muted); }
.badge { color: var(--muted); font-size: 0.85em; }
.pager { margin: 0.5rem 0 1rem; }
.status { position: fixed; bottom: 0.75rem; right: 0.75rem; max-width: 24rem; }
.status:not(:empty) { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.8rem; }
.danger-zone { border-color: var(--danger); }
[hidden] { display: none !important; }
`;
