/**
 * @module console/script-core
 * The console script's core (plain browser JavaScript kept as a string, so every runtime serves it
 * without a file system): the session in sessionStorage, the REST client (every action goes through
 * the public REST API with the control-plane token), DOM helpers that only ever set text and
 * attributes (never markup), the hash router and the sign-in form. Assembled by console-script.ts.
 *
 * Written without backticks or "${" so it fits a String.raw template unchanged.
 */
export const SCRIPT_CORE = String.raw`
// Core: session, REST client, DOM helpers, hash router, sign-in.
const doc = document;
const BASE = doc.documentElement.getAttribute("data-base-path") || "";
const DEFAULT_ACCOUNT = doc.documentElement.getAttribute("data-account") || "default";
const SESSION_KEY = "reposit-console-session";
const PAGE_SIZE = "25";
const LOG_PAGE = 30;
/** Bytes of a text file shown inline; the rest is offered as a download. */
const TEXT_LIMIT = 512 * 1024;
/** git's binary heuristic looks for a NUL in this many leading bytes (xdiff-interface.c). */
const SNIFF_BYTES = 8000;
const enc = encodeURIComponent;

let mainEl = null;
let crumbsEl = null;
let statusEl = null;
let signOutEl = null;
let whoEl = null;
let renderSeq = 0;
let idSeq = 0;
let objectUrls = [];

class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    return s && typeof s.token === "string" && typeof s.account === "string" ? s : null;
  } catch (error) {
    return null;
  }
}

function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

function nsPath(ns) {
  return "/namespaces/" + enc(ns);
}

function repoPath(ns, name) {
  return nsPath(ns) + "/repos/" + enc(name);
}

/** One REST call with the session's API token; never throws for HTTP statuses. */
async function send(method, path, body, session) {
  const s = session || loadSession();
  if (!s) throw new ApiError(401, "Not signed in");
  const headers = { Authorization: "Bearer " + s.token };
  const init = { method: method, headers: headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const url = BASE + "/client/v4/accounts/" + enc(s.account) + "/artifacts" + path;
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, "Cannot reach the server: " + messageOf(error));
  }
}

/** The error of a failed call: the envelope's messages, else the status and text body. */
async function failure(response) {
  let message = "HTTP " + response.status + (response.statusText ? " " + response.statusText : "");
  let code;
  const text = await response.text().catch(() => "");
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    parsed = null;
  }
  if (parsed && Array.isArray(parsed.errors) && parsed.errors.length > 0) {
    message = parsed.errors.map(describeApiError).join("; ");
    code = parsed.errors[0].code;
  } else if (text.trim() !== "") {
    message += ": " + text.trim().slice(0, 300);
  }
  return new ApiError(response.status, message, code);
}

function describeApiError(e) {
  const details = [];
  if (e.code !== undefined) details.push("code " + e.code);
  if (e.source && e.source.pointer) details.push("field " + e.source.pointer);
  return String(e.message) + (details.length > 0 ? " (" + details.join(", ") + ")" : "");
}

/** A REST call answered with the v4 envelope. */
async function api(method, path, body, session) {
  const response = await send(method, path, body, session);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return { result: null };
  return response.json();
}

/** A byte route (file, blob, raw). */
async function apiBytes(path) {
  const response = await send("GET", path);
  if (!response.ok) throw await failure(response);
  return new Uint8Array(await response.arrayBuffer());
}

// ---- DOM helpers: every value goes in as text or an attribute, never as markup.

function h(tag, attrs, ...children) {
  const el = doc.createElement(tag);
  if (attrs) {
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "value") el.value = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

function nextId(prefix) {
  idSeq += 1;
  return prefix + idSeq;
}

/** A labelled form control with an optional hint tied to it by aria-describedby. */
function field(label, control, hint) {
  const id = nextId("f");
  control.id = id;
  const parts = [h("label", { for: id }, label), control];
  if (hint) {
    const hintId = id + "-hint";
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}

function input(attrs) {
  return h("input", Object.assign({ type: "text", autocomplete: "off", spellcheck: "false" }, attrs));
}

function select(name, options, current) {
  return h("select", { name: name }, options.map((o) => h("option", { value: o[0], selected: o[0] === current }, o[1])));
}

function checkbox(label, name) {
  const id = nextId("c");
  return h("div", { class: "field check" }, h("input", { type: "checkbox", id: id, name: name, value: "1" }), h("label", { for: id }, label));
}

function submit(label) {
  return h("button", { type: "submit" }, label);
}

function errorBox() {
  return h("div", { class: "error-box" });
}

function showError(box, error) {
  box.replaceChildren(h("p", { role: "alert", class: "error" }, messageOf(error)));
}

function section(title, ...children) {
  const id = nextId("s");
  return h("section", { "aria-labelledby": id }, h("h2", { id: id }, title), children);
}

function table(caption, headings, rows, empty) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", null, caption),
      h("thead", null, h("tr", null, headings.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, rows),
    ),
  );
}

function details(pairs) {
  return h("dl", { class: "details" }, pairs.filter((p) => p !== null).map((p) => [h("dt", null, p[0]), h("dd", null, p[1])]));
}

function pager(links) {
  const items = links.filter(Boolean);
  if (items.length === 0) return null;
  return h("nav", { class: "pager", "aria-label": "Pages" }, h("ul", null, items.map((a) => h("li", null, a))));
}

function time(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h("time", { datetime: d.toISOString() }, d.toISOString().slice(0, 16).replace("T", " ") + " UTC");
}

function unixTime(seconds) {
  return time(new Date(seconds * 1000).toISOString());
}

function formatBytes(n) {
  if (n < 1024) return n + " bytes";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
  return (n / (1024 * 1024)).toFixed(1) + " MiB";
}

function firstLine(text) {
  const i = text.indexOf("\n");
  return i === -1 ? text : text.slice(0, i);
}

/** Says "text" in the live region; it fades after a while so stale news does not linger. */
function announce(text) {
  statusEl.textContent = text;
  setTimeout(() => {
    if (statusEl.textContent === text) statusEl.textContent = "";
  }, 10000);
}

function oneOf(value, allowed, fallback) {
  return allowed.indexOf(value) === -1 ? fallback : value;
}

/** Runs "action" on submit: no navigation, the button disabled meanwhile, errors shown in "box". */
function onSubmit(form, box, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.replaceChildren();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await action(new FormData(form));
    } catch (error) {
      if (!handleAuth(error)) showError(box, error);
    } finally {
      if (button) button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
}

function formText(data, name) {
  const value = data.get(name);
  return typeof value === "string" ? value.trim() : "";
}

// ---- Addresses: "#/ns/<ns>/repo/<name>/<view>/<args...>?<query>", each segment percent-encoded.

function link(...segments) {
  return "#/" + segments.map((s) => enc(s)).join("/");
}

function withQuery(href, params) {
  const q = new URLSearchParams();
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const text = q.toString();
  return text ? href + "?" + text : href;
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  const parts = path === "" ? [] : path.split("/").map(decodeSegment);
  return { parts: parts, query: query };
}

function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    return segment;
  }
}

function go(href) {
  if (location.hash === href) route();
  else location.hash = href;
}

/** Replaces the page; false when a newer navigation started meanwhile. Focus moves to the heading. */
function render(ctx, title, trail, ...nodes) {
  if (ctx && ctx.seq !== renderSeq) return false;
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls = [];
  doc.title = title + " - Reposit console";
  crumbsEl.replaceChildren(
    ...trail.map((c, i) =>
      h("li", null, i === trail.length - 1 ? h("a", { href: c[1], "aria-current": "page" }, c[0]) : h("a", { href: c[1] }, c[0])),
    ),
  );
  const heading = h("h1", { tabindex: "-1" }, title);
  mainEl.replaceChildren(heading);
  append(mainEl, nodes);
  heading.focus();
  return true;
}

/** A 401 means the API token is wrong or was rotated: back to the sign-in form. */
function handleAuth(error) {
  if (!(error instanceof ApiError) || error.status !== 401 || loadSession() === null) return false;
  clearSession();
  signOutEl.hidden = true;
  whoEl.textContent = "";
  viewSignIn("The server refused the API token: " + error.message);
  return true;
}

async function route() {
  renderSeq += 1;
  const seq = renderSeq;
  const session = loadSession();
  signOutEl.hidden = session === null;
  whoEl.textContent = session ? "Account " + session.account : "";
  if (!session) {
    viewSignIn("");
    return;
  }
  const where = parseHash();
  const ctx = { seq: seq, query: where.query };
  const p = where.parts;
  mainEl.setAttribute("aria-busy", "true");
  try {
    if (p.length === 0) await viewNamespaces(ctx);
    else if (p[0] === "ns" && p.length === 2) await viewRepos(ctx, p[1]);
    else if (p[0] === "ns" && p[2] === "repo" && p.length >= 4) await viewRepo(ctx, p[1], p[3], p[4] || "", p.slice(5));
    else render(ctx, "Page not found", [["Namespaces", "#/"]], h("p", null, "There is nothing at this address. ", h("a", { href: "#/" }, "See the namespaces.")));
  } catch (error) {
    if (seq !== renderSeq || handleAuth(error)) return;
    render(
      ctx,
      "Something went wrong",
      [["Namespaces", "#/"]],
      h("p", { role: "alert", class: "error" }, messageOf(error)),
      h("p", null, h("button", { type: "button", onclick: () => route() }, "Try again")),
    );
  } finally {
    if (seq === renderSeq) mainEl.removeAttribute("aria-busy");
  }
}

function viewSignIn(message) {
  renderSeq += 1;
  const box = errorBox();
  if (message) showError(box, message);
  const token = input({ type: "password", name: "token", required: true, autocomplete: "current-password" });
  const account = input({ name: "account", required: true, value: DEFAULT_ACCOUNT });
  const form = h(
    "form",
    { class: "card" },
    field("API token", token, "The control-plane token (REPOSIT_API_TOKEN; the server prints it at start-up). It stays in this tab's session storage."),
    field("Account ID", account, "Any ID works unless the server sets REPOSIT_ACCOUNT_ID."),
    box,
    submit("Sign in"),
  );
  onSubmit(form, box, async (data) => {
    const session = { token: formText(data, "token"), account: formText(data, "account") || DEFAULT_ACCOUNT };
    try {
      await api("GET", "/namespaces?limit=1", undefined, session);
    } catch (error) {
      throw new ApiError(0, error instanceof ApiError && error.status === 401 ? "Sign-in failed: " + error.message : messageOf(error));
    }
    saveSession(session);
    announce("Signed in");
    route();
  });
  render(null, "Sign in", [], h("p", null, "Manage repositories, tokens and content of this Reposit server."), form);
  token.focus();
}

/** The one-time display of a new token, with a ready-to-paste clone command. */
function secretPanel(title, token, remote, ...extra) {
  const url = new URL(remote);
  url.username = "x";
  url.password = token;
  const selectAll = (event) => event.target.select();
  return h(
    "div",
    { class: "secret-panel" },
    h("h3", null, title),
    h("p", { class: "notice" }, "Copy the token now: it is not shown again."),
    field("Token", input({ readonly: true, value: token, class: "secret", "data-secret": "token", onfocus: selectAll })),
    field(
      "Clone command",
      input({ readonly: true, value: "git clone " + url.href, class: "secret", "data-secret": "clone", onfocus: selectAll }),
      "The token is the password of the URL; git keeps the URL in the clone's .git/config.",
    ),
    extra,
  );
}

function start() {
  mainEl = doc.getElementById("main");
  crumbsEl = doc.getElementById("crumbs");
  statusEl = doc.getElementById("status");
  signOutEl = doc.getElementById("sign-out");
  whoEl = doc.getElementById("who");
  signOutEl.addEventListener("click", () => {
    clearSession();
    announce("Signed out");
    go("#/");
  });
  window.addEventListener("hashchange", () => route());
  route();
}
`;
