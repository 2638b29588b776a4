/**
 * @module repo/capabilities
 * What we advertise, per service and protocol version (gitprotocol-capabilities, gitprotocol-v2),
 * and parsing of what a client asks for. We advertise only what we implement: a client must not
 * use an unadvertised capability and we refuse one it does use.
 */
import { ProtocolError } from "../errors.ts";

export const AGENT = "reposit/0.1.0";

/** upload-pack v0/v1 features without values, in git's own order (upload-pack.c write_v0_ref). */
const UPLOAD_PACK_V0_FEATURES = [
  "multi_ack",
  "thin-pack",
  "side-band",
  "side-band-64k",
  "ofs-delta",
  "shallow",
  "deepen-since",
  "deepen-not",
  "deepen-relative",
  "no-progress",
  "include-tag",
  "multi_ack_detailed",
  "allow-tip-sha1-in-want",
  "allow-reachable-sha1-in-want",
  "no-done",
];

/** Capabilities a client may send back whatever the service: identification only. */
const ALWAYS_REQUESTABLE = ["object-format", "agent", "session-id"];

/** upload-pack v0/v1 capabilities: the features, then symref, filter, object-format and agent. */
export function uploadPackV0Capabilities(head: string | null): string {
  const caps = [...UPLOAD_PACK_V0_FEATURES];
  if (head) caps.push(`symref=HEAD:${head}`);
  caps.push("filter", "object-format=sha1", `agent=${AGENT}`);
  return caps.join(" ");
}

/** Capabilities a v0 upload-pack client may request (anything else is refused). */
export const UPLOAD_PACK_V0_REQUESTABLE: ReadonlySet<string> = new Set([...UPLOAD_PACK_V0_FEATURES, "filter", ...ALWAYS_REQUESTABLE]);

/** Protocol v2 capability advertisement lines (gitprotocol-v2 "Capability Advertisement"). */
export function uploadPackV2Capabilities(): string[] {
  return [
    "version 2",
    `agent=${AGENT}`,
    "ls-refs=unborn",
    "fetch=shallow wait-for-done filter",
    "server-option",
    "object-format=sha1",
  ];
}

/** receive-pack features (builtin/receive-pack.c show_ref; no push-cert: we do not verify GPG). */
const RECEIVE_PACK_FEATURES = [
  "report-status",
  "report-status-v2",
  "delete-refs",
  "side-band-64k",
  "quiet",
  "atomic",
  "ofs-delta",
  "push-options",
];

/** receive-pack capabilities: the features, then object-format and agent. */
export function receivePackCapabilities(): string {
  return [...RECEIVE_PACK_FEATURES, "object-format=sha1", `agent=${AGENT}`].join(" ");
}

/** Capabilities a receive-pack client may request (anything else is refused). */
export const RECEIVE_PACK_REQUESTABLE: ReadonlySet<string> = new Set([...RECEIVE_PACK_FEATURES, ...ALWAYS_REQUESTABLE]);

/** Parses a space-separated capability list into name → value ("" when the capability has no value). */
export function parseCapabilities(text: string, allowed: ReadonlySet<string>, service: string): Map<string, string> {
  const caps = new Map<string, string>();
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const eq = word.indexOf("=");
    const name = eq === -1 ? word : word.slice(0, eq);
    if (!allowed.has(name)) {
      throw new ProtocolError("ERR_CAPABILITY", `${service}: client requested capability "${name}", which the server did not advertise`);
    }
    caps.set(name, eq === -1 ? "" : word.slice(eq + 1));
  }
  const format = caps.get("object-format");
  if (format !== undefined && format !== "sha1") {
    throw new ProtocolError("ERR_CAPABILITY", `${service}: object-format "${format}" is not supported; this server uses sha1`);
  }
  return caps;
}
