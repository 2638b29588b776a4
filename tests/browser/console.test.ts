/**
 * The web console in Chromium (run by Node: `node --import tsx --test tests/browser/console.test.ts`)
 * against a real Reposit server on 127.0.0.1, where the console is on by default. It signs in with
 * the API token (a wrong one first), creates a namespace and a repository, pushes to it with the git
 * CLI using the clone command the console showed, finds the commit and the files (text and binary)
 * in the console, mints a read token that git accepts and then revokes it, lists repositories with
 * search, sort and paging, shows the import error, forks, deletes, and signs out. Every step is
 * checked against git or the REST API; no Content-Security-Policy violation or page error may occur.
 * Screenshots go to .cache/test-results/.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Rest } from "../helpers/rest.ts";
import { commitFile, git, tempDir } from "../helpers/git.ts";
import { launchChromium, screenshot } from "./helpers.ts";

const NS = "console-ns";
const BINARY = Uint8Array.from([0, 1, 2, 3, 0xff, 0xfe, 0, 10, 65, 66]);

let server: TestServer;
let browser: Browser;
let page: Page;
let rest: Rest;
let cloneUrl = "";
let head = "";
let readToken = "";
const problems: string[] = [];
const temps: string[] = [];

const heading = () => page.getByRole("heading", { level: 1 });
const region = (name: string): Locator => page.getByRole("region", { name, exact: true });

/** Waits until the first cell of each row of the page's table reads `expected` (views render asynchronously). */
async function expectRows(expected: string[], cell = "th"): Promise<void> {
  const read = () => page.locator(`main table tbody ${cell}`).allTextContents();
  try {
    await page.waitForFunction(
      ([selector, want]) => JSON.stringify([...document.querySelectorAll(selector)].map((e) => e.textContent)) === want,
      [`main table tbody ${cell}`, JSON.stringify(expected)] as const,
      { timeout: 5_000 },
    );
  } catch {
    // Fall through to a readable assertion failure.
  }
  assert.deepEqual(await read(), expected);
}

/** Waits for the view titled `text`; focus must have moved to its heading (or `focused`). */
async function expectHeading(text: string, focused = "H1"): Promise<void> {
  await page.getByRole("heading", { level: 1, name: text, exact: true }).waitFor();
  assert.equal(await heading().textContent(), text);
  // Focus follows navigation, so keyboard and screen reader users start at the new view.
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), focused);
}

before(async () => {
  server = await startServer();
  rest = new Rest(server.url, server.apiToken);
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("web console in Chromium", () => {
  it("signs in with the API token, refusing a wrong one", async () => {
    const response = await page.goto(`${server.url}/console`);
    assert.equal(response?.status(), 200);
    await expectHeading("Sign in", "INPUT");
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), "token");
    await page.getByLabel("API token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Sign-in failed" }).waitFor();
    await screenshot(page, "console-sign-in-refused");
    await page.getByLabel("API token").fill(server.apiToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectHeading("Namespaces");
    assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem("reposit-console-session")!).token), server.apiToken);
  });

  it("creates a namespace and a repository, showing the token and clone command once", async () => {
    await region("Create a namespace").getByLabel("Namespace name").fill(NS);
    await page.getByRole("button", { name: "Create namespace" }).click();
    await expectHeading(NS);
    const create = region("Create a repository");
    await create.getByLabel("Repository name").fill("demo");
    await create.getByLabel("Description").fill("Made in the console");
    await create.getByRole("button", { name: "Create repository" }).click();
    const token = await create.getByLabel("Token").inputValue();
    const command = await create.getByLabel("Clone command").inputValue();
    assert.match(token, /^\S{20,}\?expires=\d+$/);
    assert.match(command, new RegExp(`^git clone http://x:[^@]+@127\\.0\\.0\\.1:\\d+/git/${NS}/demo\\.git$`));
    cloneUrl = command.slice("git clone ".length);
    await expectRows(["demo"]);
    await screenshot(page, "console-repo-created");
    const listed = await rest.call("GET", `/namespaces/${NS}/repos/demo`);
    assert.equal(listed.body.result.description, "Made in the console");
  });

  it("shows what the git CLI pushed with that clone command", async () => {
    const dir = join(tempDir(), "demo");
    temps.push(dir);
    git(["clone", "-q", cloneUrl, dir]);
    git(["checkout", "-q", "-b", "main"], { cwd: dir });
    commitFile(dir, "hello.txt", "hello from git\n", "add hello");
    writeFileSync(join(dir, "blob.bin"), BINARY);
    git(["add", "blob.bin"], { cwd: dir });
    git(["commit", "-q", "-m", "add a binary file"], { cwd: dir });
    head = git(["rev-parse", "HEAD"], { cwd: dir }).stdout.trim();
    git(["push", "-q", "origin", "main"], { cwd: dir });

    await page.getByRole("link", { name: "Open demo" }).click();
    await expectHeading(`${NS}/demo`);
    await region("Branches").getByRole("link", { name: "main", exact: true }).waitFor();

    await page.getByRole("navigation", { name: "Repository" }).getByRole("link", { name: "Commits" }).click();
    await expectHeading(`${NS}/demo: commits`);
    await expectRows(["add a binary file", "add hello"], "td:nth-child(2)");
    await page.getByRole("link", { name: `Commit ${head}` }).click();
    await expectHeading(`${NS}/demo: commit ${head.slice(0, 12)}`);
    assert.equal(await page.locator(".full-hash").textContent(), head);
    assert.equal(await page.locator("pre.message").textContent(), "add a binary file");
    await screenshot(page, "console-commit");

    await page.getByRole("navigation", { name: "Repository" }).getByRole("link", { name: "Files" }).click();
    await expectHeading(`${NS}/demo: files`);
    await expectRows(["blob.bin", "hello.txt"]);
    await page.getByRole("link", { name: "hello.txt" }).click();
    await expectHeading(`${NS}/demo: hello.txt`);
    assert.equal(await page.locator("pre.file").textContent(), "hello from git\n");
    await screenshot(page, "console-text-file");

    await page.goBack();
    await expectHeading(`${NS}/demo: files`);
    await page.getByRole("link", { name: "blob.bin" }).click();
    await expectHeading(`${NS}/demo: blob.bin`);
    await page.getByText("Binary file (10 bytes): not shown.").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download blob.bin (10 bytes)" }).click()]);
    assert.equal(download.suggestedFilename(), "blob.bin");
    assert.deepEqual(new Uint8Array(readFileSync((await download.path())!)), BINARY);
  });

  it("mints a read token git accepts, and revokes it", async () => {
    await page.getByRole("navigation", { name: "Repository" }).getByRole("link", { name: "Tokens" }).click();
    await expectHeading(`${NS}/demo: tokens`);
    const mint = region("Mint a token");
    await mint.getByLabel("Scope").selectOption("read");
    await mint.getByLabel("Lifetime in seconds").fill("3600");
    await mint.getByRole("button", { name: "Mint token" }).click();
    readToken = await mint.getByLabel("Token").inputValue();
    const command = await mint.getByLabel("Clone command").inputValue();
    await screenshot(page, "console-token-minted");
    const url = command.slice("git clone ".length);
    assert.match(git(["ls-remote", url, "refs/heads/main"]).stdout, new RegExp(`^${head}\trefs/heads/main`));

    const listed = await rest.call("GET", `/namespaces/${NS}/repos/demo/tokens`);
    const read = listed.body.result.find((t: { scope: string }) => t.scope === "read");
    assert.ok(read, JSON.stringify(listed.body.result));
    const tokens = region("Tokens");
    await tokens.getByRole("button", { name: `Revoke token ${read.id}` }).click();
    await page.getByRole("status").filter({ hasText: `Revoked token ${read.id}` }).waitFor();
    await tokens.getByRole("button", { name: `Revoke token ${read.id}` }).waitFor({ state: "detached" });
    const refused = git(["ls-remote", url], { allowFail: true });
    assert.notEqual(refused.status, 0);
  });

  it("lists repositories with search, sort and paging", async () => {
    for (let i = 0; i <= 10; i++) await rest.createRepo(NS, `r${String(i).padStart(2, "0")}`);
    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: NS }).click();
    await expectHeading(NS);
    const filters = page.getByRole("search", { name: "Repositories" });
    await filters.getByLabel("Sort by").selectOption("name");
    await filters.getByLabel("Direction").selectOption("asc");
    await filters.getByLabel("Per page").selectOption("10");
    await filters.getByRole("button", { name: "Apply" }).click();
    await expectRows(["demo", "r00", "r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08"]);
    await page.getByRole("link", { name: "Next page" }).click();
    await expectRows(["r09", "r10"]);
    await page.getByRole("link", { name: "First page" }).waitFor();
    await screenshot(page, "console-repo-list-page-2");
    await page.getByRole("search", { name: "Repositories" }).getByLabel("Search names").fill("r1");
    await page.getByRole("search", { name: "Repositories" }).getByRole("button", { name: "Apply" }).click();
    await expectRows(["r10"]);
    assert.equal(await page.getByRole("link", { name: "First page" }).count(), 0);
  });

  it("shows the server's error when an import fails", async () => {
    const form = region("Import a repository");
    await form.getByLabel("Repository name").fill("imported");
    await form.getByLabel("Source URL").fill("http://127.0.0.1:1/nothing.git");
    await form.getByRole("button", { name: "Import repository" }).click();
    const alert = form.getByRole("alert");
    await alert.waitFor();
    // R6 refuses plain http ("Must be an HTTPS URL", 10100); a server without R6 answers 404.
    assert.match((await alert.textContent()) ?? "", /Must be an HTTPS URL \(code 10100, field \/url\)|^HTTP 404/);
    await screenshot(page, "console-import-error");
  });

  it("forks and deletes a repository", async () => {
    await page.goto(`${server.url}/console#/ns/${NS}/repo/demo/manage`);
    await expectHeading(`${NS}/demo: fork and delete`);
    const fork = region("Fork");
    await fork.getByLabel("Name of the fork").fill("demo-fork");
    await fork.getByRole("button", { name: "Fork repository" }).click();
    await fork.getByLabel("Token").waitFor();
    assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/demo-fork`)).status, 200);

    const remove = region("Delete");
    await remove.getByRole("button", { name: "Delete repository…" }).click();
    await remove.getByLabel("Type the repository name to confirm").fill("demx");
    await remove.getByRole("button", { name: "Delete demo permanently" }).click();
    await remove.getByRole("alert").filter({ hasText: "exactly to confirm" }).waitFor();
    assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/demo`)).status, 200);
    await remove.getByLabel("Type the repository name to confirm").fill("demo");
    await remove.getByRole("button", { name: "Delete demo permanently" }).click();
    await expectHeading(NS);
    await page.getByRole("status").filter({ hasText: `Deleted repository ${NS}/demo` }).waitFor();
    assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/demo`)).status, 404);
    assert.equal((await rest.call("GET", `/namespaces/${NS}/repos/demo-fork`)).status, 200);
    await screenshot(page, "console-deleted");
  });

  it("signs out, forgetting the token, without a CSP violation or page error on the way", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expectHeading("Sign in", "INPUT");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("reposit-console-session")), null);
    assert.deepEqual(problems, []);
  });
});
