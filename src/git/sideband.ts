/**
 * @module sideband
 * Side-band multiplexing (gitprotocol-pack "Packfile Data", capabilities side-band and side-band-64k;
 * gitprotocol-v2 "packfile" section): each pkt-line payload starts with a band byte, 1 = pack data,
 * 2 = progress text for the user, 3 = fatal error text. A frame is at most 1000 bytes with
 * side-band and 65520 with side-band-64k and v2, counting the 4-byte length and the band byte,
 * so it carries 995 or 65515 data bytes. The stream ends with a flush-pkt (written by the caller).
 */

import { ProtocolError } from "../errors.ts";
import { utf8Encode } from "../util/bytes.ts";
import { writePktLength, type PktLineReader } from "./pkt-line.ts";

/** Frame size limit of side-band-64k and protocol v2 (LARGE_PACKET_MAX). */
export const SIDEBAND_64K_MAX = 65520;

/** Frame size limit of the original side-band capability. */
export const SIDEBAND_MAX = 1000;

/** 1 = pack data, 2 = progress, 3 = fatal error. */
export type SidebandBand = 1 | 2 | 3;

/** One demultiplexed side-band payload. */
export interface SidebandPacket {
  band: SidebandBand;
  data: Uint8Array;
}

const HEADER = 5; // 4-byte pkt-line length + band byte

function checkMaxPacket(maxPacket: number): void {
  if (!Number.isInteger(maxPacket) || maxPacket <= HEADER || maxPacket > SIDEBAND_64K_MAX) {
    throw new RangeError(`Invalid side-band frame size ${maxPacket}: expected an integer from ${HEADER + 1} to ${SIDEBAND_64K_MAX}`);
  }
}

/** Writes a band-`band` frame header for `dataLength` bytes at `offset`. */
function writeHeader(target: Uint8Array, offset: number, band: SidebandBand, dataLength: number): void {
  writePktLength(target, offset, dataLength + HEADER);
  target[offset + 4] = band;
}

/** Frames `data` on `band` into one buffer of back-to-back frames; `starts` receives each frame's offset. */
function encodeFrames(band: SidebandBand, data: Uint8Array, maxPacket: number, starts?: number[]): Uint8Array {
  checkMaxPacket(maxPacket);
  const room = maxPacket - HEADER;
  const frames = Math.ceil(data.length / room);
  const out = new Uint8Array(data.length + frames * HEADER);
  let at = 0;
  for (let from = 0; from < data.length; from += room) {
    const part = data.subarray(from, Math.min(from + room, data.length));
    starts?.push(at);
    writeHeader(out, at, band, part.length);
    out.set(part, at + HEADER);
    at += HEADER + part.length;
  }
  return out;
}

/**
 * Splits `data` into side-band frames of at most `maxPacket` bytes each (views into one allocation).
 * Empty data gives no frames. Example: `encodeSideband(1, packBytes, SIDEBAND_64K_MAX)`.
 */
export function encodeSideband(band: SidebandBand, data: Uint8Array, maxPacket: number = SIDEBAND_64K_MAX): Uint8Array[] {
  const starts: number[] = [];
  const out = encodeFrames(band, data, maxPacket, starts);
  return starts.map((start, i) => out.subarray(start, i + 1 < starts.length ? starts[i + 1] : out.length));
}

/** Progress text on band 2 as ready-to-send bytes (all frames in one array). Example: `sidebandProgress("Counting objects: 3, done.\n")`. */
export function sidebandProgress(text: string, maxPacket: number = SIDEBAND_64K_MAX): Uint8Array {
  return encodeFrames(2, utf8Encode(text), maxPacket);
}

/** A fatal error on band 3 as ready-to-send bytes; the client prints it and stops. */
export function sidebandError(text: string, maxPacket: number = SIDEBAND_64K_MAX): Uint8Array {
  return encodeFrames(3, utf8Encode(text), maxPacket);
}

/**
 * Streams band-1 data as full-size frames: many small `writeData` calls (pack entries) go out as
 * few frames of `maxPacket` bytes, each byte copied once into its frame. `emit` receives each
 * finished chunk and owns it (a fresh buffer per frame), e.g. `controller.enqueue`; watch
 * `controller.desiredSize` between writes for backpressure. Progress and error frames are sent at
 * once and may overtake buffered data: the client reads each band as its own stream.
 */
export class SidebandWriter {
  readonly #maxPacket: number;
  readonly #emit: (chunk: Uint8Array) => void;
  #frame: Uint8Array | null = null;
  #fill = HEADER;
  #ended = false;

  constructor(maxPacket: number, emit: (chunk: Uint8Array) => void) {
    checkMaxPacket(maxPacket);
    this.#maxPacket = maxPacket;
    this.#emit = emit;
  }

  /** Band-1 bytes waiting for a full frame. */
  get buffered(): number {
    return this.#frame === null ? 0 : this.#fill - HEADER;
  }

  /** Queues pack bytes on band 1, emitting every frame that fills up. `data` is copied, not kept. */
  writeData(data: Uint8Array): void {
    this.#checkOpen();
    let from = 0;
    while (from < data.length) {
      this.#frame ??= new Uint8Array(this.#maxPacket);
      const count = Math.min(this.#maxPacket - this.#fill, data.length - from);
      this.#frame.set(data.subarray(from, from + count), this.#fill);
      this.#fill += count;
      from += count;
      if (this.#fill === this.#maxPacket) this.flush();
    }
  }

  /** Sends progress text on band 2 now. */
  progress(text: string): void {
    this.#checkOpen();
    const bytes = utf8Encode(text);
    if (bytes.length > 0) this.#emit(encodeFrames(2, bytes, this.#maxPacket));
  }

  /** Sends buffered data, then a fatal error on band 3, and ends the writer. */
  error(text: string): void {
    this.end();
    this.#emit(encodeFrames(3, utf8Encode(text), this.#maxPacket));
  }

  /** Emits the partly filled data frame, if any. */
  flush(): void {
    const frame = this.#frame;
    if (frame === null || this.#fill === HEADER) return;
    writeHeader(frame, 0, 1, this.#fill - HEADER);
    this.#emit(this.#fill === frame.length ? frame : frame.subarray(0, this.#fill));
    this.#frame = null;
    this.#fill = HEADER;
  }

  /** Flushes buffered data; no more writes are accepted. The caller writes the final flush-pkt. */
  end(): void {
    if (this.#ended) return;
    this.flush();
    this.#ended = true;
  }

  #checkOpen(): void {
    if (this.#ended) throw new Error("SidebandWriter was written to after end()");
  }
}

/**
 * Reads side-band frames until the flush-pkt that ends them (client side: fetch responses, push
 * reports). Throws ProtocolError on a frame without a valid band byte, on a delim or response-end
 * inside the stream, and when the input ends before the flush-pkt.
 */
export async function* demuxSideband(reader: PktLineReader): AsyncGenerator<SidebandPacket, void, undefined> {
  for (;;) {
    const index = reader.framesRead;
    const frame = reader.tryRead() ?? (await reader.read());
    if (frame === null) throw demuxError(`input ended before the flush-pkt that ends the side-band stream`, index);
    if (frame.kind === "flush") return;
    if (frame.kind !== "data") throw demuxError(`unexpected ${frame.kind}-pkt: expected data frames or a flush-pkt`, index);
    const band = frame.payload[0];
    if (band === undefined) throw demuxError(`empty frame: expected a band byte`, index);
    if (band !== 1 && band !== 2 && band !== 3) throw demuxError(`band ${band} is invalid: expected 1, 2 or 3`, index);
    yield { band, data: frame.payload.subarray(1) };
  }
}

function demuxError(detail: string, index: number): ProtocolError {
  return new ProtocolError("ERR_PKT_LINE", `Cannot decode side-band: ${detail} (frame ${index})`);
}
