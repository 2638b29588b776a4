/**
 * @module repo/remote/fetch-v0
 * Fetching from a v0/v1 server over stateless HTTP (gitprotocol-pack "Packfile Negotiation";
 * gitprotocol-http "Smart Service git-upload-pack"): one request with the wants (capabilities on
 * the first), `deepen <n>` for a depth, a flush-pkt and `done` — no haves, the target is empty.
 * The response is the shallow list when deepening (ended by a flush-pkt, even when empty), the
 * final `NAK` (or `ACK <id>`), then the pack: side-banded when negotiated, raw otherwise.
 */
import { encodePktLines, pktLineText, PktLineReader, LARGE_PACKET_MAX, type PktLineInput } from "../../git/pkt-line.ts";
import { isObjectId, type ObjectId } from "../../git/object-id.ts";
import { malformed, upstreamUnavailable } from "./remote-errors.ts";
import type { V0Discovery } from "./discover.ts";
import type { FetchArgs, PackResponse } from "./fetch-v2.ts";
import { rawPack, sidebandPack } from "./pack-stream.ts";
import { CLIENT_AGENT, type Transport } from "./transport.ts";

/** Requests the wants and returns once the pack starts. */
export async function fetchV0(transport: Transport, discovery: V0Discovery, args: FetchArgs): Promise<PackResponse> {
  const caps = requestCapabilities(discovery.capabilities);
  const first = caps.length > 0 ? " " + caps.join(" ") : "";
  const lines: PktLineInput[] = args.wants.map((id, i) => (i === 0 ? `want ${id}${first}\n` : `want ${id}\n`));
  if (args.depth !== undefined) lines.push(`deepen ${args.depth}\n`);
  lines.push("flush", "done\n");
  const response = await transport.uploadPack(discovery.base, encodePktLines(lines), {});
  const reader = new PktLineReader(transport.body(response), { maxPktLine: LARGE_PACKET_MAX });
  let handedOver = false;
  try {
    const shallow = [...discovery.shallow];
    if (args.depth !== undefined) shallow.push(...(await readShallowList(reader)));
    await readFinalAck(reader);
    handedOver = true;
    const sideband = caps.includes("side-band-64k") || caps.includes("side-band");
    return { shallow, pack: sideband ? sidebandPack(reader, args.limit) : rawPack(reader.rest(), args.limit) };
  } finally {
    if (!handedOver) await reader.cancel();
  }
}

/** What we ask for, of what the server offers, in git's preference order (fetch-pack.c find_common). */
function requestCapabilities(offered: ReadonlyMap<string, string>): string[] {
  const caps: string[] = [];
  if (offered.has("multi_ack_detailed")) caps.push("multi_ack_detailed");
  else if (offered.has("multi_ack")) caps.push("multi_ack");
  if (offered.has("side-band-64k")) caps.push("side-band-64k");
  else if (offered.has("side-band")) caps.push("side-band");
  if (offered.has("ofs-delta")) caps.push("ofs-delta");
  if (offered.has("no-progress")) caps.push("no-progress");
  if (offered.has("agent")) caps.push(`agent=${CLIENT_AGENT}`);
  return caps;
}

/** `shallow <id>` / `unshallow <id>` lines up to a flush-pkt (upload-pack.c send_shallow). */
async function readShallowList(reader: PktLineReader): Promise<ObjectId[]> {
  const shallow: ObjectId[] = [];
  for (;;) {
    const frame = await reader.read();
    if (frame === null) throw malformed("Fetch response ended inside its shallow list");
    if (frame.kind === "flush") return shallow;
    if (frame.kind !== "data") throw malformed(`Fetch response has an unexpected ${frame.kind}-pkt in its shallow list`);
    const line = pktLineText(frame.payload);
    if (line.startsWith("ERR ")) throw upstreamUnavailable(new Error(`Remote reported: ${line.slice(4)}`));
    if (line.startsWith("unshallow ")) continue;
    const id = line.slice(8);
    if (!line.startsWith("shallow ") || !isObjectId(id)) throw malformed(`Invalid shallow line "${line.slice(0, 120)}"`);
    shallow.push(id);
  }
}

/** Skips acknowledgments up to the final `NAK` or `ACK <id>` that precedes the pack. */
async function readFinalAck(reader: PktLineReader): Promise<void> {
  for (;;) {
    const frame = await reader.read();
    if (frame === null || frame.kind !== "data") throw malformed("Fetch response ended before NAK or ACK");
    const line = pktLineText(frame.payload);
    if (line === "NAK") return;
    if (line.startsWith("ACK ")) {
      if (line.length === 44) return; // "ACK <id>" without a status is the final one
      continue; // "ACK <id> common|ready|continue" from multi_ack negotiation
    }
    if (line.startsWith("ERR ")) throw upstreamUnavailable(new Error(`Remote reported: ${line.slice(4)}`));
    throw malformed(`Unexpected line "${line.slice(0, 120)}": expected NAK or ACK`);
  }
}
