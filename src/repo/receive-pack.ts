/**
 * @module repo/receive-pack
 * `POST git-receive-pack` (gitprotocol-pack "Reference Update Request and Packfile Transfer",
 * "Report Status"; builtin/receive-pack.c): decode the commands, store and index the pack, publish
 * it, then move the refs with one compare-and-swap batch, and report per ref. Objects always land
 * before refs, and a pack that fails anywhere is never published, so a failed or cut-off push
 * leaves only unreachable data behind.
 */
import { encodePktLines, FLUSH_PKT, PktLineReader } from "../git/pkt-line.ts";
import { SidebandWriter, SIDEBAND_64K_MAX } from "../git/sideband.ts";
import { ZERO_ID } from "../git/object-id.ts";
import { concatBytes } from "../util/bytes.ts";
import { pushStream } from "../util/push-stream.ts";
import type { ByteSource } from "../util/streams.ts";
import { LimitError, ReposError } from "../errors.ts";
import { checkRefFormat } from "./ref-name.ts";
import { decodePushRequest, type PushRequest } from "./push-request.ts";
import { ingestPack } from "./ingest.ts";
import { abandonUpload, beginUpload, publishPack } from "./publish.ts";
import { ObjectPool } from "./object-pool.ts";
import { readRefs, updateRefs, type RefUpdate } from "./refs.ts";
import { foreignReferences } from "./push-visibility.ts";
import { reachableSet } from "./reachability.ts";
import { COMMIT } from "./commit-graph.ts";
import { errorResponse, publicMessage } from "./git-error.ts";
import type { RepoContext } from "./repo-context.ts";

/** What a successful push changed, for events and logs. */
export interface PushEvent {
  readonly repoId: string;
  readonly updates: readonly RefUpdate[];
  readonly options: readonly string[];
  /** Packs in the pool after the push (maintenance compacts when they pile up). */
  readonly packs: number;
}

export interface ReceivePackHooks {
  readonly onError?: (error: unknown) => void;
  readonly onPushed?: (event: PushEvent) => void | Promise<void>;
}

interface Outcome {
  readonly unpack: string;
  readonly reasons: (string | null)[];
  readonly messages: string[];
  readonly progress: string[];
}

/** Handles one push. The response is decided before it is streamed (it is small). */
export async function receivePack(ctx: RepoContext, body: ByteSource, hooks: ReceivePackHooks = {}): Promise<ReadableStream<Uint8Array>> {
  const reader = new PktLineReader(body, { maxPktLine: ctx.env.limits.maxPktLine });
  let req: PushRequest | null;
  try {
    req = await decodePushRequest(reader, ctx.env.limits);
  } catch (error) {
    return errorResponse(error, hooks.onError);
  }
  if (req === null) return pushStream(async () => {});
  const outcome = await execute(ctx, req, reader, hooks);
  return pushStream(async (write) => write(encodeReport(req, outcome)));
}

async function execute(ctx: RepoContext, req: PushRequest, reader: PktLineReader, hooks: ReceivePackHooks): Promise<Outcome> {
  const { store, limits } = ctx.env;
  // Messages are shown even with "quiet" (git's rp_warning); progress lines are not.
  const messages = req.options.map((o) => `Received push option: ${o}\n`);
  const progress: string[] = [];
  const reasons: (string | null)[] = req.commands.map((c) => {
    const reason = checkRefFormat(c.name, limits.maxRefNameBytes);
    return reason === null ? null : "funny refname";
  });
  let pool = await ObjectPool.open(ctx.env, ctx.poolId);
  const before = ctx.sharedPool ? await readRefs(store, ctx.repoId) : null;
  const tips = before ? [...before.refs.values()].map((id) => pool.locateId(id)) : [];
  const targets = req.commands.filter((c) => c.newId !== ZERO_ID).map((c) => c.newId);
  const refuse = (reason: string) =>
    req.commands.forEach((c, i) => {
      if (c.newId !== ZERO_ID) reasons[i] ??= reason;
    });
  if (targets.length > 0) {
    const blobId = await beginUpload(store, ctx.poolId);
    try {
      // In a fork network, thin-pack bases must be objects this repository's refs reach.
      const opened = pool;
      let reachable: Uint8Array | null = null;
      const baseAllowed = ctx.sharedPool ? (g: number) => (reachable ??= reachableSet(opened, ctx.repoId, tips))[g] === 1 : undefined;
      const ingested = await ingestPack(pool, limitRepoGrowth(reader.rest(), pool.storedBytes, limits.maxRepoBytes), blobId, baseAllowed ? { baseAllowed } : {});
      const foreign = ctx.sharedPool ? foreignReferences(pool, ctx.repoId, tips, ingested.index, targets) : [];
      if (ingested.missing.length > 0 || foreign.length > 0) {
        await abandonUpload(store, ctx.poolId, blobId);
        refuse("missing necessary objects");
      } else if (ingested.record) {
        await publishPack(store, ctx.poolId, ingested.record);
        pool = await ObjectPool.open(ctx.env, ctx.poolId);
        progress.push(`Received ${ingested.record.objects} objects, ${ingested.newObjects} new\n`);
      } else {
        await abandonUpload(store, ctx.poolId, blobId); // an empty pack: nothing to keep
      }
    } catch (error) {
      if (!(error instanceof ReposError)) hooks.onError?.(error);
      await abandonUpload(store, ctx.poolId, blobId);
      return { unpack: publicMessage(error), reasons: req.commands.map(() => "unpacker error"), messages, progress };
    }
  }
  const seen = new Set<string>();
  req.commands.forEach((c, i) => {
    if (reasons[i] !== null) return;
    // Each ref once per push (git fails the second update of a ref in one transaction).
    if (seen.has(c.name)) reasons[i] = "ref updated twice in one push";
    seen.add(c.name);
    if (reasons[i] !== null || c.newId === ZERO_ID) return;
    const g = pool.locateId(c.newId);
    if (g === -1) reasons[i] = "missing necessary objects";
    // A branch must name a commit: git refuses "trying to write non-commit object ... to branch",
    // and a clone of a branch that points at a tree or blob fails.
    else if (c.name.startsWith("refs/heads/") && pool.typeOf(g) !== COMMIT) reasons[i] = "non-commit object cannot be a branch";
  });
  const atomic = req.capabilities.has("atomic");
  if (atomic && reasons.some((r) => r !== null)) {
    return { unpack: "ok", reasons: reasons.map((r) => r ?? "atomic push failure"), messages, progress };
  }
  const updates: RefUpdate[] = [];
  const slots: number[] = [];
  req.commands.forEach((c, i) => {
    if (reasons[i] === null) {
      updates.push({ name: c.name, oldId: c.oldId, newId: c.newId });
      slots.push(i);
    }
  });
  const head = ctx.head;
  const results = await updateRefs(store, ctx.repoId, updates, {
    atomic,
    policy: (u) => (u.name === head && u.newId === ZERO_ID && u.oldId !== ZERO_ID ? "deletion of the current branch prohibited" : null),
  });
  results.forEach((r, k) => {
    if (!r.ok) reasons[slots[k]!] = r.reason;
  });
  const applied = updates.filter((_, k) => results[k]!.ok && updates[k]!.oldId !== updates[k]!.newId);
  if (applied.length > 0) await hooks.onPushed?.({ repoId: ctx.repoId, updates: applied, options: req.options, packs: pool.packs.length });
  return { unpack: "ok", reasons, messages, progress };
}

/** report-status (and report-status-v2, whose extra option lines we do not need) in side-band when asked. */
function encodeReport(req: PushRequest, outcome: Outcome): Uint8Array {
  const lines: (string | "flush")[] = [outcome.unpack === "ok" ? "unpack ok\n" : `unpack ${outcome.unpack}\n`];
  req.commands.forEach((c, i) => {
    const reason = outcome.reasons[i];
    lines.push(reason === null ? `ok ${c.name}\n` : `ng ${c.name} ${reason}\n`);
  });
  lines.push("flush");
  const wantsReport = req.capabilities.has("report-status") || req.capabilities.has("report-status-v2");
  const report = wantsReport ? encodePktLines(lines) : new Uint8Array(0);
  if (!req.capabilities.has("side-band-64k")) return report;
  const frames: Uint8Array[] = [];
  const sideband = new SidebandWriter(SIDEBAND_64K_MAX, (frame) => frames.push(frame));
  for (const text of outcome.messages) sideband.progress(text);
  if (!req.capabilities.has("quiet")) for (const text of outcome.progress) sideband.progress(text);
  if (report.length > 0) sideband.writeData(report);
  sideband.end();
  frames.push(FLUSH_PKT);
  return concatBytes(frames);
}

/** The repository size limit (Artifacts: 1 GB) bounds what a push may add to the stored packs. */
async function* limitRepoGrowth(source: AsyncIterable<Uint8Array>, stored: number, max: number): AsyncGenerator<Uint8Array> {
  let total = stored;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw new LimitError("maxRepoBytes", `Repository size limit exceeded: the repository may hold at most ${max} bytes of packs`);
    yield chunk;
  }
}
