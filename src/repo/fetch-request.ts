/**
 * @module repo/fetch-request
 * Decodes what a fetching client sends: the v0/v1 upload-pack request (gitprotocol-pack
 * "Packfile Negotiation": want lines with capabilities on the first, shallow/deepen/filter lines,
 * flush, have lines, then flush or "done") and the arguments of a protocol v2 `fetch` command
 * (gitprotocol-v2 "fetch"). Both become one FetchRequest; the v2 command framing is in
 * src/repo/v2-command.ts.
 */
import { ProtocolError, LimitError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { isObjectId, type ObjectId } from "../git/object-id.ts";
import { pktLineText, type PktLineReader } from "../git/pkt-line.ts";
import { parseCapabilities, UPLOAD_PACK_V0_REQUESTABLE } from "./capabilities.ts";
import { LINE_WORK, Pacer } from "../util/pacer.ts";

export interface FetchRequest {
  wants: ObjectId[];
  haves: ObjectId[];
  /** The client sent "done" (no more negotiation). */
  done: boolean;
  /** Any have line was present (v2 decides whether to send acknowledgments on this). */
  sawHaves: boolean;
  /**
   * v0 only: the body ended right after the want section. Stateless clients send that first when
   * deepening, to read the shallow list before negotiating (upload-pack.c upload_pack, "An EOF at
   * this exact point in negotiation should be acceptable from stateless clients").
   */
  endedAfterWants: boolean;
  thinPack: boolean;
  ofsDelta: boolean;
  /** 0 = no side-band; else the largest pkt-line (1000 or 65520). */
  sideband: number;
  noProgress: boolean;
  includeTag: boolean;
  /** 0 = none, 1 = multi_ack, 2 = multi_ack_detailed (v0 only). */
  multiAck: 0 | 1 | 2;
  noDone: boolean;
  waitForDone: boolean;
  clientShallow: ObjectId[];
  depth: number;
  deepenRelative: boolean;
  deepenSince: number | null;
  deepenNot: string[];
  filter: string | null;
}

export function emptyFetchRequest(): FetchRequest {
  return {
    wants: [],
    haves: [],
    done: false,
    sawHaves: false,
    endedAfterWants: false,
    thinPack: false,
    ofsDelta: false,
    sideband: 0,
    noProgress: false,
    includeTag: false,
    multiAck: 0,
    noDone: false,
    waitForDone: false,
    clientShallow: [],
    depth: 0,
    deepenRelative: false,
    deepenSince: null,
    deepenNot: [],
    filter: null,
  };
}

function objectIdArg(line: string, prefix: string): ObjectId {
  const id = line.slice(prefix.length, prefix.length + 40);
  if (!isObjectId(id)) throw new ProtocolError("ERR_REQUEST", `Invalid ${prefix.trim()} line "${line}": expected a 40-character lowercase hex object id`);
  return id;
}

/**
 * Adds a want unless it is a repeat: upload-pack.c keeps want_obj a set (the WANTED flag), so a
 * repeated want line changes nothing. The limit still counts lines.
 */
function addWant(req: FetchRequest, wanted: WantLines, id: ObjectId, limits: Limits): void {
  if (++wanted.lines > limits.maxWants) throw new LimitError("maxWants", `Too many want lines: more than ${limits.maxWants}`);
  if (wanted.ids.has(id)) return;
  wanted.ids.add(id);
  req.wants.push(id);
}

interface WantLines {
  lines: number;
  readonly ids: Set<ObjectId>;
}

/** Handles the shallow/deepen/filter lines shared by v0 and v2; returns false for other lines. */
function shallowArg(req: FetchRequest, line: string, limits: Limits): boolean {
  if (line.startsWith("shallow ")) {
    req.clientShallow.push(objectIdArg(line, "shallow "));
    if (req.clientShallow.length > limits.maxWants) throw new LimitError("maxWants", `Too many shallow lines: more than ${limits.maxWants}`);
    return true;
  }
  if (line.startsWith("deepen ")) {
    const depth = Number(line.slice(7));
    if (!Number.isInteger(depth) || depth <= 0) throw new ProtocolError("ERR_REQUEST", `Invalid deepen: ${line}`);
    req.depth = depth;
    return true;
  }
  if (line.startsWith("deepen-since ")) {
    const since = Number(line.slice(13));
    if (!Number.isInteger(since) || since <= 0) throw new ProtocolError("ERR_REQUEST", `Invalid deepen-since: ${line}`);
    req.deepenSince = since;
    return true;
  }
  if (line.startsWith("deepen-not ")) {
    req.deepenNot.push(line.slice(11));
    // Each names a ref, like a want names an object: bounded by the same limit.
    if (req.deepenNot.length > limits.maxWants) throw new LimitError("maxWants", `Too many deepen-not lines: more than ${limits.maxWants}`);
    return true;
  }
  if (line.startsWith("filter ")) {
    if (req.filter !== null) throw new ProtocolError("ERR_REQUEST", "multiple filter-specs cannot be combined");
    req.filter = line.slice(7);
    return true;
  }
  return false;
}

/** Reads a v0/v1 upload-pack request body. */
export async function decodeFetchV0(reader: PktLineReader, limits: Limits): Promise<FetchRequest> {
  const req = emptyFetchRequest();
  const wanted: WantLines = { lines: 0, ids: new Set() };
  // A buffered body of up to limits.maxWants + maxHaves lines parses without waiting on I/O.
  const pacer = new Pacer();
  let caps: Map<string, string> | null = null;
  // Section 1: wants and shallow/deepen/filter lines, up to a flush.
  for (;;) {
    await pacer.pace(LINE_WORK);
    const frame = await reader.read();
    if (frame === null) {
      if (req.wants.length === 0) return req;
      throw new ProtocolError("ERR_REQUEST", "Upload-pack request ended before the flush after the want lines");
    }
    if (frame.kind === "flush") break;
    if (frame.kind !== "data") throw new ProtocolError("ERR_REQUEST", `Unexpected ${frame.kind} packet in upload-pack request`);
    const line = pktLineText(frame.payload);
    if (shallowArg(req, line, limits)) continue;
    if (!line.startsWith("want ")) throw new ProtocolError("ERR_REQUEST", `git upload-pack: protocol error, expected to get object ID, not '${line}'`);
    addWant(req, wanted, objectIdArg(line, "want "), limits);
    if (caps === null) {
      caps = parseCapabilities(line.slice(46), UPLOAD_PACK_V0_REQUESTABLE, "upload-pack");
      applyV0Capabilities(req, caps);
    }
  }
  if (req.filter !== null && !caps?.has("filter")) throw new ProtocolError("ERR_CAPABILITY", "git upload-pack: filtering capability not negotiated");
  if (req.wants.length === 0) return req;
  // Section 2: haves, ended by a flush (a negotiation round) or "done".
  for (let first = true; ; first = false) {
    await pacer.pace(LINE_WORK);
    const frame = await reader.read();
    if (frame === null && first) req.endedAfterWants = true;
    if (frame === null || frame.kind === "flush") break;
    if (frame.kind !== "data") throw new ProtocolError("ERR_REQUEST", `Unexpected ${frame.kind} packet in upload-pack request`);
    const line = pktLineText(frame.payload);
    if (line === "done") {
      req.done = true;
      break;
    }
    if (!line.startsWith("have ")) throw new ProtocolError("ERR_REQUEST", `git upload-pack: expected SHA1 list, got '${line}'`);
    req.sawHaves = true;
    req.haves.push(objectIdArg(line, "have "));
    if (req.haves.length > limits.maxHaves) throw new LimitError("maxHaves", `Too many have lines: more than ${limits.maxHaves}`);
  }
  return req;
}

function applyV0Capabilities(req: FetchRequest, caps: ReadonlyMap<string, string>): void {
  req.multiAck = caps.has("multi_ack_detailed") ? 2 : caps.has("multi_ack") ? 1 : 0;
  req.noDone = caps.has("no-done");
  req.thinPack = caps.has("thin-pack");
  req.ofsDelta = caps.has("ofs-delta");
  req.sideband = caps.has("side-band-64k") ? 65520 : caps.has("side-band") ? 1000 : 0;
  req.noProgress = caps.has("no-progress");
  req.includeTag = caps.has("include-tag");
  req.deepenRelative = caps.has("deepen-relative");
}

/** Decodes the argument lines of a v2 `fetch` command. */
export function decodeFetchV2Args(args: readonly string[], limits: Limits): FetchRequest {
  const req = emptyFetchRequest();
  const wanted: WantLines = { lines: 0, ids: new Set() };
  req.sideband = 65520;
  for (const line of args) {
    if (line.startsWith("want ")) {
      addWant(req, wanted, objectIdArg(line, "want "), limits);
    } else if (line.startsWith("have ")) {
      req.sawHaves = true;
      req.haves.push(objectIdArg(line, "have "));
      if (req.haves.length > limits.maxHaves) throw new LimitError("maxHaves", `Too many have lines: more than ${limits.maxHaves}`);
    } else if (line === "thin-pack") req.thinPack = true;
    else if (line === "ofs-delta") req.ofsDelta = true;
    else if (line === "no-progress") req.noProgress = true;
    else if (line === "include-tag") req.includeTag = true;
    else if (line === "done") req.done = true;
    else if (line === "wait-for-done") req.waitForDone = true;
    else if (line === "deepen-relative") req.deepenRelative = true;
    else if (!shallowArg(req, line, limits)) throw new ProtocolError("ERR_REQUEST", `unexpected line: '${line}'`);
  }
  return req;
}
