/**
 * @module pkt-line
 * The pkt-line framing of every git protocol message (gitprotocol-common "pkt-line Format"; the
 * special packets of gitprotocol-v2 "Packet-Line Framing"). A frame is a 4-digit hex length that
 * counts itself, then `length - 4` payload bytes: "0006a\n" carries "a\n". Lengths 0000 (flush-pkt),
 * 0001 (delim-pkt) and 0002 (response-end-pkt) carry no payload; 0003 is invalid. No frame may be
 * longer than 65520 bytes (git's LARGE_PACKET_MAX), so a payload holds at most 65516 bytes.
 */

import { LimitError, ProtocolError } from "../errors.ts";
import { ByteQueue, hexValue, quoteBytes, utf8ByteLength, utf8Decode, utf8Encode } from "../util/bytes.ts";
import { openChunkSource, type ByteSource, type ChunkSource } from "../util/streams.ts";

/** Longest frame git sends or accepts, counting the 4-byte length (LARGE_PACKET_MAX). */
export const LARGE_PACKET_MAX = 65520;

/** Longest payload of one frame (LARGE_PACKET_DATA_MAX). */
export const LARGE_PACKET_DATA_MAX = LARGE_PACKET_MAX - 4;

/** A frame that carries bytes (possibly none: "0004" is legal, though git never sends it). */
export interface PktDataFrame {
  kind: "data";
  payload: Uint8Array;
}

/** The payload-less frames: 0000 ends a message or section, 0001 separates v2 sections, 0002 ends a v2 response. */
export type PktBoundary = "flush" | "delim" | "response-end";

/** One decoded frame. */
export type PktFrame = PktDataFrame | { kind: PktBoundary };

/** The flush-pkt "0000". */
export const FLUSH_PKT: Uint8Array = utf8Encode("0000");
/** The delim-pkt "0001" (protocol v2). */
export const DELIM_PKT: Uint8Array = utf8Encode("0001");
/** The response-end-pkt "0002" (protocol v2; never sent over HTTP, where remote-curl rejects it). */
export const RESPONSE_END_PKT: Uint8Array = utf8Encode("0002");

// The reader returns these shared objects instead of allocating one per boundary frame.
const BOUNDARY_FRAMES: readonly PktFrame[] = [
  Object.freeze({ kind: "flush" as const }),
  Object.freeze({ kind: "delim" as const }),
  Object.freeze({ kind: "response-end" as const }),
];

const HEX = utf8Encode("0123456789abcdef");
// encodeInto reports how much of a string fit, which the ASCII-sized first pass relies on.
const utf8Encoder = new TextEncoder();

/** Writes `length` as 4 lowercase hex digits at `offset` (git writes lowercase). */
export function writePktLength(target: Uint8Array, offset: number, length: number): void {
  target[offset] = HEX[(length >>> 12) & 15]!;
  target[offset + 1] = HEX[(length >>> 8) & 15]!;
  target[offset + 2] = HEX[(length >>> 4) & 15]!;
  target[offset + 3] = HEX[length & 15]!;
}

/** One element of `encodePktLines`: a payload (string = UTF-8) or a boundary frame. */
export type PktLineInput = string | Uint8Array | PktBoundary;

/**
 * Encodes one data frame; a string payload is UTF-8. Throws RangeError beyond 65516 payload bytes.
 * Example: `encodePktLine("want " + oid + "\n")`.
 */
export function encodePktLine(payload: Uint8Array | string): Uint8Array {
  return encodePktLines([payload]);
}

/**
 * Encodes a whole small message (an advertisement, a report) into one allocation. The strings
 * "flush", "delim" and "response-end" stand for those frames; to send such a word as data, pass
 * bytes (text lines normally end in "\n" anyway).
 * Example: `encodePktLines(["# service=git-upload-pack\n", "flush", line1, "flush"])`.
 */
export function encodePktLines(lines: readonly PktLineInput[]): Uint8Array {
  // Size the buffer as if every string were ASCII (exact in practice), so no length scan is needed;
  // the first non-ASCII line that does not fit triggers one exact re-size for the rest.
  let out = new Uint8Array(capacityFrom(lines, 0, false));
  let exact = false;
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const end = tryWriteFrame(out, offset, lines[i]!, exact);
    if (end >= 0) {
      offset = end;
      continue;
    }
    const grown = new Uint8Array(offset + capacityFrom(lines, i, true));
    grown.set(out.subarray(0, offset));
    out = grown;
    exact = true;
    offset = tryWriteFrame(out, offset, lines[i]!, exact);
  }
  return out;
}

function boundaryCode(line: PktLineInput): number {
  if (line === "flush") return 0;
  if (line === "delim") return 1;
  if (line === "response-end") return 2;
  return -1;
}

/** Bytes needed for lines[from...]; strings count UTF-16 units unless `exact`. */
function capacityFrom(lines: readonly PktLineInput[], from: number, exact: boolean): number {
  let total = 0;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (boundaryCode(line) >= 0) total += 4;
    else total += 4 + (exact && typeof line === "string" ? utf8ByteLength(line) : line.length);
  }
  return total;
}

/** Writes one frame at `offset`; returns its end, or -1 when `out` is ASCII-sized and the string is not ASCII. */
function tryWriteFrame(out: Uint8Array, offset: number, line: PktLineInput, exact: boolean): number {
  const code = boundaryCode(line);
  if (code >= 0) {
    writePktLength(out, offset, code);
    return offset + 4;
  }
  const start = offset + 4;
  let length = line.length;
  if (length > LARGE_PACKET_DATA_MAX) throw payloadTooLong(line);
  if (typeof line !== "string") out.set(line, start);
  else {
    const result = utf8Encoder.encodeInto(line, out.subarray(start));
    // Not all encoded, or more bytes than UTF-16 units, means not ASCII: in an ASCII-sized buffer
    // the line did not fit or took the room of later lines, so the caller re-sizes exactly.
    if (!exact && (result.read !== line.length || result.written !== line.length)) return -1;
    length = result.written;
    if (length > LARGE_PACKET_DATA_MAX) throw payloadTooLong(line);
  }
  writePktLength(out, offset, length + 4);
  return start + length;
}

function payloadTooLong(line: Uint8Array | string): RangeError {
  const length = typeof line === "string" ? utf8ByteLength(line) : line.length;
  return new RangeError(`Cannot encode pkt-line: payload of ${length} bytes exceeds the maximum of ${LARGE_PACKET_DATA_MAX}`);
}

/** The payload as text: UTF-8 decoded (invalid bytes become U+FFFD) with one trailing "\n" removed. */
export function pktLineText(payload: Uint8Array): string {
  const end = payload.length > 0 && payload[payload.length - 1] === 0x0a ? payload.length - 1 : payload.length;
  return utf8Decode(end === payload.length ? payload : payload.subarray(0, end));
}

/** Options of a PktLineReader. */
export interface PktLineReaderOptions {
  /**
   * Longest frame accepted, counting the 4-byte length (Limits.maxPktLine; default 65520). A longer
   * frame is a LimitError; one beyond 65520 is always a ProtocolError, whatever this says.
   */
  maxPktLine?: number;
}

/** The frames up to a boundary, as read by `PktLineReader.readSection`. */
export interface PktSection {
  payloads: Uint8Array[];
  end: PktBoundary;
}

/**
 * Decodes frames from a byte stream, however it is chunked. Payloads are views into the input
 * chunks when a frame lies in one chunk (no copy); only frames that span chunks are copied.
 * Example: `const r = new PktLineReader(body, limits); for (let f; (f = await r.read()); ) ...`
 */
export class PktLineReader {
  readonly #queue = new ByteQueue();
  readonly #source: ChunkSource;
  readonly #maxPktLine: number;
  #framesRead = 0;
  #inputEnded = false;
  #handedOver = false;

  constructor(source: ByteSource, options: PktLineReaderOptions = {}) {
    this.#source = openChunkSource(source);
    this.#maxPktLine = options.maxPktLine ?? LARGE_PACKET_MAX;
  }

  /** How many frames have been decoded so far (the index of the next frame, from 0). */
  get framesRead(): number {
    return this.#framesRead;
  }

  /** The next frame, or null when the input ended cleanly at a frame boundary. Throws ProtocolError/LimitError. */
  async read(): Promise<PktFrame | null> {
    for (;;) {
      const frame = this.tryRead();
      if (frame !== undefined) return frame;
      if (this.#inputEnded) return this.#endOfInput();
      const chunk = await this.#source.next();
      if (chunk === null) this.#inputEnded = true;
      else this.#queue.push(chunk);
    }
  }

  /**
   * The next frame if it is already buffered, else undefined (no await: hot loops can write
   * `reader.tryRead() ?? (await reader.read())`). Throws on a malformed length prefix.
   */
  tryRead(): PktFrame | undefined {
    this.#checkNotHandedOver();
    const queue = this.#queue;
    if (queue.length < 4) return undefined;
    const length = this.#parseLength();
    if (length < 4) {
      queue.skip(4);
      this.#framesRead++;
      return BOUNDARY_FRAMES[length]!;
    }
    if (queue.length < length) return undefined;
    queue.skip(4);
    this.#framesRead++;
    return { kind: "data", payload: queue.take(length - 4) };
  }

  /**
   * Reads data frames up to the next boundary frame. Throws ProtocolError when the input ends first.
   * Example: v2 `command=fetch` → `readSection()` (capabilities, ends "delim") then `readSection()` (args, ends "flush").
   */
  async readSection(): Promise<PktSection> {
    const payloads: Uint8Array[] = [];
    for (;;) {
      const frame = this.tryRead() ?? (await this.read());
      if (frame === null) {
        throw this.#error("input ended before a flush-pkt or delim-pkt closed the section");
      }
      if (frame.kind !== "data") return { payloads, end: frame.kind };
      payloads.push(frame.payload);
    }
  }

  /**
   * Hands over everything after the frames read so far (buffered bytes first, then the rest of the
   * source), e.g. the pack after a push's commands. The reader cannot be used afterwards.
   * Stopping the returned iteration early cancels the source.
   */
  rest(): AsyncIterable<Uint8Array> {
    this.#checkNotHandedOver();
    this.#handedOver = true;
    return remainder(this.#queue.drain(), this.#inputEnded ? null : this.#source);
  }

  /** Stops reading and cancels the source (e.g. after a protocol error). */
  async cancel(reason?: unknown): Promise<void> {
    this.#inputEnded = true;
    await this.#source.cancel(reason);
  }

  #parseLength(): number {
    const queue = this.#queue;
    const d0 = hexValue(queue.byteAt(0));
    const d1 = hexValue(queue.byteAt(1));
    const d2 = hexValue(queue.byteAt(2));
    const d3 = hexValue(queue.byteAt(3));
    if ((d0 | d1 | d2 | d3) < 0) {
      throw this.#error(`length prefix ${quoteBytes(queue.peek(4))} is not hexadecimal`);
    }
    const length = (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
    if (length === 3) {
      throw this.#error(`length prefix "0003" is invalid: expected 0000, 0001, 0002 or a length of at least 4`);
    }
    if (length > LARGE_PACKET_MAX) {
      throw this.#error(`length ${length} exceeds the maximum of ${LARGE_PACKET_MAX} bytes`);
    }
    if (length > this.#maxPktLine) {
      throw new LimitError(
        "maxPktLine",
        `Pkt-line of ${length} bytes exceeds the limit maxPktLine of ${this.#maxPktLine} bytes (frame ${this.#framesRead})`,
      );
    }
    return length;
  }

  #endOfInput(): null {
    const have = this.#queue.length;
    if (have === 0) return null;
    if (have < 4) throw this.#error(`input ended after ${have} of 4 bytes of the length prefix`);
    throw this.#error(`input ended after ${have} of ${this.#parseLength()} bytes`);
  }

  #error(detail: string): ProtocolError {
    return new ProtocolError("ERR_PKT_LINE", `Cannot decode pkt-line: ${detail} (frame ${this.#framesRead})`);
  }

  #checkNotHandedOver(): void {
    if (this.#handedOver) throw new Error("PktLineReader was used after rest() handed its input over");
  }
}

async function* remainder(buffered: Uint8Array[], source: ChunkSource | null): AsyncGenerator<Uint8Array, void, undefined> {
  let finished = source === null;
  try {
    yield* buffered;
    if (source === null) return;
    for (let chunk = await source.next(); chunk !== null; chunk = await source.next()) yield chunk;
    finished = true;
  } finally {
    if (!finished) await source!.cancel();
  }
}
