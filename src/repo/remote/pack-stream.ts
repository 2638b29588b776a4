/**
 * @module repo/remote/pack-stream
 * The pack inside an upload-pack response, as a stream of pack bytes for the indexer
 * (src/repo/ingest.ts), never buffered whole. With side-band (gitprotocol-pack "Packfile Data";
 * gitprotocol-v2 "packfile" section) band 1 is the pack, band 2 progress (ignored), band 3 a fatal
 * remote error; the flush-pkt after the last frame ends the pack. Without side-band the rest of the
 * response is the pack. Both count bytes against the import's size limit as they pass.
 */
import { demuxSideband } from "../../git/sideband.ts";
import type { PktLineReader } from "../../git/pkt-line.ts";
import { utf8Decode } from "../../util/bytes.ts";
import { tooLarge, upstreamUnavailable } from "./remote-errors.ts";

export interface PackLimit {
  /** Largest pack accepted, in bytes; beyond it the import fails with MEMORY_LIMIT. */
  readonly maxBytes: number;
  /** The repository URL for messages. */
  readonly url: string;
}

/** Band-1 bytes of a side-band stream; band 3 throws UPSTREAM_UNAVAILABLE with the remote's text as cause. */
export async function* sidebandPack(reader: PktLineReader, limit: PackLimit): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  try {
    for await (const packet of demuxSideband(reader)) {
      if (packet.band === 1) {
        total += packet.data.length;
        if (total > limit.maxBytes) throw packTooLarge(limit);
        yield packet.data;
      } else if (packet.band === 3) {
        throw upstreamUnavailable(new Error(`Remote reported: ${utf8Decode(packet.data).trim()}`));
      }
    }
  } finally {
    await reader.cancel();
  }
}

/** The rest of a response that carries the pack without side-band. */
export async function* rawPack(source: AsyncIterable<Uint8Array>, limit: PackLimit): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit.maxBytes) throw packTooLarge(limit);
    yield chunk;
  }
}

function packTooLarge(limit: PackLimit) {
  return tooLarge(limit.url, `its pack exceeds the limit of ${limit.maxBytes} bytes`);
}
