/**
 * @module git/portable-platform
 * The Platform (src/platform.ts) in plain TypeScript over web APIs only, for runtimes without a
 * native zlib or incremental SHA-1 (Cloudflare Workers without nodejs_compat, browsers) and as the
 * reference the native adapters are tested against. It behaves like adapters/shared/node-platform.ts:
 * same data and consumed byte counts, null on truncation, ERR_ZLIB on corruption, LimitError past
 * `maxOutput`.
 */
import type { Platform } from "../platform.ts";
import { deflateZlib } from "./deflate.ts";
import { inflateZlib } from "./inflate.ts";
import { createSha1 } from "./sha1.ts";

/**
 * The portable Platform.
 * @example const id = portablePlatform.sha1(); id.update(bytes); id.digest();
 */
export const portablePlatform: Platform = Object.freeze({
  sha1: createSha1,
  inflate: inflateZlib,
  deflate: deflateZlib,
});
