/**
 * @module adapters/bun/platform
 * The native platform (node:crypto, node:zlib) plus Bun's collector as the `reclaim` hint: Bun
 * frees large ArrayBuffers lazily, so a push of big blobs would otherwise hold hundreds of MB of
 * garbage at its peak.
 */
import type { Platform } from "../../src/platform.ts";
import { nodePlatform } from "../shared/node-platform.ts";

export const bunPlatform: Platform = Object.freeze({ ...nodePlatform, reclaim: () => Bun.gc(true) });
