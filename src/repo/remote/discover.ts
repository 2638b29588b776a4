/**
 * @module repo/remote/discover
 * Reference discovery over smart HTTP (gitprotocol-http "Smart Clients", "Discovering
 * References"): `GET <url>/info/refs?service=git-upload-pack` with `Git-Protocol: version=2`.
 * A v2 server answers `version 2` and its capabilities (gitprotocol-v2 "Capability
 * Advertisement"); any other answers with the v0 ref advertisement (gitprotocol-pack "Reference
 * Discovery": refs with capabilities after a NUL on the first line, peeled `^{}` lines, `shallow`
 * lines of a shallow repository). Either may start with the `# service=git-upload-pack` prelude.
 * A URL without ".git" that is not found is tried again with it (Artifacts: ".git" is optional).
 */
import { pktLineText, PktLineReader, LARGE_PACKET_MAX, type PktFrame } from "../../git/pkt-line.ts";
import { isObjectId, ZERO_ID, type ObjectId } from "../../git/object-id.ts";
import { utf8DecodeStrict } from "../../util/bytes.ts";
import { ArtifactsError } from "../../errors.ts";
import { invalidUrl, malformed, upstreamUnavailable } from "./remote-errors.ts";
import { RefList, splitRefLine, type RemoteHead, type RemoteRef } from "./remote-refs.ts";
import { cancelBody, mediaType, type Transport } from "./transport.ts";
import type { RemoteUrl } from "./remote-url.ts";

/** A protocol v2 server: refs come from `ls-refs` (src/repo/remote/fetch-v2.ts). */
export interface V2Discovery {
  readonly protocol: "v2";
  /** Repository URL the commands are posted to (after redirects). */
  readonly base: string;
  /** Capability name → value ("" when it has none), e.g. "fetch" → "shallow wait-for-done filter". */
  readonly capabilities: ReadonlyMap<string, string>;
}

/** A v0/v1 server: the advertisement already lists the refs. */
export interface V0Discovery {
  readonly protocol: "v0";
  readonly base: string;
  readonly capabilities: ReadonlyMap<string, string>;
  /** Importable refs (src/repo/remote/remote-refs.ts). */
  readonly refs: readonly RemoteRef[];
  readonly head: RemoteHead;
  /** The remote's own shallow commits (it is a shallow clone). */
  readonly shallow: readonly ObjectId[];
}

export type Discovery = V2Discovery | V0Discovery;

const ADVERTISEMENT_TYPE = "application/x-git-upload-pack-advertisement";

/** Finds the repository behind `remote` and reads what it advertises. */
export async function discover(transport: Transport, remote: RemoteUrl, maxRefs: number): Promise<Discovery> {
  for (let i = 0; ; i++) {
    const { response, base } = await transport.discover(remote.candidates[i]!, { "Git-Protocol": "version=2", Accept: "*/*", Pragma: "no-cache" });
    if (response.status === 404 && i + 1 < remote.candidates.length) {
      await cancelBody(response);
      continue;
    }
    if (response.status !== 200) throw await transport.fail(response, true);
    // remote-curl treats any other type as a dumb server, which we do not speak.
    if (mediaType(response) !== ADVERTISEMENT_TYPE) {
      await cancelBody(response);
      throw invalidUrl(new Error(`Remote answered with Content-Type "${response.headers.get("content-type") ?? ""}", not a smart HTTP advertisement`));
    }
    const reader = new PktLineReader(transport.body(response), { maxPktLine: LARGE_PACKET_MAX });
    try {
      return await readAdvertisement(reader, base, maxRefs, transport.url);
    } finally {
      await reader.cancel();
    }
  }
}

async function readAdvertisement(reader: PktLineReader, base: string, maxRefs: number, url: string): Promise<Discovery> {
  let first: PktFrame | null;
  try {
    first = await reader.read();
    if (first?.kind === "data" && pktLineText(first.payload) === "# service=git-upload-pack") {
      const flush = await reader.read();
      if (flush?.kind !== "flush") throw malformed("Advertisement prelude is not followed by a flush-pkt");
      first = await reader.read();
    }
  } catch (error) {
    // Whatever the first bytes are, they are not a git advertisement.
    throw error instanceof ArtifactsError ? error : invalidUrl(error);
  }
  if (first === null) throw invalidUrl(new Error("Advertisement is empty"));
  if (first.kind === "flush") return { protocol: "v0", base, capabilities: new Map(), refs: [], head: { target: null, id: null }, shallow: [] };
  if (first.kind !== "data") throw invalidUrl(new Error(`Advertisement starts with a ${first.kind}-pkt`));
  const text = pktLineText(first.payload);
  if (text === "version 2") return { protocol: "v2", base, capabilities: await readV2Capabilities(reader) };
  if (text.startsWith("ERR ")) throw upstreamUnavailable(new Error(`Remote reported: ${text.slice(4)}`));
  if (!isObjectId(text.slice(0, 40))) throw invalidUrl(new Error(`Advertisement starts with "${text.slice(0, 60)}"`));
  return readV0Refs(reader, first.payload, base, maxRefs, url);
}

async function readV2Capabilities(reader: PktLineReader): Promise<Map<string, string>> {
  const capabilities = new Map<string, string>();
  for (const payload of (await reader.readSection()).payloads) {
    const line = pktLineText(payload);
    const eq = line.indexOf("=");
    capabilities.set(eq === -1 ? line : line.slice(0, eq), eq === -1 ? "" : line.slice(eq + 1));
  }
  return capabilities;
}

/** The v0 advertisement from its first line (which carries the capabilities) to the flush-pkt. */
async function readV0Refs(reader: PktLineReader, firstLine: Uint8Array, base: string, maxRefs: number, url: string): Promise<V0Discovery> {
  const nul = firstLine.indexOf(0);
  const capabilities = parseV0Capabilities(nul === -1 ? "" : pktLineText(firstLine.subarray(nul + 1)));
  const list = new RefList(maxRefs, url);
  const shallow: ObjectId[] = [];
  let headId: ObjectId | null = null;
  const take = (payload: Uint8Array) => {
    const text = refLineText(payload);
    if (text === null) return; // a ref name that is not UTF-8: not one we can store
    if (text.startsWith("shallow ")) {
      const id = text.slice(8);
      if (!isObjectId(id)) throw malformed(`Invalid shallow line "${text.slice(0, 120)}"`);
      shallow.push(id);
      return;
    }
    const { id, rest } = splitRefLine(text);
    if (rest === "HEAD") headId = id;
    else if (id !== ZERO_ID) list.add(rest, id);
  };
  take(nul === -1 ? firstLine : firstLine.subarray(0, nul));
  // Frame by frame, not readSection(): a big host may advertise many refs an import skips (refs/pull/*).
  for (;;) {
    const frame = await reader.read();
    if (frame === null) throw malformed("Advertisement ended before its flush-pkt");
    if (frame.kind === "flush") break;
    if (frame.kind !== "data") throw malformed(`Advertisement has an unexpected ${frame.kind}-pkt`);
    take(frame.payload);
  }
  const symref = capabilities.get("symref");
  const head: RemoteHead = { target: symref?.startsWith("HEAD:") ? symref.slice(5) : null, id: headId };
  return { protocol: "v0", base, capabilities, refs: list.refs, head, shallow };
}

/** Space-separated capabilities; of the repeatable `symref=` only the one for HEAD is kept. */
function parseV0Capabilities(text: string): Map<string, string> {
  const capabilities = new Map<string, string>();
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const eq = word.indexOf("=");
    const name = eq === -1 ? word : word.slice(0, eq);
    const value = eq === -1 ? "" : word.slice(eq + 1);
    if (name === "symref" && !value.startsWith("HEAD:")) continue;
    if (!capabilities.has(name)) capabilities.set(name, value);
  }
  return capabilities;
}

/** A ref line as text without its "\n", or null when it is not valid UTF-8. */
export function refLineText(payload: Uint8Array): string | null {
  const end = payload.length > 0 && payload[payload.length - 1] === 0x0a ? payload.length - 1 : payload.length;
  try {
    return utf8DecodeStrict(payload.subarray(0, end));
  } catch {
    return null;
  }
}
