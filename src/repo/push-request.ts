/**
 * @module repo/push-request
 * Decodes the command part of a receive-pack request (gitprotocol-pack "Reference Update Request
 * and Packfile Transfer"): optional `shallow <id>` lines, then `<old> <new> <ref>` commands with
 * the capability list after a NUL on the first, a flush, then — when push-options was negotiated —
 * option lines and another flush. What follows is the pack (absent for delete-only pushes).
 */
import { LimitError, ProtocolError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { isObjectId, ZERO_ID, type ObjectId } from "../git/object-id.ts";
import { pktLineText, type PktLineReader } from "../git/pkt-line.ts";
import { parseCapabilities, RECEIVE_PACK_REQUESTABLE } from "./capabilities.ts";

export interface PushCommand {
  readonly oldId: ObjectId;
  readonly newId: ObjectId;
  readonly name: string;
}

export interface PushRequest {
  readonly commands: PushCommand[];
  readonly capabilities: Map<string, string>;
  readonly shallow: ObjectId[];
  readonly options: string[];
}

/** Returns null for an empty request (git's 4-byte "0000" probe before a large push). */
export async function decodePushRequest(reader: PktLineReader, limits: Limits): Promise<PushRequest | null> {
  const commands: PushCommand[] = [];
  const shallow: ObjectId[] = [];
  let capabilities: Map<string, string> | null = null;
  for (;;) {
    const frame = await reader.read();
    if (frame === null) {
      if (commands.length === 0 && shallow.length === 0) return null;
      throw new ProtocolError("ERR_REQUEST", "Push request ended before the flush after the commands");
    }
    if (frame.kind === "flush") break;
    if (frame.kind !== "data") throw new ProtocolError("ERR_REQUEST", `Unexpected ${frame.kind} packet in push commands`);
    let line = pktLineText(frame.payload);
    if (line.startsWith("shallow ")) {
      const id = line.slice(8);
      if (!isObjectId(id)) throw new ProtocolError("ERR_REQUEST", `Invalid shallow line "${line}"`);
      shallow.push(id);
      // Bounded like a fetch's shallow lines: nothing else stops a body of them short of maxPushBytes.
      if (shallow.length > limits.maxWants) throw new LimitError("maxWants", `Too many shallow lines: more than ${limits.maxWants}`);
      continue;
    }
    if (capabilities === null) {
      const nul = line.indexOf("\0");
      capabilities = parseCapabilities(nul === -1 ? "" : line.slice(nul + 1), RECEIVE_PACK_REQUESTABLE, "receive-pack");
      if (nul !== -1) line = line.slice(0, nul);
    }
    commands.push(decodeCommand(line));
    if (commands.length > limits.maxRefUpdates) throw new LimitError("maxRefUpdates", `Push updates more than ${limits.maxRefUpdates} refs`);
  }
  if (commands.length === 0) return null;
  const options: string[] = [];
  if (capabilities?.has("push-options")) {
    for (;;) {
      const frame = await reader.read();
      if (frame === null) throw new ProtocolError("ERR_REQUEST", "Push request ended inside the push options");
      if (frame.kind === "flush") break;
      if (frame.kind !== "data") throw new ProtocolError("ERR_REQUEST", `Unexpected ${frame.kind} packet in push options`);
      options.push(pktLineText(frame.payload));
      if (options.length > 1000) throw new LimitError("maxRefUpdates", "Push sends more than 1000 push options");
    }
  }
  return { commands, capabilities: capabilities ?? new Map(), shallow, options };
}

function decodeCommand(line: string): PushCommand {
  const oldId = line.slice(0, 40);
  const newId = line.slice(41, 81);
  const name = line.slice(82);
  if (!isObjectId(oldId) || !isObjectId(newId) || line[40] !== " " || line[81] !== " " || name === "") {
    throw new ProtocolError("ERR_REQUEST", `Invalid push command "${line}": expected "<old-id> <new-id> <ref>"`);
  }
  return { oldId, newId, name };
}

export function isDelete(command: PushCommand): boolean {
  return command.newId === ZERO_ID;
}
