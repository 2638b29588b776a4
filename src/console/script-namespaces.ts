/**
 * @module console/script-namespaces
 * Console views (browser JavaScript as a string): the namespace list (REST N1, N2) and a namespace's
 * repositories with search, sort, direction and cursor paging (R2), create (R1) and import (R6).
 *
 * Written without backticks or "${" so it fits a String.raw template unchanged.
 */
export const SCRIPT_NAMESPACES = String.raw`
// Views: the namespace list and a namespace's repositories (list, create, import).
async function viewNamespaces(ctx) {
  const cursor = ctx.query.get("cursor") || "";
  const env = await api("GET", withQuery("/namespaces", { limit: PAGE_SIZE, cursor: cursor }));
  const rows = env.result.map((n) =>
    h(
      "tr",
      null,
      h("th", { scope: "row" }, h("a", { href: link("ns", n.namespace) }, n.namespace)),
      h("td", { class: "num" }, String(n.repo_count)),
      h("td", null, n.jurisdiction),
      h("td", null, time(n.created_at)),
    ),
  );
  const next = env.result_info && env.result_info.cursor;
  const box = errorBox();
  const form = h(
    "form",
    { class: "card" },
    field("Namespace name", input({ name: "namespace", required: true }), "2-63 letters, digits, '.', '_' or '-'. Creating a repository also creates its namespace."),
    field("Jurisdiction", select("jurisdiction", [["", "Unrestricted"], ["eu", "EU"], ["us", "US"]], "")),
    box,
    submit("Create namespace"),
  );
  onSubmit(form, box, async (data) => {
    const ns = formText(data, "namespace");
    const jurisdiction = formText(data, "jurisdiction");
    await api("POST", "/namespaces", jurisdiction ? { namespace: ns, jurisdiction: jurisdiction } : { namespace: ns });
    announce("Created namespace " + ns);
    go(link("ns", ns));
  });
  render(
    ctx,
    "Namespaces",
    [["Namespaces", "#/"]],
    table("Namespaces", ["Namespace", "Repositories", "Jurisdiction", "Created"], rows, "No namespaces yet."),
    pager([cursor ? h("a", { href: "#/" }, "First page") : null, next ? h("a", { href: withQuery("#/", { cursor: next }), rel: "next" }, "Next page") : null]),
    section("Create a namespace", form),
  );
}

const SORTS = [["created_at", "Created"], ["updated_at", "Updated"], ["last_push_at", "Last push"], ["name", "Name"]];
const DIRECTIONS = [["desc", "Descending"], ["asc", "Ascending"]];
const PAGE_SIZES = [["10", "10"], ["25", "25"], ["50", "50"], ["100", "100"]];

async function viewRepos(ctx, ns) {
  const q = ctx.query;
  const filters = {
    search: q.get("search") || "",
    sort: oneOf(q.get("sort"), SORTS.map((s) => s[0]), "created_at"),
    direction: oneOf(q.get("direction"), ["desc", "asc"], "desc"),
    limit: oneOf(q.get("limit"), PAGE_SIZES.map((s) => s[0]), PAGE_SIZE),
  };
  const cursor = q.get("cursor") || "";
  const here = link("ns", ns);
  const list = h("div", { class: "list" });

  async function fillList() {
    const env = await api("GET", withQuery(nsPath(ns) + "/repos", Object.assign({ cursor: cursor }, filters)));
    const info = env.result_info || {};
    const rows = env.result.map((r) =>
      h(
        "tr",
        null,
        h("th", { scope: "row" }, h("a", { href: link("ns", ns, "repo", r.name) }, r.name)),
        h("td", null, r.description || ""),
        h("td", null, r.default_branch),
        h("td", null, r.status + (r.read_only ? ", read-only" : "")),
        h("td", null, time(r.created_at)),
        h("td", null, time(r.updated_at)),
        h("td", null, time(r.last_push_at)),
      ),
    );
    const heads = ["Name", "Description", "Default branch", "Status", "Created", "Updated", "Last push"];
    const total = typeof info.total_count === "number" ? " (" + info.total_count + " in all)" : "";
    list.replaceChildren(
      table("Repositories in " + ns + total, heads, rows, filters.search ? "No repository name contains \u201c" + filters.search + "\u201d." : "No repositories yet."),
    );
    append(list, [
      pager([
        cursor ? h("a", { href: withQuery(here, filters) }, "First page") : null,
        info.cursor ? h("a", { href: withQuery(here, Object.assign({ cursor: info.cursor }, filters)), rel: "next" }, "Next page") : null,
      ]),
    ]);
  }
  await fillList();

  const filterForm = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Repositories" },
    field("Search names", input({ type: "search", name: "search", value: filters.search })),
    field("Sort by", select("sort", SORTS, filters.sort)),
    field("Direction", select("direction", DIRECTIONS, filters.direction)),
    field("Per page", select("limit", PAGE_SIZES, filters.limit)),
    h("button", { type: "submit" }, "Apply"),
  );
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(filterForm);
    go(withQuery(here, { search: formText(data, "search"), sort: formText(data, "sort"), direction: formText(data, "direction"), limit: formText(data, "limit") }));
  });

  render(
    ctx,
    ns,
    [["Namespaces", "#/"], [ns, here]],
    filterForm,
    list,
    section("Create a repository", createRepoForm(ns, fillList)),
    section("Import a repository", importRepoForm(ns, fillList)),
  );
}

function createRepoForm(ns, refresh) {
  const box = errorBox();
  const result = h("div", { class: "result" });
  const form = h(
    "form",
    { class: "card" },
    field("Repository name", input({ name: "name", required: true }), "Letters, digits, '.', '_' or '-', starting with a letter or digit."),
    field("Description", input({ name: "description" })),
    field("Default branch", input({ name: "default_branch", placeholder: "main" })),
    checkbox("Read-only (pushes are refused)", "read_only"),
    box,
    submit("Create repository"),
  );
  onSubmit(form, box, async (data) => {
    const body = { name: formText(data, "name"), read_only: data.get("read_only") === "1" };
    if (formText(data, "description")) body.description = formText(data, "description");
    if (formText(data, "default_branch")) body.default_branch = formText(data, "default_branch");
    const created = (await api("POST", nsPath(ns) + "/repos", body)).result;
    result.replaceChildren(createdPanel(ns, created, "Created " + created.name));
    form.reset();
    announce("Created repository " + created.name);
    await refresh();
    result.querySelector("[data-secret=token]").focus();
  });
  return [form, result];
}

function importRepoForm(ns, refresh) {
  const box = errorBox();
  const result = h("div", { class: "result" });
  const form = h(
    "form",
    { class: "card" },
    field("Repository name", input({ name: "name", required: true })),
    field("Source URL", input({ type: "url", name: "url", required: true, placeholder: "https://github.com/owner/repo" }), "An HTTPS git URL of a public repository."),
    field("Branch", input({ name: "branch" }), "Default: the source's default branch."),
    field("Depth", input({ type: "number", name: "depth", min: "1", step: "1", inputmode: "numeric" }), "Leave empty for the full history."),
    checkbox("Read-only", "read_only"),
    box,
    submit("Import repository"),
  );
  onSubmit(form, box, async (data) => {
    const name = formText(data, "name");
    const body = { url: formText(data, "url"), read_only: data.get("read_only") === "1" };
    if (formText(data, "branch")) body.branch = formText(data, "branch");
    if (formText(data, "depth")) body.depth = Number(formText(data, "depth"));
    const created = (await api("POST", repoPath(ns, name) + "/import", body)).result;
    result.replaceChildren(createdPanel(ns, created, "Imported " + created.name));
    form.reset();
    announce("Imported repository " + created.name);
    await refresh();
    result.querySelector("[data-secret=token]").focus();
  });
  return [form, result];
}

/** The answer of create, fork and import: the initial write token, once. */
function createdPanel(ns, created, title) {
  return secretPanel(
    title,
    created.token,
    created.remote,
    h("p", null, "This write token expires ", created.expires_at ? time(created.expires_at) : "in 24 hours", ". "),
    h("p", null, h("a", { href: link("ns", ns, "repo", created.name) }, "Open " + created.name)),
  );
}
`;
