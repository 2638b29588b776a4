/**
 * @module repo/publish
 * The life of an upload: `beginUpload` registers a new blob id before its first byte is stored (so a
 * crash leaves something the sweeper can find, src/repo/sweep.ts); `publishPack` makes the indexed
 * pack visible in one commit that bumps the pool's pack sequence (checked, so two publishers never get
 * the same number), writes the pack record and ends the registration; `abandonUpload` deletes what a
 * failed upload stored. Until publication the blobs are invisible; after it, every later pool view
 * includes them.
 */
import type { KvStore } from "../storage/types.ts";
import { deletePrefix } from "../storage/storage.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { randomId } from "../auth/ids.ts";
import { StorageError } from "../errors.ts";
import { packBlobsPrefix, packRecordKey, packSeqKey, uploadKey } from "./keys.ts";
import { encodePackRecord, seqKeyPart, type PackRecord } from "./pack-record.ts";

/** Registers a new upload and returns its blob id (milliseconds in base 36, then a random id). */
export async function beginUpload(store: KvStore, poolId: string, now = Date.now()): Promise<string> {
  const blobId = now.toString(36).padStart(9, "0") + randomId();
  await store.commit([], [{ type: "set", key: uploadKey(poolId, blobId), value: utf8Encode(JSON.stringify({ at: now })) }]);
  return blobId;
}

/** Deletes an upload's blobs and its registration (best effort: the sweeper finishes what fails). */
export async function abandonUpload(store: KvStore, poolId: string, blobId: string): Promise<void> {
  try {
    await deletePrefix(store, `${packBlobsPrefix(poolId)}${blobId}/`);
    await store.commit([], [{ type: "delete", key: uploadKey(poolId, blobId) }]);
  } catch {
    // left for the sweeper
  }
}

/** Publishes `record` and returns it with its sequence number. */
export async function publishPack(store: KvStore, poolId: string, record: Omit<PackRecord, "seq">): Promise<PackRecord> {
  const upload = uploadKey(poolId, record.blobId);
  for (let attempt = 0; attempt < 100; attempt++) {
    const [current, registration] = await Promise.all([store.get(packSeqKey(poolId)), store.get(upload)]);
    // An upload the sweeper already claimed may have lost data: never publish it.
    if (!registration) throw new StorageError("ERR_STORAGE", `Cannot publish pack ${record.blobId}: its upload expired before it finished`);
    const seq = current ? Number(utf8Decode(current.value)) + 1 : 1;
    const full: PackRecord = { seq, ...record };
    const ok = await store.commit(
      [
        { key: packSeqKey(poolId), version: current?.version ?? null },
        { key: upload, version: registration.version },
      ],
      [
        { type: "set", key: packSeqKey(poolId), value: utf8Encode(String(seq)) },
        { type: "set", key: packRecordKey(poolId, seqKeyPart(seq)), value: encodePackRecord(full) },
        { type: "delete", key: upload },
      ],
    );
    if (ok) return full;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new StorageError("ERR_STORAGE", `Cannot publish a pack in pool ${poolId}: too much contention`);
}
