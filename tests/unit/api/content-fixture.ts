/**
 * A git repository made with the real `git` CLI that exercises every content read: text, binary,
 * non-UTF-8, empty, executable, symlink, submodule and a file name with a space; a merge (for the
 * first-parent chain); annotated, lightweight, slashed and tree tags; a branch with "/" in its
 * name; a notes ref; a tag and a branch with the same short name; a tag "main/src". Shared by the unit test
 * (tests/unit/api/content.test.ts) and the end-to-end test (tests/e2e/rest-content.test.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { makeRepo, type GitFixture } from "../objects/git-fixture.ts";

export interface ContentRepo extends GitFixture {
  /** Commit ids: A root, B second on main, C on feature/x, M the merge (main's tip). */
  readonly A: string;
  readonly B: string;
  readonly C: string;
  readonly M: string;
  /** Every ref as [id, full name], in `for-each-ref` order. */
  refs(): [string, string][];
  /** `git rev-parse <rev>`. */
  rev(rev: string): string;
}

/** 200,000 deterministic bytes (an LCG), NULs included: several 64 KiB response chunks. */
export function bigBinary(): Uint8Array {
  const out = new Uint8Array(200_000);
  let x = 12345;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const LATIN1 = new Uint8Array([0x68, 0xe9, 0x6c, 0x6c, 0x6f, 0x0a]); // "héllo\n" in ISO-8859-1
export const BINARY = new Uint8Array([0x00, 0x01, 0x02, 0x00, 0xff, 0xfe]);
export const GITLINK = "1234567890abcdef1234567890abcdef12345678";

/** Builds the repository in a temp dir; call `remove()` when done. */
export function buildContentRepo(): ContentRepo {
  const repo = makeRepo();
  let clock = 1_700_000_000;
  const tick = () => {
    clock += 60;
    return { GIT_AUTHOR_DATE: `${clock} +0100`, GIT_COMMITTER_DATE: `${clock + 5} -0230` };
  };
  const write = (file: string, content: string | Uint8Array) => {
    fs.mkdirSync(path.dirname(path.join(repo.dir, file)), { recursive: true });
    fs.writeFileSync(path.join(repo.dir, file), content);
  };
  const commit = (...messageArgs: string[]) => {
    repo.run(["add", "-A"]);
    // "add -A" drops the submodule entry (there is no checkout behind it), so stage it every time.
    repo.run(["update-index", "--add", "--cacheinfo", `160000,${GITLINK},sub`]);
    repo.run(["commit", "-q", ...messageArgs.flatMap((m) => ["-m", m])], undefined, tick());
    return repo.text(["rev-parse", "HEAD"]);
  };

  write("README.md", "hello\n");
  write("bin.dat", BINARY);
  write("src/lib/util.ts", "export const x = 1;\n");
  write("run.sh", "#!/bin/sh\necho hi\n");
  fs.chmodSync(path.join(repo.dir, "run.sh"), 0o755);
  fs.symlinkSync("README.md", path.join(repo.dir, "link"));
  write("utf8.txt", "héllo wörld ✓\n");
  write("latin1.txt", LATIN1);
  write("empty.txt", "");
  write("docs/with space.txt", "spaced\n");
  write("big.bin", bigBinary());
  const A = commit("initial");

  write("README.md", "hello again\n");
  const B = commit("second", "body line");
  repo.run(["tag", "-a", "v1", "-m", "version 1", B], undefined, tick());
  repo.run(["tag", "light", A]);

  repo.run(["checkout", "-q", "-b", "feature/x", A]);
  write("feature.txt", "feature\n");
  const C = commit("feature work");

  repo.run(["checkout", "-q", "main"]);
  repo.run(["merge", "-q", "--no-ff", "-m", "merge feature", "feature/x"], undefined, tick());
  const M = repo.text(["rev-parse", "HEAD"]);
  repo.run(["tag", "-a", "release/2.0", "-m", "release", M], undefined, tick());
  repo.run(["notes", "add", "-m", "a note", A], undefined, tick());
  repo.run(["tag", "dup", A]);
  repo.run(["branch", "dup", C]);
  repo.run(["tag", "treetag", `${B}^{tree}`]);
  // A tag named like a directory under the default branch: "raw/main/src/..." must still find main's src/.
  repo.run(["tag", "main/src", A]);

  return {
    ...repo,
    A,
    B,
    C,
    M,
    refs: () =>
      repo
        .text(["for-each-ref", "--format=%(objectname) %(refname)"])
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ") as [string, string]),
    rev: (rev) => repo.text(["rev-parse", rev]),
  };
}

/** A linear history of `count` commits made with `git fast-import` (one file rewritten each time). */
export function buildLongRepo(count: number): GitFixture {
  const repo = makeRepo();
  let stream = "";
  for (let i = 1; i <= count; i++) {
    const body = `commit ${i}\n`;
    stream += `commit refs/heads/main\nmark :${i}\ncommitter C <c@example.com> ${1_700_000_000 + i} +0000\n`;
    stream += `data ${`c${i}\n`.length}\nc${i}\n`;
    if (i > 1) stream += `from :${i - 1}\n`;
    stream += `M 644 inline f.txt\ndata ${body.length}\n${body}\n`;
  }
  repo.run(["fast-import", "--quiet"], stream);
  return repo;
}
