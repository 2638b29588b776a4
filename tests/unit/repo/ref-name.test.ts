import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { checkBranchName, checkRefFormat, checkRefnameFormat, isValidBranchName, refNameError, refSortCompare } from "../../../src/repo/ref-name.ts";
import { gitEnv } from "../objects/git-fixture.ts";

let dir = "";
let emptyRepo = "";
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-ref-name-"));
  emptyRepo = path.join(dir, "empty");
  execFileSync("git", ["init", "-q", emptyRepo], { env: gitEnv(dir) });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the real `git check-ref-format [flags] <name>` once per name (one bash process loops over
 * them). git reads a leading "-" as an option, so such names are asked with "x" instead: "-" and
 * "x" are treated alike by every rule (refs.c refname_disposition gives both 0).
 */
function gitCheckRefFormat(names: string[], flags: string[] = []): boolean[] {
  if (names.length === 0) return [];
  const script = `while IFS= read -r -d '' n; do if git check-ref-format ${flags.join(" ")} "$n" >/dev/null 2>&1; then printf 1; else printf 0; fi; done`;
  const asked = flags.includes("--branch") ? names : names.map((n) => n.replace(/^-/, "x"));
  const out = execFileSync("bash", ["-c", script], {
    cwd: dir, // not a repository, so --branch does not expand @{-1} and friends
    input: asked.map((n) => `${n}\0`).join(""),
    env: { ...gitEnv(dir), GIT_CEILING_DIRECTORIES: path.dirname(dir) },
  }).toString();
  assert.equal(out.length, names.length);
  return [...out].map((c) => c === "1");
}

/**
 * git's `check_refname_format(name, 0)` for many names in one process: `git show-ref
 * --exclude-existing` reads "<anything> <ref>" lines, runs exactly that check on the last word, and
 * prints the lines that pass (our empty repository has no refs to exclude). Spawning git costs
 * ~25 ms on our machines, so this keeps property tests fast. Names the line format cannot carry
 * (whitespace, a "^{}" suffix, empty) go through `gitCheckRefFormat` instead.
 */
function gitAcceptsBatch(names: string[]): boolean[] {
  const lineSafe = (n: string) => n.length > 0 && !/[\s]/.test(n) && !n.endsWith("^{}");
  const batch = names.flatMap((n, i) => (lineSafe(n) ? [`${i} ${n}\n`] : [])).join("");
  const out = execFileSync("git", ["show-ref", "--exclude-existing"], { cwd: emptyRepo, input: batch, env: gitEnv(dir), stdio: ["pipe", "pipe", "ignore"] }).toString();
  const passed = new Set(out.split("\n").filter((l) => l.length > 0).map((l) => Number(l.slice(0, l.indexOf(" ")))));
  const others = names.filter((n) => !lineSafe(n));
  const otherAnswers = gitCheckRefFormat(others);
  return names.map((n, i) => (lineSafe(n) ? passed.has(i) : otherAnswers.shift()!));
}

/** What receive-pack accepts (builtin/receive-pack.c update()): "refs/" + check_refname_format(rest, 0). */
function receivePackAccepts(names: string[], check: (rests: string[]) => boolean[]): boolean[] {
  const rests = names.map((n) => (n.startsWith("refs/") ? n.slice(5) : null));
  const answers = check(rests.filter((r): r is string => r !== null));
  return rests.map((r) => (r === null ? false : answers.shift()!));
}

// [name, accepted by receive-pack]
const TABLE: [string, boolean][] = [
  ["refs/heads/main", true],
  ["refs/heads/feature/x", true],
  ["refs/tags/v1.0.0", true],
  ["refs/heads/ünïcode", true],
  ["refs/heads/😀", true],
  ["refs/heads/a.b", true],
  ["refs/heads/a@b", true],
  ["refs/heads/@", true],
  ["refs/heads/a{b}", true],
  ["refs/heads/-dash", true],
  ["refs/heads/HEAD", true],
  ["refs/heads/x.lockx", true],
  ["refs/heads/lock", true],
  ["refs/heads/a-.b", true],
  ["refs/x/y", true],
  ["refs/heads/a_b+c=d,e;f", true],
  ["refs/heads/a'b\"c", true],
  ["refs/heads/a%20b#c!d", true],
  ["refs/heads/a|b&c$d", true],
  ["refs/heads/a<b>", true],
  ["refs/heads/a]", true],
  ["refs/heads/foo./bar", true],
  ["refs/heads/a.lock.b", true],
  ["refs/pull/1/head", true],
  ["refs/heads/x\u00a0y", true],
  ["refs/heads/\u00ff", true],
  ["refs/notes/commits", true],
  ["refs/heads/@/x", true],
  ["refs/heads/{", true],
  ["refs/foo", false],
  ["refs/", false],
  ["refs", false],
  ["heads/main", false],
  ["HEAD", false],
  ["Refs/heads/x", false],
  ["refs/heads/", false],
  ["refs//heads/x", false],
  ["refs/heads//x", false],
  ["/refs/heads/x", false],
  ["refs/heads/a/", false],
  ["refs/heads/a..b", false],
  ["refs/heads/..", false],
  ["refs/heads/..x", false],
  ["refs/heads/.hidden", false],
  ["refs/heads/x/.y", false],
  ["refs/.heads/x", false],
  ["refs/heads/x.lock", false],
  ["refs/heads/x.lock/y", false],
  ["refs/heads/.lock", false],
  ["refs/heads/x.", false],
  ["refs/heads/x/.", false],
  ["refs/heads/ends.with.dot.", false],
  ["refs/heads/a b", false],
  ["refs/heads/a~b", false],
  ["refs/heads/a^b", false],
  ["refs/heads/a:b", false],
  ["refs/heads/a?b", false],
  ["refs/heads/a*b", false],
  ["refs/heads/a[b", false],
  ["refs/heads/a\\b", false],
  ["refs/heads/a\tb", false],
  ["refs/heads/a\nb", false],
  ["refs/heads/a\x01b", false],
  ["refs/heads/\x1f", false],
  ["refs/heads/a\x7fb", false],
  ["refs/heads/a@{b", false],
  ["refs/heads/@{u}", false],
  ["refs/@", false],
  ["refs/heads/a/..", false],
];

describe("checkRefFormat against git", () => {
  it(`agrees with the table and with git on ${TABLE.length} names`, () => {
    const names = TABLE.map(([n]) => n);
    const git = receivePackAccepts(names, gitCheckRefFormat);
    // The one-process oracle used below must give the same answers as the binary.
    assert.deepEqual(receivePackAccepts(names, gitAcceptsBatch), git);
    TABLE.forEach(([name, expected], i) => {
      const reason = checkRefFormat(name);
      assert.equal(reason === null, expected, `${JSON.stringify(name)}: ours says ${reason}`);
      assert.equal(git[i], expected, `${JSON.stringify(name)}: git disagrees with the table`);
      assert.equal(checkRefFormat(Buffer.from(name, "utf8")), reason, `${JSON.stringify(name)} as bytes`);
    });
  });

  it("checkRefnameFormat agrees with `git check-ref-format` with and without --allow-onelevel", () => {
    const names = [...TABLE.map(([n]) => n), "main", "@", "", ".x", "x.lock", "a", "a.", "-x", "x/-y"];
    const strict = gitAcceptsBatch(names);
    const oneLevel = names.filter((n) => !n.includes("/"));
    const allowed = gitCheckRefFormat(oneLevel, ["--allow-onelevel"]);
    names.forEach((name, i) => assert.equal(checkRefnameFormat(name) === null, strict[i], JSON.stringify(name)));
    oneLevel.forEach((name, i) => assert.equal(checkRefnameFormat(name, { allowOnelevel: true }) === null, allowed[i], `${JSON.stringify(name)} --allow-onelevel`));
    assert.deepEqual(oneLevel.filter((n, i) => allowed[i]), ["refs", "HEAD", "main", "a", "-x"]);
  });

  it("agrees with git on a few hundred generated names (property, batched)", () => {
    // Mostly harmless tokens, so that about half the names pass and every rule gets its turn.
    const token = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom("a", "b", "Z", "0", "-", "]", "}", "é", "😀", "heads/", "x/") },
      { weight: 3, arbitrary: fc.constantFrom(".", "/", "@", "{", "lock", ".lock") },
      { weight: 1, arbitrary: fc.constantFrom(" ", "~", "^", ":", "?", "*", "[", "\\", "\t", "\x01", "\x7f") },
    );
    const arb = fc.tuple(fc.constantFrom("refs/", "refs/heads/", "refs/heads/", "refs/tags/", "", "/"), fc.array(token, { maxLength: 8 })).map(([p, t]) => p + t.join(""));
    const names = fc.sample(arb, { numRuns: 400, seed: 7 });
    const git = receivePackAccepts(names, gitAcceptsBatch);
    const generic = gitAcceptsBatch(names);
    let accepted = 0;
    names.forEach((name, i) => {
      const ours = checkRefFormat(name);
      assert.equal(ours === null, git[i], `${JSON.stringify(name)}: ours ${ours}, git ${git[i]}`);
      assert.equal(checkRefnameFormat(name) === null, generic[i], `${JSON.stringify(name)} (git's own rules)`);
      if (ours === null) accepted++;
    });
    // The sample must exercise both outcomes to mean anything.
    assert.ok(accepted > 100 && accepted < names.length - 100, `accepted ${accepted} of ${names.length}`);
  });

  it("matches what a real `git push` to receive-pack accepts", () => {
    const bare = path.join(dir, "bare.git");
    const work = path.join(dir, "work");
    const env = gitEnv(dir);
    const git = (cwd: string, ...args: string[]) => spawnSync("git", args, { cwd, env, encoding: "utf8" });
    fs.mkdirSync(work);
    git(dir, "init", "-q", "--bare", bare);
    git(work, "init", "-q", "-b", "main");
    git(work, "commit", "-q", "--allow-empty", "-m", "x");
    const targets = ["refs/foo", "refs/foo/bar", "refs/heads/ok", "refs/heads/-dash", "refs/heads/@"];
    const result = git(work, "push", "--porcelain", bare, ...targets.map((t) => `HEAD:${t}`));
    for (const target of targets) {
      const line = result.stdout.split("\n").find((l) => l.includes(`:${target}\t`)) ?? "";
      const pushed = line.startsWith("*");
      assert.equal(pushed, checkRefFormat(target) === null, `${target}: ${line || result.stderr}`);
    }
    assert.match(result.stdout, /^!\tHEAD:refs\/foo\t\[remote rejected\] \(funny refname\)$/m);
  });
});

describe("checkRefFormat beyond git", () => {
  it("caps the length in UTF-8 bytes", () => {
    const at = (n: number, c = "a") => `refs/heads/${c.repeat(n)}`;
    assert.equal(checkRefFormat(at(1024 - 11)), null);
    assert.equal(checkRefFormat(at(1024 - 10)), "must be at most 1024 bytes of UTF-8, got 1025");
    assert.equal(checkRefFormat(at(506, "é")), null); // 11 + 1012 bytes
    assert.equal(checkRefFormat(at(507, "é")), "must be at most 1024 bytes of UTF-8, got 1025");
    assert.equal(checkRefFormat("refs/heads/abc", 13), "must be at most 13 bytes of UTF-8, got 14");
    assert.equal(checkRefFormat(Buffer.from(at(2000)), 1024), "must be at most 1024 bytes of UTF-8, got 2011");
  });

  it("requires valid UTF-8", () => {
    assert.equal(checkRefFormat(new Uint8Array([...Buffer.from("refs/heads/a"), 0xff])), "must be valid UTF-8");
    assert.equal(checkRefFormat(new Uint8Array([...Buffer.from("refs/heads/a"), 0xc3])), "must be valid UTF-8");
    assert.equal(checkRefFormat("refs/heads/a\ud800"), "must be valid UTF-8");
    assert.equal(checkRefFormat("refs/heads/\udc00a"), "must be valid UTF-8");
    assert.equal(checkRefFormat("refs/heads/\ud83d\ude00"), null);
  });

  it("rejects NUL, which git cannot even receive", () => {
    assert.match(checkRefFormat("refs/heads/a\0b") ?? "", /control character/);
  });

  it("gives reasons in the documented style", () => {
    assert.equal(checkRefFormat("refs/heads/a..b"), 'must not contain ".."');
    assert.equal(checkRefFormat("refs/foo"), 'must have at least two components after "refs/", like "refs/heads/main"');
    assert.equal(checkRefFormat("main"), 'must start with "refs/"');
    assert.equal(checkRefFormat("refs/heads/a b"), "must not contain a space");
    assert.equal(checkRefFormat("refs/heads/a~"), 'must not contain "~"');
    assert.equal(checkRefFormat("refs/heads/x.lock"), 'must not have a component ending with ".lock"');
    assert.equal(refNameError("refs/heads/a b", "must not contain a space"), 'Invalid ref name "refs/heads/a b": must not contain a space');
  });
});

describe("branch names", () => {
  const names = ["main", "feature/x", "-x", "HEAD", "HEAD/x", "x/HEAD", "a..b", "@", "@{-1}", "a@{1}", "a.lock", "x/", ".x", "ünï", "a b", "refs/heads/x", "", "a/b/c", "v1.0", "x."];
  it(`agrees with \`git check-ref-format --branch\` on ${names.length} names`, () => {
    const git = gitCheckRefFormat(names, ["--branch"]);
    names.forEach((name, i) => {
      assert.equal(isValidBranchName(name), git[i], `${JSON.stringify(name)}: ${checkBranchName(name)}`);
    });
    assert.deepEqual(names.filter((n) => isValidBranchName(n)), ["main", "feature/x", "HEAD/x", "x/HEAD", "@", "ünï", "refs/heads/x", "a/b/c", "v1.0"]);
  });
  it("applies the length cap to the full ref name", () => {
    assert.equal(isValidBranchName("a".repeat(1013)), true);
    assert.equal(isValidBranchName("a".repeat(1014)), false);
    assert.equal(isValidBranchName("abc", 13), false);
  });
});

describe("refSortCompare", () => {
  it("orders by UTF-8 bytes, unlike JavaScript's default sort", () => {
    const names = ["refs/heads/\uff21", "refs/heads/😀", "refs/heads/b", "refs/heads/a/b", "refs/heads/a", "refs/heads/a-b", "refs/tags/v1"];
    const sorted = [...names].sort(refSortCompare);
    assert.deepEqual(sorted, ["refs/heads/a", "refs/heads/a-b", "refs/heads/a/b", "refs/heads/b", "refs/heads/\uff21", "refs/heads/😀", "refs/tags/v1"]);
    assert.notDeepEqual([...names].sort(), sorted); // the default sort puts 😀 (a surrogate pair) before U+FF21
  });

  it("agrees with Buffer.compare on UTF-8 for any strings (property)", () => {
    const str = fc.string({ unit: "grapheme", maxLength: 8 });
    fc.assert(
      fc.property(str, str, (a, b) => {
        assert.equal(Math.sign(refSortCompare(a, b)), Buffer.compare(Buffer.from(a), Buffer.from(b)));
      }),
      { numRuns: 2000 },
    );
  });

  it("matches the order of `git for-each-ref`", () => {
    const repo = path.join(dir, "order");
    const env = gitEnv(dir);
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env }).toString();
    fs.mkdirSync(repo);
    git("init", "-q", "-b", "main");
    git("commit", "-q", "--allow-empty", "-m", "x");
    const refs = ["refs/heads/\uff21", "refs/heads/😀", "refs/heads/Z", "refs/heads/a", "refs/heads/é", "refs/heads/c-d", "refs/heads/c/d", "refs/heads/c.d", "refs/heads/\u00e9\u0301"];
    for (const r of refs) git("update-ref", r, "HEAD");
    const listed = git("for-each-ref", "--format=%(refname)", "refs/heads/").trim().split("\n").filter((r) => r !== "refs/heads/main");
    assert.deepEqual(listed, [...refs].sort(refSortCompare));
  });
});
