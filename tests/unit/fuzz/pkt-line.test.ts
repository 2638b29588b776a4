/**
 * Fuzzing PktLineReader (gitprotocol-common "pkt-line Format"): arbitrary bytes, token streams of
 * valid and broken length prefixes, and mutations of real encodings, each split into random chunks
 * and read from an async iterable or a ReadableStream. The oracle is a plain reference decoder
 * written here from the format description: the reader must give the same frames and fail (with a
 * ProtocolError or LimitError, nothing else) exactly where the reference fails, without hanging.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { encodePktLines, LARGE_PACKET_MAX, PktLineReader, pktLineText, type PktFrame, type PktLineInput } from "../../../src/git/pkt-line.ts";
import { utf8Encode } from "../../../src/util/bytes.ts";
import { cuts, fuzzParams, iterate, join, mutations, mutate, type Outcome, settle, splitAt, stalling } from "./fuzz-support.ts";

/** What the reference decoder expects: the frames, then how the input ends. */
interface Expected {
  frames: PktFrame[];
  end: "end" | "protocol" | "limit";
}

const HEX = /^[0-9a-fA-F]{4}$/;
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** The format, read naively from one contiguous buffer. */
function reference(bytes: Uint8Array, maxPktLine: number): Expected {
  const frames: PktFrame[] = [];
  let pos = 0;
  for (;;) {
    if (pos === bytes.length) return { frames, end: "end" };
    if (bytes.length - pos < 4) return { frames, end: "protocol" };
    const prefix = latin1(bytes.subarray(pos, pos + 4));
    if (!HEX.test(prefix)) return { frames, end: "protocol" };
    const length = parseInt(prefix, 16);
    if (length === 3 || length > LARGE_PACKET_MAX) return { frames, end: "protocol" };
    if (length > maxPktLine) return { frames, end: "limit" };
    if (length < 3) {
      frames.push({ kind: (["flush", "delim", "response-end"] as const)[length]! });
      pos += 4;
      continue;
    }
    if (bytes.length - pos < length) return { frames, end: "protocol" };
    frames.push({ kind: "data", payload: bytes.slice(pos + 4, pos + length) });
    pos += length;
  }
}

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

/** Reads every frame; the frames read before a failure are kept. */
async function readAll(bytes: Uint8Array, points: number[], asStream: boolean, maxPktLine: number) {
  const chunks = splitAt(bytes, points);
  const reader = new PktLineReader(asStream ? streamOf(chunks) : iterate(chunks), { maxPktLine });
  const frames: PktFrame[] = [];
  const outcome = await settle("PktLineReader.read", async () => {
    for (let frame = await reader.read(); frame !== null; frame = await reader.read()) {
      frames.push(frame.kind === "data" ? { kind: "data", payload: frame.payload.slice() } : frame);
    }
  });
  return { frames, outcome };
}

function endOf(outcome: Outcome<unknown>): Expected["end"] {
  if (outcome.ok) return "end";
  if (outcome.error instanceof LimitError) return "limit";
  assert.ok(outcome.error instanceof ProtocolError, `unexpected ${outcome.error.name}`);
  assert.equal(outcome.error.code, "ERR_PKT_LINE");
  return "protocol";
}

async function checkAgainstReference(bytes: Uint8Array, points: number[], asStream: boolean, maxPktLine: number): Promise<void> {
  const expected = reference(bytes, maxPktLine);
  const { frames, outcome } = await readAll(bytes, points, asStream, maxPktLine);
  assert.deepEqual(frames, expected.frames);
  assert.equal(endOf(outcome), expected.end);
}

/** Pieces of a pkt-line stream: good frames, boundaries, and every kind of bad length prefix. */
const token: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }).map((p) => encodePktLines([p])) },
  { weight: 2, arbitrary: fc.constantFrom("0000", "0001", "0002", "0003", "0004").map(utf8Encode) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => utf8Encode(n.toString(16).padStart(4, "0"))) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => utf8Encode(n.toString(16).toUpperCase().padStart(4, "0"))) },
  { weight: 1, arbitrary: fc.constantFrom("fff0", "fff1", "FFFF", "00zz", "-001", " 004", "0x04", "+004").map(utf8Encode) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }) },
);

const maxPktLine = fc.constantFrom(4, 5, 16, 100, 1000, LARGE_PACKET_MAX, 70000);

const lineInput: fc.Arbitrary<PktLineInput> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.uint8Array({ maxLength: 60 }),
  fc.constantFrom<PktLineInput>("flush", "delim", "response-end"),
);

describe("fuzz: PktLineReader", () => {
  it("reads arbitrary bytes like the reference decoder, in any chunking (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), cuts, fc.boolean(), maxPktLine, async (bytes, points, asStream, max) => {
        await checkAgainstReference(bytes, points, asStream, max);
      }),
      fuzzParams(300),
    );
  });

  it("reads streams of good and bad length prefixes like the reference decoder (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 16 }), cuts, fc.boolean(), maxPktLine, async (tokens, points, asStream, max) => {
        await checkAgainstReference(join(...tokens), points, asStream, max);
      }),
      fuzzParams(400),
    );
  });

  it("reads mutated encodings like the reference decoder (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineInput, { minLength: 1, maxLength: 12 }),
        mutations(4, 8),
        cuts,
        fc.boolean(),
        maxPktLine,
        async (lines, edits, points, asStream, max) => {
          await checkAgainstReference(mutate(encodePktLines(lines), edits), points, asStream, max);
        },
      ),
      fuzzParams(400),
    );
  });

  it("round-trips encodePktLines through the reader, frames and sections (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineInput, { maxLength: 16 }), cuts, fc.boolean(), async (lines, points, asStream) => {
        const bytes = encodePktLines(lines);
        const { frames, outcome } = await readAll(bytes, points, asStream, LARGE_PACKET_MAX);
        assert.ok(outcome.ok);
        const expected = lines.map((line): PktFrame =>
          line === "flush" || line === "delim" || line === "response-end"
            ? { kind: line }
            : { kind: "data", payload: typeof line === "string" ? utf8Encode(line) : line }
        );
        assert.deepEqual(frames, expected);
        // readSection groups the same frames by boundary; data after the last boundary is an error.
        const reader = new PktLineReader(iterate(splitAt(bytes, points)));
        let at = 0;
        for (;;) {
          const next = expected.findIndex((f, i) => i >= at && f.kind !== "data");
          const section = await settle("readSection", () => reader.readSection());
          if (next < 0) {
            if (at < expected.length) assert.ok(!section.ok && section.error.code === "ERR_PKT_LINE");
            break;
          }
          assert.ok(section.ok);
          assert.deepEqual(section.value.payloads, expected.slice(at, next).map((f) => (f as { payload: Uint8Array }).payload));
          assert.equal(section.value.end, expected[next]!.kind);
          at = next + 1;
        }
      }),
      fuzzParams(300),
    );
  });

  it("hands over exactly the bytes after the frames read with rest() (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineInput, { maxLength: 8 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        cuts,
        async (lines, tail, take, points) => {
          const head = encodePktLines(lines);
          const reader = new PktLineReader(iterate(splitAt(join(head, tail), points)));
          const count = lines.length === 0 ? 0 : take % (lines.length + 1);
          for (let i = 0; i < count; i++) assert.notEqual(await reader.read(), null);
          const parts: Uint8Array[] = [];
          const outcome = await settle("rest", async () => {
            for await (const part of reader.rest()) parts.push(part.slice());
          });
          assert.ok(outcome.ok);
          const consumed = encodePktLines(lines.slice(0, count)).length;
          assert.deepEqual(join(...parts), join(head, tail).subarray(consumed));
        },
      ),
      fuzzParams(200),
    );
  });

  it("never throws from pktLineText (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (payload) => {
        const text = pktLineText(payload);
        assert.equal(typeof text, "string");
      }),
      fuzzParams(300),
    );
  });

  it("fails a truncated frame from a stalled source only after input ends, and never waits once it ended", async () => {
    // A stalled source cannot be told apart from a slow one: the reader must wait (the caller's
    // request timeout ends it), but a closed one must not.
    const stalled = new PktLineReader(stalling([utf8Encode("0009ab")]));
    const pending = stalled.read();
    const raced = await Promise.race([pending.then(() => "settled", () => "settled"), new Promise((r) => setTimeout(() => r("waiting"), 50))]);
    assert.equal(raced, "waiting");
    const closed = new PktLineReader(iterate([utf8Encode("0009ab")]));
    const outcome = await settle("read", () => closed.read());
    assert.ok(!outcome.ok && outcome.error.message.includes("input ended after 6 of 9 bytes"));
  });
});
