/**
 * @module console/script-admin
 * Console views that change a repository (browser JavaScript as a string): tokens (T1 list, T2 mint,
 * T3 revoke; a new token and its clone command are shown once), fork (R5) and delete (R4, confirmed
 * by typing the name).
 *
 * Written without backticks or "${" so it fits a String.raw template unchanged.
 */
export const SCRIPT_ADMIN = String.raw`
// Views of one repository that change things: tokens (list, mint, revoke), fork and delete.
const TOKEN_STATES = [["active", "Active"], ["expired", "Expired"], ["revoked", "Revoked"], ["all", "All"]];
const TOKENS_PER_PAGE = 50;

async function repoTokens(page) {
  const repo = page.repo;
  const state = oneOf(page.ctx.query.get("state"), TOKEN_STATES.map((s) => s[0]), "active");
  const number = Math.max(1, parseInt(page.ctx.query.get("page") || "1", 10) || 1);
  const here = repoLink(page, "tokens");
  const list = h("div", { class: "list" });

  async function fillList() {
    const env = await api("GET", repoPath(page.ns, repo.name) + "/tokens?state=" + state + "&per_page=" + TOKENS_PER_PAGE + "&page=" + number);
    const info = env.result_info || {};
    const rows = env.result.map((t) =>
      h(
        "tr",
        null,
        h("th", { scope: "row" }, h("code", null, t.id)),
        h("td", null, t.scope),
        h("td", null, t.state),
        h("td", null, time(t.created_at)),
        h("td", null, time(t.expires_at)),
        h("td", null, t.state === "active" ? h("button", { type: "button", class: "danger", "aria-label": "Revoke token " + t.id, onclick: () => revoke(t.id) }, "Revoke") : null),
      ),
    );
    list.replaceChildren(table("Tokens (" + state + ")", ["ID", "Scope", "State", "Created", "Expires", "Action"], rows, "No " + (state === "all" ? "" : state + " ") + "tokens."));
    append(list, [
      pager([
        number > 1 ? h("a", { href: withQuery(here, { state: state, page: number - 1 }), rel: "prev" }, "Previous page") : null,
        info.total_pages > number ? h("a", { href: withQuery(here, { state: state, page: number + 1 }), rel: "next" }, "Next page") : null,
      ]),
    ]);
  }

  const listBox = errorBox();
  async function revoke(id) {
    listBox.replaceChildren();
    try {
      await api("DELETE", nsPath(page.ns) + "/tokens/" + enc(id));
      announce("Revoked token " + id);
      await fillList();
    } catch (error) {
      if (!handleAuth(error)) showError(listBox, error);
    }
  }
  await fillList();

  const filter = h("form", { class: "filters" }, field("Show", select("state", TOKEN_STATES, state)), h("button", { type: "submit" }, "Show"));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    go(withQuery(here, { state: formText(new FormData(filter), "state") }));
  });

  const box = errorBox();
  const result = h("div", { class: "result" });
  const mint = h(
    "form",
    { class: "card" },
    field("Scope", select("scope", [["read", "Read (clone and fetch)"], ["write", "Write (also push)"]], "read")),
    field("Lifetime in seconds", input({ type: "number", name: "ttl", value: "86400", min: "60", max: "31536000", step: "1", required: true, inputmode: "numeric" }), "60 (one minute) to 31536000 (one year); 86400 is one day."),
    box,
    submit("Mint token"),
  );
  onSubmit(mint, box, async (data) => {
    const scope = formText(data, "scope");
    const token = (await api("POST", nsPath(page.ns) + "/tokens", { repo: repo.name, scope: scope, ttl: Number(formText(data, "ttl")) })).result;
    result.replaceChildren(secretPanel("New " + token.scope + " token", token.plaintext, repo.remote, h("p", null, "Token ", h("code", null, token.id), " expires ", time(token.expires_at), ".")));
    announce("Minted a " + token.scope + " token");
    await fillList();
    result.querySelector("[data-secret=token]").focus();
  });

  render(page.ctx, page.title, page.trail, page.tabs, section("Mint a token", mint, result), section("Tokens", filter, listBox, list));
}

function repoManage(page) {
  const repo = page.repo;
  const forkBox = errorBox();
  const forkResult = h("div", { class: "result" });
  const fork = h(
    "form",
    { class: "card" },
    field("Name of the fork", input({ name: "name", required: true })),
    field("Description", input({ name: "description" })),
    checkbox("Default branch only", "default_branch_only"),
    checkbox("Read-only", "read_only"),
    forkBox,
    submit("Fork repository"),
  );
  onSubmit(fork, forkBox, async (data) => {
    const body = { name: formText(data, "name"), default_branch_only: data.get("default_branch_only") === "1", read_only: data.get("read_only") === "1" };
    if (formText(data, "description")) body.description = formText(data, "description");
    const created = (await api("POST", repoPath(page.ns, repo.name) + "/fork", body)).result;
    forkResult.replaceChildren(createdPanel(page.ns, created, "Forked into " + created.name));
    fork.reset();
    announce("Forked into " + created.name);
    forkResult.querySelector("[data-secret=token]").focus();
  });

  const deleteBox = errorBox();
  const confirmInput = input({ name: "confirm", required: true });
  const confirm = h(
    "form",
    { class: "card danger-zone", hidden: true },
    field("Type the repository name to confirm", confirmInput, "Deleting removes the repository, its refs and its tokens. It cannot be undone."),
    deleteBox,
    h("button", { type: "submit", class: "danger" }, "Delete " + repo.name + " permanently"),
  );
  const ask = h("button", { type: "button", class: "danger", "aria-expanded": "false" }, "Delete repository\u2026");
  ask.addEventListener("click", () => {
    confirm.hidden = false;
    ask.setAttribute("aria-expanded", "true");
    confirmInput.focus();
  });
  onSubmit(confirm, deleteBox, async (data) => {
    if (formText(data, "confirm") !== repo.name) throw new Error("Type \u201c" + repo.name + "\u201d exactly to confirm");
    await api("DELETE", repoPath(page.ns, repo.name));
    announce("Deleted repository " + page.ns + "/" + repo.name);
    go(link("ns", page.ns));
  });

  render(page.ctx, page.title, page.trail, page.tabs, section("Fork", fork, forkResult), section("Delete", ask, confirm));
}
`;
