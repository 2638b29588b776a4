/**
 * @module repo/upload-pack-v2
 * `POST git-upload-pack` with `Git-Protocol: version=2` (gitprotocol-v2): one command per request,
 * framed as `command=<name>`, capability lines, delim-pkt, argument lines, flush-pkt. We serve
 * `ls-refs` and `fetch`. Responses never contain the response-end packet `0002` (remote-curl aborts
 * on it over HTTP).
 */
import { encodePktLines, pktLineText, PktLineReader } from "../git/pkt-line.ts";
import { ProtocolError } from "../errors.ts";

import type { ByteSource } from "../util/streams.ts";
import { pushStream } from "../util/push-stream.ts";
import { decodeFetchV2Args, type FetchRequest } from "./fetch-request.ts";
import { chooseObjects, prepareFetch, type FetchState } from "./fetch-plan.ts";
import { writePackResponse } from "./pack-response.ts";
import { advertisedRefs } from "./advertisement.ts";
import { ObjectPool } from "./object-pool.ts";
import { readRefs } from "./refs.ts";
import type { RepoContext } from "./repo-context.ts";
import { errorResponse } from "./git-error.ts";
import { LINE_WORK, Pacer } from "../util/pacer.ts";


interface Command {
  readonly name: string;
  readonly capabilities: string[];
  readonly args: string[];
}

const KNOWN_CAPABILITIES = new Set(["agent", "object-format", "server-option", "session-id"]);

async function decodeCommand(reader: PktLineReader): Promise<Command | null> {
  const first = await reader.read();
  if (first === null || first.kind === "flush") return null;
  if (first.kind !== "data") throw new ProtocolError("ERR_REQUEST", `Expected a command, got a ${first.kind} packet`);
  const line = pktLineText(first.payload);
  if (!line.startsWith("command=")) throw new ProtocolError("ERR_REQUEST", `Expected "command=<name>", got "${line}"`);
  const capabilities: string[] = [];
  const args: string[] = [];
  let section = capabilities;
  const pacer = new Pacer(); // a buffered body of many lines parses without waiting on I/O
  for (;;) {
    await pacer.pace(LINE_WORK);
    const frame = await reader.read();
    if (frame === null) throw new ProtocolError("ERR_REQUEST", "Request ended before the flush-pkt that ends the command");
    if (frame.kind === "flush") break;
    if (frame.kind === "delim") {
      if (section === args) throw new ProtocolError("ERR_REQUEST", "Unexpected second delim-pkt in command");
      section = args;
      continue;
    }
    if (frame.kind !== "data") throw new ProtocolError("ERR_REQUEST", `Unexpected ${frame.kind} packet in command`);
    section.push(pktLineText(frame.payload));
  }
  for (const cap of capabilities) {
    const name = cap.split("=", 1)[0]!;
    if (!KNOWN_CAPABILITIES.has(name)) throw new ProtocolError("ERR_CAPABILITY", `unknown capability '${cap}'`);
    if (name === "object-format" && cap !== "object-format=sha1") throw new ProtocolError("ERR_CAPABILITY", `unsupported object format '${cap.slice(14)}'`);
  }
  return { name: line.slice(8), capabilities, args };
}

/** Handles one protocol v2 request. */
export async function uploadPackV2(ctx: RepoContext, body: ByteSource, onError?: (e: unknown) => void): Promise<ReadableStream<Uint8Array>> {
  try {
    const command = await decodeCommand(new PktLineReader(body, { maxPktLine: ctx.env.limits.maxPktLine }));
    if (command === null) return pushStream(async () => {});
    if (command.name === "ls-refs") {
      const bytes = await lsRefs(ctx, command.args);
      return pushStream(async (write) => write(bytes));
    }
    if (command.name === "fetch") return await fetch(ctx, decodeFetchV2Args(command.args, ctx.env.limits), onError);
    throw new ProtocolError("ERR_REQUEST", `invalid command '${command.name}'`);
  } catch (error) {
    return errorResponse(error, onError);
  }
}

/** `ls-refs` (gitprotocol-v2 "ls-refs"): symrefs, peel, ref-prefix, unborn. */
async function lsRefs(ctx: RepoContext, args: readonly string[]): Promise<Uint8Array> {
  let symrefs = false;
  let peel = false;
  let unborn = false;
  const prefixes: string[] = [];
  for (const arg of args) {
    if (arg === "symrefs") symrefs = true;
    else if (arg === "peel") peel = true;
    else if (arg === "unborn") unborn = true;
    else if (arg.startsWith("ref-prefix ")) prefixes.push(arg.slice(11));
    else throw new ProtocolError("ERR_REQUEST", `unexpected line: '${arg}'`);
  }
  const matches = (name: string) => prefixes.length === 0 || prefixes.some((p) => name.startsWith(p));
  const [pool, snapshot] = await Promise.all([ObjectPool.open(ctx.env, ctx.poolId), readRefs(ctx.env.store, ctx.repoId)]);
  const lines: (string | "flush")[] = [];
  if (matches("HEAD")) {
    const headId = snapshot.refs.get(ctx.head);
    const target = symrefs ? ` symref-target:${ctx.head}` : "";
    if (headId) lines.push(`${headId} HEAD${target}\n`);
    else if (unborn && symrefs) lines.push(`unborn HEAD${target}\n`); // as ls-refs.c send_possibly_unborn_head
  }
  for (const ref of advertisedRefs(pool, snapshot.refs)) {
    if (!matches(ref.name)) continue;
    lines.push(`${ref.id} ${ref.name}${peel && ref.peeled ? ` peeled:${ref.peeled}` : ""}\n`);
  }
  lines.push("flush");
  return encodePktLines(lines);
}

/** `fetch` (gitprotocol-v2 "fetch"): acknowledgments, shallow-info, packfile. */
async function fetch(ctx: RepoContext, req: FetchRequest, onError?: (e: unknown) => void): Promise<ReadableStream<Uint8Array>> {
  if (req.wants.length === 0 && !req.waitForDone) return pushStream(async () => {});
  const state = await prepareFetch(ctx, req);
  const head: (string | "flush" | "delim")[] = [];
  // Every have we have is acknowledged, repeats and known ancestors included (upload-pack.c
  // process_haves appends each to the ACK list before deciding whether it is new).
  const acks: number[] = [];
  const pacer = new Pacer(); // up to limits.maxHaves haves: hand the event loop back now and then
  for (const id of req.haves) {
    await pacer.pace(LINE_WORK);
    const g = state.pool.locateId(id);
    if (state.negotiator.have(g) !== -1) acks.push(g);
  }
  if (!req.done && req.sawHaves) {
    const ready = await acknowledge(state, req, acks, head, pacer);
    if (!ready) {
      head.push("flush");
      const bytes = encodePktLines(head);
      return pushStream(async (write) => write(bytes));
    }
    head.push("delim");
  }
  if (req.depth > 0 || req.deepenSince !== null || req.deepenNot.length > 0 || req.clientShallow.length > 0 || state.repoShallow) {
    head.push("shallow-info\n");
    for (const g of state.shallow?.shallow ?? []) head.push(`shallow ${state.pool.idOf(g)}\n`);
    for (const g of state.shallow?.unshallow ?? []) head.push(`unshallow ${state.pool.idOf(g)}\n`);
    head.push("delim");
  }
  head.push("packfile\n");
  const headBytes = encodePktLines(head);
  return pushStream(async (write) => {
    await write(headBytes);
    await writePackResponse(write, {
      pool: state.pool,
      walk: chooseObjects(state, req),
      sideband: 65520,
      progress: !req.noProgress,
      thin: req.thinPack,
      ofsDelta: req.ofsDelta,
      ...(onError ? { onError } : {}),
    });
  });
}

/** Writes the acknowledgments section; returns true when "ready" was sent (upload-pack.c send_acks). */
async function acknowledge(state: FetchState, req: FetchRequest, acks: readonly number[], out: (string | "flush" | "delim")[], pacer: Pacer): Promise<boolean> {
  out.push("acknowledgments\n");
  if (acks.length === 0) out.push("NAK\n");
  for (const g of acks) out.push(`ACK ${state.pool.idOf(g)}\n`);
  if (!req.waitForDone && (await state.negotiator.okToGiveUpPaced(pacer))) {
    out.push("ready\n");
    return true;
  }
  return false;
}

