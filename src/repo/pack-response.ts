/**
 * @module repo/pack-response
 * Streams the pack part of a fetch response: inside side-band frames (band 1 data, band 2
 * progress unless no-progress, band 3 fatal errors) when negotiated, raw otherwise. A failure
 * after the first byte can only be reported in-band (band 3), as git-http-backend does.
 */
import { SidebandWriter } from "../git/sideband.ts";
import { FLUSH_PKT } from "../git/pkt-line.ts";
import { sendPack } from "./pack-send.ts";
import type { ObjectPool } from "./object-pool.ts";
import type { WalkResult } from "./object-walk.ts";
import type { Write } from "../util/push-stream.ts";
import { ReposError } from "../errors.ts";

export interface PackResponseOptions {
  readonly pool: ObjectPool;
  readonly walk: WalkResult;
  readonly sideband: number;
  readonly progress: boolean;
  readonly thin: boolean;
  readonly ofsDelta: boolean;
  /** Log hook for unexpected failures (never receives secrets). */
  readonly onError?: (error: unknown) => void;
}

export async function writePackResponse(write: Write, options: PackResponseOptions): Promise<void> {
  const { pool, walk } = options;
  if (options.sideband === 0) {
    await sendPack({ pool, objects: walk.send, state: walk.state, thin: options.thin, ofsDelta: options.ofsDelta, emit: write });
    return;
  }
  const frames: Uint8Array[] = [];
  const sideband = new SidebandWriter(options.sideband, (frame) => frames.push(frame));
  const drain = async () => {
    for (let i = 0; i < frames.length; i++) await write(frames[i]!);
    frames.length = 0;
  };
  try {
    if (options.progress) sideband.progress(`Enumerating objects: ${walk.send.length}, done.\n`);
    const stats = await sendPack({
      pool,
      objects: walk.send,
      state: walk.state,
      thin: options.thin,
      ofsDelta: options.ofsDelta,
      emit: async (chunk) => {
        sideband.writeData(chunk);
        if (frames.length > 0) await drain();
      },
    });
    if (options.progress) {
      sideband.progress(`Total ${stats.objects} (delta ${stats.reusedDeltas}), reused ${stats.reused + stats.reusedDeltas} (delta ${stats.reusedDeltas}), pack-reused ${stats.reused + stats.reusedDeltas}\n`);
    }
    sideband.end();
  } catch (error) {
    options.onError?.(error);
    const message = error instanceof ReposError ? error.message : "internal server error";
    sideband.error(`upload-pack: ${message}\n`);
  }
  await drain();
  await write(FLUSH_PKT);
}
