/**
 * @module repo/repo-shallow
 * The shallow commits of a repository that was imported with a depth (git's `.git/shallow`): their
 * parents are not stored, ingest accepts them without those parents, and every fetch tells the
 * client where history stops (src/repo/shallow.ts, src/repo/advertisement.ts).
 */
import type { KvStore } from "../storage/types.ts";
import { isObjectId, type ObjectId } from "../git/object-id.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { repoShallowKey } from "./keys.ts";

/** The repository's shallow commit ids (empty for a complete repository). */
export async function readRepoShallow(store: KvStore, repoId: string): Promise<Set<ObjectId>> {
  const entry = await store.get(repoShallowKey(repoId));
  if (!entry) return new Set();
  return new Set(utf8Decode(entry.value).split("\n").filter(isObjectId));
}

/** Replaces the repository's shallow commit list (an empty list deletes it). */
export async function writeRepoShallow(store: KvStore, repoId: string, ids: Iterable<ObjectId>): Promise<void> {
  const list = [...new Set(ids)].sort();
  const mutation = list.length === 0
    ? { type: "delete" as const, key: repoShallowKey(repoId) }
    : { type: "set" as const, key: repoShallowKey(repoId), value: utf8Encode(list.join("\n")) };
  await store.commit([], [mutation]);
}
