/**
 * @module repo/upload-pack-v0
 * `POST git-upload-pack` for protocol v0/v1 over stateless HTTP (gitprotocol-pack "Packfile
 * Negotiation", gitprotocol-http "Smart Service git-upload-pack"): decode the request, plan
 * (validate wants, shallow boundary, negotiate), then encode the shallow list, the ACK/NAK lines
 * exactly as upload-pack.c get_common_commits writes them, and — when negotiation is over — the pack.
 */
import { encodePktLines, PktLineReader } from "../git/pkt-line.ts";
import type { ByteSource } from "../util/streams.ts";
import { pushStream } from "../util/push-stream.ts";
import { decodeFetchV0, type FetchRequest } from "./fetch-request.ts";
import { chooseObjects, prepareFetch, type FetchState } from "./fetch-plan.ts";
import { writePackResponse } from "./pack-response.ts";
import type { RepoContext } from "./repo-context.ts";
import { errorResponse } from "./git-error.ts";
import { LINE_WORK, Pacer } from "../util/pacer.ts";

/** Handles one upload-pack request; protocol errors become an `ERR` pkt-line git shows the user. */
export async function uploadPackV0(ctx: RepoContext, body: ByteSource, onError?: (e: unknown) => void): Promise<ReadableStream<Uint8Array>> {
  let req: FetchRequest;
  let state: FetchState;
  try {
    req = await decodeFetchV0(new PktLineReader(body, { maxPktLine: ctx.env.limits.maxPktLine }), ctx.env.limits);
    if (req.wants.length === 0) return pushStream(async () => {});
    state = await prepareFetch(ctx, req);
  } catch (error) {
    return errorResponse(error, onError);
  }
  const { head, sendPack } = await negotiateV0(state, req);
  return pushStream(async (write) => {
    await write(head);
    if (!sendPack) return;
    await writePackResponse(write, {
      pool: state.pool,
      walk: chooseObjects(state, req),
      sideband: req.sideband,
      progress: !req.noProgress,
      thin: req.thinPack,
      ofsDelta: req.ofsDelta,
      ...(onError ? { onError } : {}),
    });
  });
}

/**
 * The shallow section and acknowledgments, and whether a pack follows (pure over the state; exported
 * for tests). Up to limits.maxHaves haves are read, so the loop hands the event loop back now and then.
 */
export async function negotiateV0(state: FetchState, req: FetchRequest): Promise<{ head: Uint8Array; sendPack: boolean }> {
  const lines: (string | "flush")[] = [];
  const deepening = req.depth > 0 || req.deepenSince !== null || req.deepenNot.length > 0;
  if (deepening && state.shallow) {
    for (const g of state.shallow.shallow) lines.push(`shallow ${state.pool.idOf(g)}\n`);
    for (const g of state.shallow.unshallow) lines.push(`unshallow ${state.pool.idOf(g)}\n`);
    lines.push("flush");
  }
  if (req.endedAfterWants) return { head: encodePktLines(lines), sendPack: false };
  const n = state.negotiator;
  const multiAck = req.multiAck;
  let gotCommon = false;
  let gotOther = false;
  let sentReady = false;
  let last = "";
  const pacer = new Pacer();
  for (const id of req.haves) {
    await pacer.pace(LINE_WORK);
    const result = n.have(state.pool.locateId(id));
    if (result === -1) {
      gotOther = true;
      // Asked once per unknown have, as git does; the negotiator answers from kept state.
      if (multiAck > 0 && (await n.okToGiveUpPaced(pacer))) {
        if (multiAck === 2) {
          sentReady = true;
          lines.push(`ACK ${id} ready\n`);
        } else {
          lines.push(`ACK ${id} continue\n`);
        }
      }
      continue;
    }
    gotCommon = true;
    last = id;
    if (multiAck === 2) lines.push(`ACK ${id} common\n`);
    else if (multiAck === 1) lines.push(`ACK ${id} continue\n`);
    else if (n.common.length === 1) lines.push(`ACK ${id}\n`); // repeats too, as git (have_obj.nr == 1)
  }
  if (req.done) {
    if (n.common.length > 0) {
      if (multiAck > 0) lines.push(`ACK ${last}\n`);
    } else {
      lines.push("NAK\n");
    }
    return { head: encodePktLines(lines), sendPack: true };
  }
  // The round ended with a flush: stateless HTTP answers it and the client comes back.
  if (multiAck === 2 && gotCommon && !gotOther && (await n.okToGiveUpPaced(pacer))) {
    sentReady = true;
    lines.push(`ACK ${last} ready\n`);
  }
  if (n.common.length === 0 || multiAck > 0) lines.push("NAK\n");
  if (req.noDone && sentReady) {
    lines.push(`ACK ${last}\n`);
    return { head: encodePktLines(lines), sendPack: true };
  }
  return { head: encodePktLines(lines), sendPack: false };
}

