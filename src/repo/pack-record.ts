/**
 * @module repo/pack-record
 * The published record of one stored pack. Records are keyed by a zero-padded sequence number that
 * is assigned when the pack is published (one CAS on `pool/<id>/pack-seq`), so key order is
 * publication order. Object lookups prefer the copy in the earliest pack; since a pack can only
 * delta against or link to objects published before it, following "earliest copy" never cycles.
 */
import { utf8Decode, utf8Encode } from "../util/bytes.ts";

export interface PackRecord {
  /** Sequence number (publication order). */
  readonly seq: number;
  /** Id of the blobs holding the pack bytes and the index. */
  readonly blobId: string;
  readonly objects: number;
  readonly packBytes: number;
  readonly indexBytes: number;
  readonly chunkBytes: number;
  readonly indexChunkBytes: number;
  readonly createdAt: string;
}

export const seqKeyPart = (seq: number) => seq.toString().padStart(12, "0");

export function encodePackRecord(record: PackRecord): Uint8Array {
  return utf8Encode(JSON.stringify(record));
}

export function decodePackRecord(bytes: Uint8Array): PackRecord {
  return JSON.parse(utf8Decode(bytes)) as PackRecord;
}
