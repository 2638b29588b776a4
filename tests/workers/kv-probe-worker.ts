/**
 * A test worker that runs next to the Reposit worker in the same workerd and binds its RepoStore
 * Durable Objects (Miniflare `scriptName`), so Node tests can drive real Durable Object SQLite:
 *
 *   POST /kv        { target, op, args } → one KvStore operation, against one object by name
 *                   (target { object: "repo:x" }) or through the routing store (target { routed: true })
 *   POST /platform  compares the workerd platforms (hybrid, native) with the portable one on the same
 *                   zlib streams and SHA-1 inputs
 *   GET  /bench     ?impl=hybrid|native|portable&work=inflate|sha1|deflate&n=…&size=… runs a fixed amount of
 *                   platform work (the caller times the request)
 *
 * Values travel as base64 in JSON; errors come back as status 500 with the error's name and message.
 */
import { Buffer } from "node:buffer";
import { deflateSync } from "node:zlib";
import type { KvEntry, KvListOptions, KvStore } from "../../src/storage/types.ts";
import { listAll } from "../../src/storage/storage.ts";
import type { Platform } from "../../src/platform.ts";
import { portablePlatform } from "../../src/git/portable-platform.ts";
import { createRoutingStore } from "../../adapters/cloudflare/routing-store.ts";
import { kvStoreOverRpc, type KvRpc } from "../../adapters/cloudflare/kv-rpc.ts";
import { DURABLE_OBJECT_KV_LIMITS } from "../../adapters/cloudflare/sql-storage-driver.ts";
import { nativePlatform, workerdPlatform } from "../../adapters/cloudflare/workerd-platform.ts";

interface Env {
  readonly REPO_STORE: { getByName(name: string): KvRpc };
}

type Target = { readonly object: string } | { readonly routed: true };

interface WireEntry {
  key: string;
  value: string;
  version: string;
}

const toWire = (e: KvEntry | null): WireEntry | null => (e === null ? null : { key: e.key, value: Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength).toString("base64"), version: e.version });
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

function storeFor(env: Env, target: Target): KvStore {
  const connect = (name: string) => env.REPO_STORE.getByName(name);
  return "object" in target ? kvStoreOverRpc(connect(target.object), DURABLE_OBJECT_KV_LIMITS) : createRoutingStore(connect, DURABLE_OBJECT_KV_LIMITS);
}

async function kv(env: Env, body: { target: Target; op: string; args: any }): Promise<unknown> {
  const store = storeFor(env, body.target);
  const { args } = body;
  switch (body.op) {
    case "get":
      return toWire(await store.get(args.key));
    case "getMany":
      return (await store.getMany(args.keys)).map(toWire);
    case "list":
      return (await listAll(store, args.options as KvListOptions)).map(toWire);
    case "commit":
      return store.commit(
        args.checks,
        args.mutations.map((m: { type: string; key: string; value?: string }) => (m.type === "set" ? { type: "set", key: m.key, value: fromBase64(m.value!) } : m)),
      );
    default:
      throw new Error(`Unknown op "${body.op}"`);
  }
}

/** Text-like data of `size` bytes that compresses about as well as source code. */
function sample(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 97 + ((x >>> 16) % (i % 7 === 0 ? 26 : 4));
  }
  return out;
}

function describeCall(platform: Platform, input: Uint8Array, expected: number, max: number) {
  try {
    const result = platform.inflate(input, expected, max);
    return result === null ? { result: null } : { size: result.data.length, sum: result.data.reduce((a, b) => (a * 31 + b) >>> 0, 7), consumed: result.consumed };
  } catch (error) {
    return { error: (error as Error).name, code: (error as { code?: string }).code };
  }
}

const PLATFORMS: Record<string, Platform> = { hybrid: workerdPlatform, native: nativePlatform, portable: portablePlatform };

/** The platforms on the same streams: whole, followed by other bytes, truncated, too large, corrupt. */
function comparePlatforms() {
  const cases: { name: string; hybrid: unknown; native: unknown; portable: unknown }[] = [];
  for (const size of [0, 1, 100, 70_000, 1 << 20]) {
    const data = sample(size, size);
    const stream = new Uint8Array(deflateSync(data));
    const followed = new Uint8Array(stream.length + 20);
    followed.set(stream);
    followed.fill(0x78, stream.length);
    const corrupt = stream.slice();
    if (corrupt.length > 4) corrupt[2] ^= 0xff;
    const inputs: [string, Uint8Array, number, number][] = [
      [`whole ${size}`, stream, size, size],
      [`followed ${size}`, followed, -1, size],
      [`truncated ${size}`, stream.subarray(0, Math.max(2, stream.length - 5)), size, size],
      [`corrupt ${size}`, corrupt, size, size],
    ];
    if (size > 1) inputs.push([`too large ${size}`, stream, -1, size - 1]);
    for (const [name, input, expected, max] of inputs) {
      const [hybrid, native, portable] = [workerdPlatform, nativePlatform, portablePlatform].map((p) => describeCall(p, input, expected, max));
      cases.push({ name, hybrid, native, portable });
    }
  }
  // Inputs below, at and above the hybrid hasher's switch, fed in one update and in several.
  const text = sample(3 << 20, 9);
  const digests: Record<string, string[]> = {};
  for (const size of [0, 5, 4095, 4096, 4097, 100_000, 3 << 20]) {
    const input = text.subarray(0, size);
    digests[size] = Object.values(PLATFORMS).flatMap((p) => {
      const whole = p.sha1();
      whole.update(input);
      const parts = p.sha1();
      for (let at = 0; at < size || at === 0; at += 1_000) parts.update(input.subarray(at, at + 1_000));
      return [whole.digest(), parts.digest()].map((d) => Buffer.from(d).toString("hex"));
    });
  }
  return { cases, digests };
}

/** A fixed amount of platform work, timed by the caller around the request. */
function bench(impl: string, work: string, n: number, size: number): number {
  const platform = PLATFORMS[impl] ?? workerdPlatform;
  if (work === "sha1") {
    // n digests of `size` bytes each (default 1 MiB), as ingest hashes one object at a time.
    const data = sample(size > 0 ? size : 1 << 20, 3);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const h = platform.sha1();
      h.update(data);
      total += h.digest()[0]!;
    }
    return total;
  }
  if (work === "deflate") {
    const data = sample(size > 0 ? size : 4096, 5);
    let total = 0;
    for (let i = 0; i < n; i++) total += platform.deflate(data).length;
    return total;
  }
  // Objects of `size` bytes, or (size 0) small ones as in a pack of source files (1-5 KiB).
  const sizeOf = (i: number) => (size > 0 ? size : 1_000 + 64 * i);
  const streams = Array.from({ length: 64 }, (_, i) => new Uint8Array(deflateSync(sample(sizeOf(i), i))));
  let total = 0;
  for (let i = 0; i < n; i++) total += platform.inflate(streams[i % 64]!, sizeOf(i % 64), 64 << 20)!.consumed;
  return total;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/kv") return Response.json(await kv(env, (await request.json()) as any));
      if (url.pathname === "/platform") return Response.json(comparePlatforms());
      if (url.pathname === "/bench") {
        const n = Number(url.searchParams.get("n") ?? "0");
        const size = Number(url.searchParams.get("size") ?? "0");
        return Response.json(bench(url.searchParams.get("impl") ?? "native", url.searchParams.get("work") ?? "inflate", n, size));
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      return Response.json({ name: (error as Error).name, message: (error as Error).message }, { status: 500 });
    }
  },
};
