/**
 * @module adapters/cloudflare/workerd-platform
 * The Platform (src/platform.ts) for Cloudflare Workers. With the `nodejs_compat` flag workerd
 * implements `node:zlib` and `node:crypto` natively, including `inflateSync(…, { info: true })` with
 * `engine.bytesWritten` (the consumed-bytes count a pack reader needs), so the Node platform
 * (adapters/shared/node-platform.ts) runs — but every call into it costs a fixed overhead that the
 * pure-TypeScript platform (src/git/portable-platform.ts) does not pay. Measured inside workerd
 * (tests/workers/kv-probe-worker.ts /bench, 2-core machine, medians of 3):
 *
 *   inflate, 100 B objects     native ~0.28 ms/call    portable ~0.04 ms/call
 *   inflate, 16 KiB objects    about equal (~0.7 ms/call)
 *   inflate, 256 KiB objects   native ~100 MB/s        portable ~34 MB/s
 *   SHA-1, 200 B objects       native ~15 µs/call      portable ~4 µs/call
 *   SHA-1, 1 MiB objects       native ~700 MB/s        portable ~175 MB/s
 *   deflate, 2 KiB objects     native ~0.06 ms/call
 *
 * and, pushing our synthetic repositories (scripts/synthetic-repo.ts; a 7.2 MiB pack of 48,516
 * objects, and a 22 MB pack of forty 1 MB text files) to workerd through Miniflare:
 *
 *   all native                            push 2.2x slower than portable; workerd RSS grew to 2.6 GB
 *   native inflate for objects >= 32 KiB  big-file push ~17% faster, but RSS 687 MiB vs 242 MiB
 *   portable inflate, native SHA-1        as fast as portable, RSS as portable
 *
 * workerd's native inflate keeps memory that a 128 MB isolate cannot spare, so `workerdPlatform`
 * inflates with the portable code, hashes portably until a hasher has seen 4 KiB and natively after
 * that (the crossover is ~3.5 KiB), and deflates natively (cheap per call, no growth measured, and it
 * compresses where the portable deflate only stores). `nativePlatform` is the all-native one
 * (REPOSIT_PLATFORM=native), kept for measurement.
 *
 * One message differs from Node: past `maxOutputLength` workerd throws `RangeError: Memory limit
 * exceeded` where Node throws ERR_BUFFER_TOO_LARGE, which the Node platform would report as corrupt
 * zlib data; here it becomes the LimitError the Platform contract asks for.
 */
import type { Hasher, InflateResult, Platform } from "../../src/platform.ts";
import { LimitError, ProtocolError } from "../../src/errors.ts";
import { portablePlatform } from "../../src/git/portable-platform.ts";
import { nodePlatform } from "../shared/node-platform.ts";

/** workerd's message for an inflate that would exceed maxOutputLength. */
const OUTPUT_LIMIT = /Memory limit exceeded/i;
/** Bytes a hasher buffers before it switches to native SHA-1 (crossover measured at ~3.5 KiB). */
const NATIVE_HASH_BYTES = 4 << 10;

function nativeInflate(input: Uint8Array, expectedSize: number, maxOutput: number): InflateResult | null {
  try {
    return nodePlatform.inflate(input, expectedSize, maxOutput);
  } catch (error) {
    if (error instanceof ProtocolError && OUTPUT_LIMIT.test(String((error as { cause?: unknown }).cause))) {
      throw new LimitError("maxObjectBytes", `Cannot inflate object: it exceeds ${maxOutput} bytes`);
    }
    throw error;
  }
}

/** A SHA-1 that stays portable for small inputs and moves to native once the input is large. */
function hybridSha1(): Hasher {
  let native: Hasher | null = null;
  // Copies of the first updates (usually just an object header) until the size is known.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  return {
    update(data) {
      if (native !== null) return native.update(data);
      if (pendingBytes + data.length < NATIVE_HASH_BYTES) {
        pending.push(data.slice());
        pendingBytes += data.length;
        return;
      }
      native = nodePlatform.sha1();
      for (const part of pending) native.update(part);
      pending = [];
      native.update(data);
    },
    digest() {
      if (native !== null) return native.digest();
      const portable = portablePlatform.sha1();
      for (const part of pending) portable.update(part);
      return portable.digest();
    },
  };
}

/**
 * Native zlib and SHA-1 for every call (requires `compatibility_flags: ["nodejs_compat"]`).
 * @example createHandler({ store, platform: nativePlatform, signingKey, apiToken });
 */
export const nativePlatform: Platform = Object.freeze({ sha1: nodePlatform.sha1, inflate: nativeInflate, deflate: nodePlatform.deflate });

/**
 * The Worker's default (REPOSIT_PLATFORM=hybrid): portable inflate, SHA-1 by input size, native deflate.
 * @example createHandler({ store, platform: workerdPlatform, signingKey, apiToken });
 */
export const workerdPlatform: Platform = Object.freeze({ sha1: hybridSha1, inflate: portablePlatform.inflate, deflate: nodePlatform.deflate });
