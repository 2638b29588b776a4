/**
 * A small git history with the shapes an import must copy: several branches, a merge, annotated
 * and lightweight tags, a tag of a tag, a tag of a blob, and a ref outside refs/heads and
 * refs/tags (notes), built with the real git CLI.
 */
import { join } from "node:path";
import { commitFile, git, gitBytes } from "./git.ts";

export interface SampleHistory {
  readonly dir: string;
  /** Commit ids by label. */
  readonly commits: Readonly<Record<string, string>>;
}

/** Creates a non-bare repository in `parent/name` (default branch `branch`). */
export function buildSampleHistory(parent: string, name = "sample", branch = "main"): SampleHistory {
  const dir = join(parent, name);
  git(["init", "-q", "-b", branch, dir]);
  const run = (args: string[]) => git(args, { cwd: dir });
  const c: Record<string, string> = {};
  c["c1"] = commitFile(dir, "a.txt", "one\n");
  c["c2"] = commitFile(dir, "dir/b.txt", "two\n");
  run(["tag", "-a", "v1", "-m", "version one"]);
  run(["checkout", "-q", "-b", "side"]);
  c["s1"] = commitFile(dir, "side.txt", "side one\n");
  c["s2"] = commitFile(dir, "side.txt", "side two\n");
  run(["checkout", "-q", branch]);
  c["c3"] = commitFile(dir, "a.txt", "one\nthree\n");
  run(["checkout", "-q", "-b", "feature"]);
  c["f1"] = commitFile(dir, "feature/f.txt", "feature\n");
  run(["checkout", "-q", branch]);
  run(["merge", "-q", "--no-ff", "side", "-m", "merge side"]);
  c["m1"] = run(["rev-parse", "HEAD"]).stdout.trim();
  c["c4"] = commitFile(dir, "dir/c.txt", "four\n");
  c["c5"] = commitFile(dir, "dir/c.txt", "five\n");
  run(["tag", "light"]);
  run(["tag", "-a", "nested", "-m", "a tag of a tag", "v1"]);
  const blob = git(["hash-object", "-w", "--stdin"], { cwd: dir, input: "a tagged blob\n" }).stdout.trim();
  run(["tag", "-a", "blobtag", "-m", "a tag of a blob", blob]);
  run(["notes", "add", "-m", "a note", c["c2"]!]);
  return { dir, commits: c };
}

/** A pack of every object reachable from any ref of `dir`. */
export function packAll(dir: string): Uint8Array {
  const objects = git(["rev-list", "--objects", "--all"], { cwd: dir }).stdout;
  return new Uint8Array(gitBytes(["pack-objects", "--stdout", "-q"], { cwd: dir, input: objects }));
}
