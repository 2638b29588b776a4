/**
 * @module console/script-repo
 * Console views of one repository (browser JavaScript as a string): overview with branches and tags
 * (R3 and the refs extension route), file tree (C1 to find the commit, C3 per directory), one file
 * (C5; binary when a NUL is in the first 8000 bytes, git's xdiff-interface.c buffer_is_binary),
 * commit log (C1) and one commit (C2).
 *
 * Written without backticks or "${" so it fits a String.raw template unchanged.
 */
export const SCRIPT_REPO = String.raw`
// Views of one repository: overview (details, branches, tags), files, one file, commits, one commit.
const REPO_TABS = [["", "Overview"], ["files", "Files"], ["commits", "Commits"], ["tokens", "Tokens"], ["manage", "Fork and delete"]];
const TAB_OF_VIEW = { tree: "files", blob: "files", commit: "commits" };

async function viewRepo(ctx, ns, name, view, args) {
  const repo = (await api("GET", repoPath(ns, name))).result;
  const tab = TAB_OF_VIEW[view] !== undefined ? TAB_OF_VIEW[view] : view;
  const known = REPO_TABS.some((t) => t[0] === tab);
  const base = link("ns", ns, "repo", name);
  const label = known ? REPO_TABS.find((t) => t[0] === tab)[1] : "Not found";
  const page = {
    ctx: ctx,
    ns: ns,
    repo: repo,
    title: tab === "" ? ns + "/" + name : ns + "/" + name + ": " + label.toLowerCase(),
    trail: [["Namespaces", "#/"], [ns, link("ns", ns)], [name, base]].concat(tab === "" ? [] : [[label, base + "/" + enc(tab)]]),
    tabs: repoTabs(ns, name, tab),
  };
  if (view === "") return repoOverview(page);
  if (view === "files" || view === "tree") return repoTree(page, args[0] || repo.default_branch, args.slice(1).filter(Boolean));
  if (view === "blob") return repoFile(page, args[0] || repo.default_branch, args.slice(1).filter(Boolean));
  if (view === "commits") return repoCommits(page, args[0] || repo.default_branch);
  if (view === "commit") return repoCommit(page, args[0] || "");
  if (view === "tokens") return repoTokens(page);
  if (view === "manage") return repoManage(page);
  throw new ApiError(404, "Unknown repository page \u201c" + view + "\u201d");
}

function repoTabs(ns, name, current) {
  const base = link("ns", ns, "repo", name);
  return h(
    "nav",
    { class: "tabs", "aria-label": "Repository" },
    h("ul", null, REPO_TABS.map((t) => h("li", null, h("a", { href: t[0] ? base + "/" + enc(t[0]) : base, "aria-current": t[0] === current ? "page" : false }, t[1])))),
  );
}

function repoLink(page, ...segments) {
  return link("ns", page.ns, "repo", page.repo.name, ...segments);
}

function shortName(ref) {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

function commitLink(page, id) {
  return h("a", { href: repoLink(page, "commit", id), class: "hash", "aria-label": "Commit " + id }, id.slice(0, 12));
}

async function listRefs(page) {
  return (await api("GET", repoPath(page.ns, page.repo.name) + "/refs")).result;
}

async function repoOverview(page) {
  const repo = page.repo;
  const refs = await listRefs(page);
  const branches = refs.filter((r) => r.name.startsWith("refs/heads/"));
  const tags = refs.filter((r) => r.name.startsWith("refs/tags/"));
  const other = refs.filter((r) => !r.name.startsWith("refs/heads/") && !r.name.startsWith("refs/tags/"));
  const refRow = (r) =>
    h(
      "tr",
      null,
      h("th", { scope: "row" }, h("a", { href: repoLink(page, "tree", r.name) }, shortName(r.name)), r.name === "refs/heads/" + repo.default_branch ? h("span", { class: "badge" }, " default") : null),
      h("td", null, h("code", null, r.id.slice(0, 12))),
      h("td", null, r.peeled ? commitLink(page, r.peeled) : null),
      h("td", null, h("a", { href: repoLink(page, "commits", r.name), "aria-label": "Commits of " + shortName(r.name) }, "Commits")),
    );
  const heads = ["Name", "Object", "Peeled to", "History"];
  render(
    page.ctx,
    page.title,
    page.trail,
    page.tabs,
    details([
      ["Description", repo.description || "none"],
      ["Remote", h("code", null, repo.remote)],
      ["Default branch", repo.default_branch],
      ["Read-only", repo.read_only ? "yes" : "no"],
      repo.source ? ["Source", repo.source] : null,
      ["Created", time(repo.created_at)],
      ["Updated", time(repo.updated_at)],
      ["Last push", time(repo.last_push_at)],
      ["ID", h("code", null, repo.id)],
    ]),
    refs.length === 0
      ? h("p", { class: "empty" }, "This repository is empty. Mint a write token on the Tokens page and push to ", h("code", null, repo.remote), ".")
      : null,
    branches.length > 0 ? section("Branches", table("Branches", heads, branches.map(refRow), "")) : null,
    tags.length > 0 ? section("Tags", table("Tags", heads, tags.map(refRow), "")) : null,
    other.length > 0 ? section("Other refs", table("Other refs", heads, other.map(refRow), "")) : null,
  );
}

/** The commit "ref" names, or null (log answers [] for an unknown ref). */
async function resolveCommit(page, ref) {
  const log = (await api("GET", repoPath(page.ns, page.repo.name) + "/log?limit=1&ref=" + enc(ref))).result;
  return log.length > 0 ? log[0] : null;
}

async function readTree(page, hash) {
  return (await api("GET", repoPath(page.ns, page.repo.name) + "/tree/" + enc(hash))).result;
}

const KIND_LABELS = { tree: "Directory", blob: "File", exec: "Executable", symlink: "Symbolic link", gitlink: "Submodule" };

async function repoTree(page, ref, path) {
  const [commit, refs] = await Promise.all([resolveCommit(page, ref), listRefs(page)]);
  if (commit === null) {
    const empty = refs.length === 0;
    return render(page.ctx, page.title, page.trail, page.tabs, h("p", { class: "empty" }, empty ? "This repository has no commits yet." : "No commit found for \u201c" + ref + "\u201d."));
  }
  let hash = commit.treeHash;
  for (let i = 0; i < path.length; i++) {
    const entry = (await readTree(page, hash)).find((e) => e.name === path[i] && e.type === "tree");
    if (!entry) throw new ApiError(404, "Directory not found: " + path.slice(0, i + 1).join("/"));
    hash = entry.hash;
  }
  const entries = (await readTree(page, hash)).slice().sort((a, b) => (a.type === "tree") === (b.type === "tree") ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type === "tree" ? -1 : 1);
  const rows = entries.map((e) => {
    const target = e.type === "tree" ? repoLink(page, "tree", ref, ...path, e.name) : e.type === "gitlink" ? null : repoLink(page, "blob", ref, ...path, e.name);
    return h(
      "tr",
      null,
      h("th", { scope: "row" }, target ? h("a", { href: target }, e.name + (e.type === "tree" ? "/" : "")) : e.name),
      h("td", null, KIND_LABELS[e.type] || e.type),
      h("td", null, h("code", null, e.mode)),
      h("td", null, h("code", null, e.hash.slice(0, 12))),
    );
  });
  if (path.length > 0) {
    rows.unshift(h("tr", null, h("th", { scope: "row" }, h("a", { href: repoLink(page, "tree", ref, ...path.slice(0, -1)) }, "../")), h("td", null, "Parent directory"), h("td"), h("td")));
  }
  render(
    page.ctx,
    page.title,
    page.trail,
    page.tabs,
    refPicker(page, refs, ref, (r) => repoLink(page, "tree", r, ...path)),
    pathTrail(page, ref, path),
    h("p", { class: "at-commit" }, "At commit ", commitLink(page, commit.hash), ": ", firstLine(commit.message)),
    table("Files in /" + path.join("/"), ["Name", "Type", "Mode", "Object"], rows, "This directory is empty."),
  );
}

/** A form choosing a branch or tag; "target(ref)" is where it goes. */
function refPicker(page, refs, current, target) {
  const options = refs.filter((r) => r.name.startsWith("refs/heads/") || r.name.startsWith("refs/tags/")).map((r) => [r.name, shortName(r.name) + (r.name.startsWith("refs/tags/") ? " (tag)" : "")]);
  const fullCurrent = options.some((o) => o[0] === current) ? current : options.some((o) => o[0] === "refs/heads/" + current) ? "refs/heads/" + current : current;
  if (!options.some((o) => o[0] === fullCurrent)) options.unshift([current, current]);
  const form = h("form", { class: "filters" }, field("Branch or tag", select("ref", options, fullCurrent)), h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(target(formText(new FormData(form), "ref")));
  });
  return form;
}

function pathTrail(page, ref, path) {
  const items = [h("li", null, h("a", { href: repoLink(page, "tree", ref) }, shortName(ref)))];
  for (let i = 0; i < path.length; i++) {
    const href = repoLink(page, "tree", ref, ...path.slice(0, i + 1));
    items.push(h("li", null, i === path.length - 1 ? h("a", { href: href, "aria-current": "location" }, path[i]) : h("a", { href: href }, path[i])));
  }
  return h("nav", { class: "path", "aria-label": "Path" }, h("ol", null, items));
}

/** git's rule (xdiff-interface.c buffer_is_binary): a NUL in the first 8000 bytes means binary. */
function looksBinary(bytes) {
  const n = Math.min(bytes.length, SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

async function repoFile(page, ref, path) {
  const file = path.join("/");
  const bytes = await apiBytes(repoPath(page.ns, page.repo.name) + "/file?ref=" + enc(ref) + "&path=" + enc(file));
  const name = path[path.length - 1] || "file";
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const download = h("a", { href: url, download: name, class: "download" }, "Download " + name + " (" + formatBytes(bytes.length) + ")");
  let body;
  if (looksBinary(bytes)) {
    body = h("p", { class: "binary" }, "Binary file (" + formatBytes(bytes.length) + "): not shown. Use the download link.");
  } else {
    const shown = bytes.subarray(0, TEXT_LIMIT);
    let text;
    let note = null;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(shown);
    } catch (error) {
      text = new TextDecoder("utf-8").decode(shown);
      note = "This file is not valid UTF-8; undecodable bytes are shown as \ufffd.";
    }
    if (bytes.length > TEXT_LIMIT) note = "Only the first " + formatBytes(TEXT_LIMIT) + " are shown; download the file for the rest.";
    body = [note ? h("p", { class: "notice" }, note) : null, h("pre", { class: "file", tabindex: "0", "aria-label": "Contents of " + file }, h("code", null, text))];
  }
  const rendered = render(page.ctx, page.ns + "/" + page.repo.name + ": " + file, page.trail, page.tabs, pathTrail(page, ref, path), h("p", null, download), body);
  if (rendered) objectUrls.push(url);
  else URL.revokeObjectURL(url);
}

async function repoCommits(page, ref) {
  const offset = Math.max(0, parseInt(page.ctx.query.get("offset") || "0", 10) || 0);
  const path = repoPath(page.ns, page.repo.name) + "/log?ref=" + enc(ref) + "&limit=" + (LOG_PAGE + 1) + "&offset=" + offset;
  const [log, refs] = await Promise.all([api("GET", path).then((e) => e.result), listRefs(page)]);
  const more = log.length > LOG_PAGE;
  const rows = log.slice(0, LOG_PAGE).map((c) =>
    h("tr", null, h("th", { scope: "row" }, commitLink(page, c.hash)), h("td", null, firstLine(c.message)), h("td", null, c.author.name), h("td", null, unixTime(c.authoredAt))),
  );
  const here = repoLink(page, "commits", ref);
  render(
    page.ctx,
    page.title,
    page.trail,
    page.tabs,
    refPicker(page, refs, ref, (r) => repoLink(page, "commits", r)),
    table("Commits on " + shortName(ref) + " (first parents, newest first)", ["Commit", "Message", "Author", "Date"], rows, refs.length === 0 ? "This repository has no commits yet." : "No commits found for \u201c" + ref + "\u201d."),
    pager([
      offset > 0 ? h("a", { href: withQuery(here, { offset: Math.max(0, offset - LOG_PAGE) }), rel: "prev" }, "Newer commits") : null,
      more ? h("a", { href: withQuery(here, { offset: offset + LOG_PAGE }), rel: "next" }, "Older commits") : null,
    ]),
  );
}

async function repoCommit(page, hash) {
  const c = (await api("GET", repoPath(page.ns, page.repo.name) + "/commit/" + enc(hash))).result;
  const person = (p, at) => [p.name + " <" + p.email + ">, ", unixTime(at)];
  render(
    page.ctx,
    page.ns + "/" + page.repo.name + ": commit " + c.hash.slice(0, 12),
    page.trail,
    page.tabs,
    details([
      ["Commit", h("code", { class: "full-hash" }, c.hash)],
      ["Tree", [h("code", null, c.treeHash), " ", h("a", { href: repoLink(page, "tree", c.hash) }, "Browse files at this commit")]],
      ["Parents", c.parents.length === 0 ? "none (root commit)" : c.parents.map((p, i) => [i > 0 ? ", " : "", commitLink(page, p)])],
      ["Author", person(c.author, c.authoredAt)],
      ["Committer", person(c.committer, c.committedAt)],
    ]),
    section("Message", h("pre", { class: "message", tabindex: "0" }, c.message)),
  );
}
`;
