/**
 * @module repo/advertisement
 * The `GET info/refs` answers (gitprotocol-http "Smart Clients"; gitprotocol-pack "Reference
 * Discovery"; gitprotocol-v2 "Capability Advertisement"). For protocol v2 there is no
 * `# service=` prelude, as git-http-backend does.
 */
import { encodePktLines } from "../git/pkt-line.ts";
import { ZERO_ID, type ObjectId } from "../git/object-id.ts";
import { ObjectPool } from "./object-pool.ts";
import { readRefs } from "./refs.ts";
import { readRepoShallow } from "./repo-shallow.ts";
import type { RepoContext } from "./repo-context.ts";
import { peel, TAG } from "./commit-graph.ts";
import { receivePackCapabilities, uploadPackV0Capabilities, uploadPackV2Capabilities } from "./capabilities.ts";

export interface AdvertisedRef {
  readonly name: string;
  readonly id: ObjectId;
  /** For annotated tags: the object the tag chain ends at. */
  readonly peeled?: ObjectId;
}

/**
 * Refs with peeled tag targets, in the order given — the store lists keys by UTF-8 bytes, which is
 * git's ref order.
 */
export function advertisedRefs(pool: ObjectPool, refs: ReadonlyMap<string, ObjectId>): AdvertisedRef[] {
  const out: AdvertisedRef[] = [];
  for (const [name, id] of refs) {
    const g = pool.locateId(id);
    if (g !== -1 && pool.typeOf(g) === TAG) {
      const target = peel(pool, g);
      out.push(target === -1 ? { name, id } : { name, id, peeled: pool.idOf(target) });
    } else {
      out.push({ name, id });
    }
  }
  return out;
}

/**
 * v0/v1 upload-pack advertisement with the smart-HTTP service prelude. A shallow repository lists
 * its shallow commits after the refs (upload-pack.c advertise_shallow_grafts).
 */
export function encodeUploadPackV0(refs: readonly AdvertisedRef[], head: string, shallow: Iterable<string> = []): Uint8Array {
  const headId = refs.find((r) => r.name === head)?.id;
  const caps = uploadPackV0Capabilities(headId ? head : null);
  const lines: (string | "flush")[] = ["# service=git-upload-pack\n", "flush"];
  let first = true;
  const add = (id: string, name: string) => {
    lines.push(first ? `${id} ${name}\0${caps}\n` : `${id} ${name}\n`);
    first = false;
  };
  if (headId) add(headId, "HEAD");
  for (const r of refs) {
    add(r.id, r.name);
    if (r.peeled) lines.push(`${r.peeled} ${r.name}^{}\n`);
  }
  if (first) add(ZERO_ID, "capabilities^{}");
  for (const id of shallow) lines.push(`shallow ${id}\n`);
  lines.push("flush");
  return encodePktLines(lines);
}

/** Protocol v2 capability advertisement. */
export function encodeUploadPackV2(): Uint8Array {
  return encodePktLines([...uploadPackV2Capabilities().map((l) => l + "\n"), "flush"]);
}

/** receive-pack advertisement (always v0: git pushes over v0/v1 only). No HEAD, no peeled lines. */
export function encodeReceivePack(refs: readonly AdvertisedRef[]): Uint8Array {
  const caps = receivePackCapabilities();
  const lines: (string | "flush")[] = ["# service=git-receive-pack\n", "flush"];
  if (refs.length === 0) lines.push(`${ZERO_ID} capabilities^{}\0${caps}\n`);
  refs.forEach((r, i) => lines.push(i === 0 ? `${r.id} ${r.name}\0${caps}\n` : `${r.id} ${r.name}\n`));
  lines.push("flush");
  return encodePktLines(lines);
}

/** The `GET info/refs` body for `service` (receive-pack is always v0; gitprotocol-http). */
export async function advertise(ctx: RepoContext, service: "git-upload-pack" | "git-receive-pack", protocolV2: boolean): Promise<Uint8Array> {
  if (service === "git-upload-pack" && protocolV2) return encodeUploadPackV2();
  const [pool, snapshot] = await Promise.all([ObjectPool.open(ctx.env, ctx.poolId), readRefs(ctx.env.store, ctx.repoId)]);
  const refs = advertisedRefs(pool, snapshot.refs);
  if (service === "git-receive-pack") return encodeReceivePack(refs);
  return encodeUploadPackV0(refs, ctx.head, await readRepoShallow(ctx.env.store, ctx.repoId));
}
