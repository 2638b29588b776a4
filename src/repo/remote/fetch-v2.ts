/**
 * @module repo/remote/fetch-v2
 * The two protocol v2 commands an import sends (gitprotocol-v2): `ls-refs` with `symrefs`, `peel`,
 * `unborn` (when advertised) and ref prefixes, then `fetch` with the wanted ids, `ofs-delta`,
 * `no-progress`, `deepen <n>` for a depth, and `done` straight away: the target is empty, so there
 * is nothing to negotiate and no `have`. No `thin-pack`, since there are no bases to complete it
 * from. The response's sections are `shallow-info` (the boundary commits), possibly
 * `wanted-refs`/`packfile-uris` (skipped), then `packfile`, whose side-band stream is the pack.
 */
import { encodePktLines, pktLineText, PktLineReader, LARGE_PACKET_MAX, type PktLineInput } from "../../git/pkt-line.ts";
import { isObjectId, type ObjectId } from "../../git/object-id.ts";
import { malformed, upstreamUnavailable } from "./remote-errors.ts";
import { RefList, splitRefLine, type RemoteHead, type RemoteRef } from "./remote-refs.ts";
import { refLineText, type V2Discovery } from "./discover.ts";
import { sidebandPack, type PackLimit } from "./pack-stream.ts";
import { CLIENT_AGENT, type Transport } from "./transport.ts";

/** What a fetch returns before the pack streams: the shallow boundary, then the pack bytes. */
export interface PackResponse {
  /** Commits whose parents the pack leaves out (deepen, or a shallow remote). */
  readonly shallow: readonly ObjectId[];
  readonly pack: AsyncIterable<Uint8Array>;
}

export interface FetchArgs {
  readonly wants: readonly ObjectId[];
  /** `deepen <n>`; undefined for full history. */
  readonly depth: number | undefined;
  readonly limit: PackLimit;
}

const V2_HEADERS = { "Git-Protocol": "version=2" };

/** `ls-refs`: the importable refs under `prefixes` and what HEAD points at. */
export async function lsRefs(
  transport: Transport,
  discovery: V2Discovery,
  prefixes: readonly string[],
  maxRefs: number,
): Promise<{ refs: RemoteRef[]; head: RemoteHead }> {
  const features = discovery.capabilities.get("ls-refs");
  if (features === undefined) throw malformed("Remote speaks protocol v2 but does not offer ls-refs");
  const args = ["peel\n", "symrefs\n"];
  if (features.split(" ").includes("unborn")) args.push("unborn\n");
  for (const prefix of prefixes) args.push(`ref-prefix ${prefix}\n`);
  const body = encodePktLines(["command=ls-refs\n", ...commandCapabilities(discovery), "delim", ...args, "flush"]);
  const response = await transport.uploadPack(discovery.base, body, V2_HEADERS);
  const reader = new PktLineReader(transport.body(response), { maxPktLine: LARGE_PACKET_MAX });
  const list = new RefList(maxRefs, transport.url);
  let head: RemoteHead = { target: null, id: null };
  try {
    for (;;) {
      const frame = await reader.read();
      if (frame === null) throw malformed("ls-refs response ended before its flush-pkt");
      if (frame.kind === "flush") break;
      if (frame.kind !== "data") throw malformed(`ls-refs response has an unexpected ${frame.kind}-pkt`);
      const text = refLineText(frame.payload);
      if (text === null) continue; // a ref name that is not UTF-8: not one we can store
      if (text.startsWith("ERR ")) throw upstreamUnavailable(new Error(`Remote reported: ${text.slice(4)}`));
      const [first, name, ...attributes] = text.split(" ");
      const target = attributes.find((a) => a.startsWith("symref-target:"))?.slice(14) ?? null;
      if (first === "unborn") {
        if (name === "HEAD") head = { target, id: null };
        continue;
      }
      const { id } = splitRefLine(text);
      if (name === "HEAD") head = { target, id };
      else list.add(name!, id);
    }
  } finally {
    await reader.cancel();
  }
  return { refs: list.refs, head };
}

/** `fetch`: asks for `wants` (and a depth) and returns once the `packfile` section starts. */
export async function fetchV2(transport: Transport, discovery: V2Discovery, args: FetchArgs): Promise<PackResponse> {
  const lines: PktLineInput[] = ["command=fetch\n", ...commandCapabilities(discovery), "delim", "ofs-delta\n", "no-progress\n"];
  for (const id of args.wants) lines.push(`want ${id}\n`);
  if (args.depth !== undefined) lines.push(`deepen ${args.depth}\n`);
  lines.push("done\n", "flush");
  const response = await transport.uploadPack(discovery.base, encodePktLines(lines), V2_HEADERS);
  const reader = new PktLineReader(transport.body(response), { maxPktLine: LARGE_PACKET_MAX });
  let handedOver = false;
  try {
    const shallow = await readSectionsToPack(reader);
    handedOver = true;
    return { shallow, pack: sidebandPack(reader, args.limit) };
  } finally {
    if (!handedOver) await reader.cancel();
  }
}

/** Reads the sections before `packfile`; returns the shallow commits of `shallow-info`. */
async function readSectionsToPack(reader: PktLineReader): Promise<ObjectId[]> {
  const shallow: ObjectId[] = [];
  for (;;) {
    const frame = await reader.read();
    if (frame === null || frame.kind !== "data") throw malformed(`Fetch response ended before its packfile section`);
    const header = pktLineText(frame.payload);
    if (header === "packfile") return shallow;
    if (header.startsWith("ERR ")) throw upstreamUnavailable(new Error(`Remote reported: ${header.slice(4)}`));
    if (header !== "shallow-info" && header !== "wanted-refs" && header !== "packfile-uris" && header !== "acknowledgments") {
      throw malformed(`Unexpected fetch response section "${header.slice(0, 60)}"`);
    }
    const section = await reader.readSection();
    // After "done" the server must send the pack; a section ending in flush means it will not.
    if (section.end !== "delim") throw malformed(`Fetch response section "${header}" is not followed by a packfile`);
    if (header !== "shallow-info") continue;
    for (const payload of section.payloads) {
      const line = pktLineText(payload);
      if (line.startsWith("unshallow ")) continue; // only for clients that were shallow already
      const id = line.slice(8);
      if (!line.startsWith("shallow ") || !isObjectId(id)) throw malformed(`Invalid shallow-info line "${line.slice(0, 120)}"`);
      shallow.push(id);
    }
  }
}

/** Capability lines of a command: only those the server advertised (gitprotocol-v2 "Command Request"). */
function commandCapabilities(discovery: V2Discovery): string[] {
  const lines: string[] = [];
  if (discovery.capabilities.has("agent")) lines.push(`agent=${CLIENT_AGENT}\n`);
  if (discovery.capabilities.has("object-format")) lines.push("object-format=sha1\n");
  return lines;
}
