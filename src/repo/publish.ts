/**
 * @module repo/publish
 * Makes an ingested pack visible: one commit that bumps the pool's pack sequence (checked, so two
 * publishers never get the same number) and writes the pack record under that number. Until this
 * commit the pack's blobs are unreachable garbage; after it, every later pool view includes it.
 */
import type { KvStore } from "../storage/types.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { StorageError } from "../errors.ts";
import { packRecordKey, packSeqKey } from "./keys.ts";
import { encodePackRecord, seqKeyPart, type PackRecord } from "./pack-record.ts";

/** Publishes `record` and returns it with its sequence number. */
export async function publishPack(store: KvStore, poolId: string, record: Omit<PackRecord, "seq">): Promise<PackRecord> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const current = await store.get(packSeqKey(poolId));
    const seq = current ? Number(utf8Decode(current.value)) + 1 : 1;
    const full: PackRecord = { seq, ...record };
    const ok = await store.commit(
      [{ key: packSeqKey(poolId), version: current?.version ?? null }],
      [
        { type: "set", key: packSeqKey(poolId), value: utf8Encode(String(seq)) },
        { type: "set", key: packRecordKey(poolId, seqKeyPart(seq)), value: encodePackRecord(full) },
      ],
    );
    if (ok) return full;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new StorageError("ERR_STORAGE", `Cannot publish a pack in pool ${poolId}: too much contention`);
}
