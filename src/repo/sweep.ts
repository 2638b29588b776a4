/**
 * @module repo/sweep
 * Deletes pack data nothing uses any more, once it is older than the grace period: the blobs of packs
 * a repack replaced (listed in the pool's trash), and the blobs of uploads that never published —
 * pushes that failed, were cut off, or died with the process (each upload is registered before its
 * first byte is stored, and the registration is removed when its pack is published).
 */
import type { PoolEnv } from "./object-pool.ts";
import { deletePrefix, listAll } from "../storage/storage.ts";
import { packBlobsPrefix, packTrashPrefix, uploadPrefix } from "./keys.ts";
import { utf8Decode } from "../util/bytes.ts";
import { DEFAULT_GRACE_MS } from "./repack.ts";

export interface SweepReport {
  readonly blobsDeleted: number;
}

export async function sweepPool(env: PoolEnv, poolId: string, options: { graceMs?: number; now?: () => number } = {}): Promise<SweepReport> {
  const now = (options.now ?? Date.now)();
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const { store } = env;
  let blobsDeleted = 0;
  // An upload may legitimately run long (a large push on a slow link): give it at least an hour.
  const uploadGraceMs = Math.max(graceMs, 60 * 60 * 1000);
  for (const [prefix, grace] of [[packTrashPrefix(poolId), graceMs], [uploadPrefix(poolId), uploadGraceMs]] as const) {
    for (const entry of await listAll(store, { prefix })) {
      const { at } = JSON.parse(utf8Decode(entry.value)) as { at: number };
      if (now - at < grace) continue;
      const blobId = entry.key.slice(prefix.length);
      await deletePrefix(store, `${packBlobsPrefix(poolId)}${blobId}/`);
      // Only forget the entry if it is unchanged (a publish may have claimed the upload meanwhile).
      await store.commit([{ key: entry.key, version: entry.version }], [{ type: "delete", key: entry.key }]);
      blobsDeleted++;
    }
  }
  return { blobsDeleted };
}
