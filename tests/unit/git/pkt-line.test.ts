import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import {
  DELIM_PKT,
  FLUSH_PKT,
  LARGE_PACKET_DATA_MAX,
  LARGE_PACKET_MAX,
  PktLineReader,
  RESPONSE_END_PKT,
  encodePktLine,
  encodePktLines,
  pktLineText,
  type PktFrame,
  type PktLineInput,
} from "../../../src/git/pkt-line.ts";
import { concatBytes, utf8Decode, utf8Encode } from "../../../src/util/bytes.ts";

const text = (bytes: Uint8Array) => utf8Decode(bytes);

/** Splits `data` at the given cut points (sorted, duplicates give empty chunks). */
function chunk(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(data.slice(from, p));
    from = p;
  }
  out.push(data.slice(from));
  return out;
}

async function* iterate(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

async function readFrames(reader: PktLineReader): Promise<PktFrame[]> {
  const frames: PktFrame[] = [];
  for (let f = await reader.read(); f !== null; f = await reader.read()) frames.push(f);
  return frames;
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  return concatBytes(parts);
}

function frameOf(input: PktLineInput): PktFrame {
  if (input === "flush" || input === "delim" || input === "response-end") return { kind: input };
  return { kind: "data", payload: typeof input === "string" ? utf8Encode(input) : input };
}

async function rejectsWith(promise: Promise<unknown>, type: typeof ProtocolError | typeof LimitError, message: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal(error.message, message);
    if (error instanceof ProtocolError) assert.equal(error.code, "ERR_PKT_LINE");
    return true;
  });
}

describe("pkt-line encoding", () => {
  it("encodes the examples of gitprotocol-common", () => {
    assert.equal(text(encodePktLine("a\n")), "0006a\n");
    assert.equal(text(encodePktLine("a")), "0005a");
    assert.equal(text(encodePktLine("foobar\n")), "000bfoobar\n");
    assert.equal(text(encodePktLine("")), "0004");
    assert.equal(text(FLUSH_PKT), "0000");
    assert.equal(text(DELIM_PKT), "0001");
    assert.equal(text(RESPONSE_END_PKT), "0002");
  });

  it("counts UTF-8 bytes, not characters", () => {
    assert.equal(text(encodePktLine("é€\n")), "000aé€\n");
    assert.deepEqual(encodePktLine(Uint8Array.of(0, 0xff)), Uint8Array.of(0x30, 0x30, 0x30, 0x36, 0, 0xff));
  });

  it("accepts 65516 payload bytes and rejects 65517", () => {
    const max = encodePktLine(new Uint8Array(LARGE_PACKET_DATA_MAX));
    assert.equal(max.length, LARGE_PACKET_MAX);
    assert.equal(text(max.subarray(0, 4)), "fff0");
    assert.throws(() => encodePktLine(new Uint8Array(65517)), {
      name: "RangeError",
      message: "Cannot encode pkt-line: payload of 65517 bytes exceeds the maximum of 65516",
    });
    assert.throws(() => encodePktLine("é".repeat(32759)), RangeError, "65518 UTF-8 bytes from 32759 characters");
  });

  it("builds a whole message in one buffer", () => {
    const out = encodePktLines(["# service=git-upload-pack\n", "flush", "version 2\n", "delim", utf8Encode("x"), "response-end", "flush"]);
    assert.equal(text(out), "001e# service=git-upload-pack\n0000000eversion 2\n00010005x00020000");
    assert.equal(encodePktLines([]).length, 0);
  });

  it("matches a naive encoder for any mix of ASCII, non-ASCII, bytes and boundaries (property)", () => {
    const naive = (line: PktLineInput): Uint8Array => {
      if (line === "flush") return utf8Encode("0000");
      if (line === "delim") return utf8Encode("0001");
      if (line === "response-end") return utf8Encode("0002");
      const payload = typeof line === "string" ? utf8Encode(line) : line;
      return concatBytes([utf8Encode((payload.length + 4).toString(16).padStart(4, "0")), payload]);
    };
    const lineArb: fc.Arbitrary<PktLineInput> = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.uint8Array({ maxLength: 12 }),
      fc.constantFrom<PktLineInput>("flush", "delim", "response-end"),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), (lines) => {
        assert.deepEqual(encodePktLines(lines), concatBytes(lines.map(naive)));
      }),
      { numRuns: 500 },
    );
    assert.equal(text(encodePktLines(["a", "\u{1f600}", "é", "b"])), "0005a0008\u{1f600}0006é0005b");
    // Found by the property above: a non-ASCII line that partly fits the ASCII-sized buffer.
    assert.equal(text(encodePktLines(["\u0800\u{10000}"])), "000b\u0800\u{10000}");
    assert.equal(text(encodePktLines(["\u0080", new Uint8Array(0)])), "0006\u00800004");
  });

  it("decodes text with one trailing newline removed", () => {
    assert.equal(pktLineText(utf8Encode("ACK abc\n")), "ACK abc");
    assert.equal(pktLineText(utf8Encode("NAK")), "NAK");
    assert.equal(pktLineText(utf8Encode("x\n\n")), "x\n");
    assert.equal(pktLineText(new Uint8Array(0)), "");
    assert.equal(pktLineText(Uint8Array.of(0xff, 0x0a)), "\ufffd");
  });
});

const inputArb: fc.Arbitrary<PktLineInput> = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 40 }), weight: 5 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
  fc.constantFrom<PktLineInput>("flush", "delim", "response-end"),
);

describe("PktLineReader", () => {
  it("decodes any frame sequence under any chunking, and rest() yields exactly the trailing bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(inputArb, { maxLength: 25 }),
        fc.uint8Array({ maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        async (inputs, trailing, cuts, asStream) => {
          const encoded = concatBytes([encodePktLines(inputs), trailing]);
          const chunks = chunk(encoded, cuts);
          const reader = new PktLineReader(asStream ? streamOf(chunks) : iterate(chunks));
          const frames: PktFrame[] = [];
          for (let i = 0; i < inputs.length; i++) frames.push((await reader.read())!);
          assert.deepEqual(frames, inputs.map(frameOf));
          assert.equal(reader.framesRead, inputs.length);
          assert.deepEqual(await collect(reader.rest()), trailing);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("returns null exactly at the end of input, repeatedly", async () => {
    const reader = new PktLineReader(iterate([encodePktLines(["a\n", "flush"])]));
    assert.deepEqual(await readFrames(reader), [{ kind: "data", payload: utf8Encode("a\n") }, { kind: "flush" }]);
    assert.equal(await reader.read(), null);
    assert.equal(await new PktLineReader(iterate([])).read(), null);
  });

  it("decodes a max-size frame delivered one byte per chunk", async () => {
    const payload = new Uint8Array(LARGE_PACKET_DATA_MAX).map((_, i) => i * 7);
    const encoded = encodePktLine(payload);
    const chunks = Array.from(encoded, (b) => Uint8Array.of(b));
    const reader = new PktLineReader(iterate(chunks));
    const frame = await reader.read();
    assert.ok(frame?.kind === "data");
    assert.deepEqual(frame.payload, payload);
    assert.equal(await reader.read(), null);
  });

  it("decodes many small frames from one chunk with payload views", async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `have ${String(i).padStart(40, "0")}\n`);
    const encoded = encodePktLines([...lines, "flush"]);
    const reader = new PktLineReader(iterate([encoded]));
    const frames = await readFrames(reader);
    assert.equal(frames.length, 5001);
    const last = frames[4999]!;
    assert.ok(last.kind === "data");
    assert.equal(pktLineText(last.payload), `have ${"4999".padStart(40, "0")}`);
    assert.equal(last.payload.buffer, encoded.buffer, "payload is a view into the input chunk");
  });

  it("tryRead returns only buffered frames", async () => {
    const reader = new PktLineReader(iterate([encodePktLines(["one\n", "two\n"]), encodePktLines(["flush"])]));
    assert.equal(reader.tryRead(), undefined, "nothing buffered before the first read");
    const first = await reader.read();
    assert.ok(first?.kind === "data");
    const second = reader.tryRead();
    assert.ok(second?.kind === "data");
    assert.equal(pktLineText(second.payload), "two");
    assert.equal(reader.tryRead(), undefined);
    assert.deepEqual(await reader.read(), { kind: "flush" });
  });

  it("reads sections up to delim and flush (a v2 command request)", async () => {
    const request = encodePktLines(["command=ls-refs\n", "agent=git/2.39.5\n", "delim", "peel\n", "symrefs\n", "flush"]);
    const reader = new PktLineReader(iterate(chunk(request, [3, 17, 30])));
    const caps = await reader.readSection();
    assert.equal(caps.end, "delim");
    assert.deepEqual(caps.payloads.map(pktLineText), ["command=ls-refs", "agent=git/2.39.5"]);
    const args = await reader.readSection();
    assert.equal(args.end, "flush");
    assert.deepEqual(args.payloads.map(pktLineText), ["peel", "symrefs"]);
    await rejectsWith(reader.readSection(), ProtocolError, "Cannot decode pkt-line: input ended before a flush-pkt or delim-pkt closed the section (frame 6)");
  });

  it("hands over the pack after push commands, from buffer then source, without copying", async () => {
    const commands = encodePktLines([`${"0".repeat(40)} ${"1".repeat(40)} refs/heads/main\0report-status\n`, "flush"]);
    const first = concatBytes([commands, utf8Encode("PACK")]);
    const second = utf8Encode("rest of pack");
    const reader = new PktLineReader(iterate([first, second]));
    assert.equal((await reader.read())?.kind, "data");
    assert.deepEqual(await reader.read(), { kind: "flush" });
    const parts: Uint8Array[] = [];
    for await (const part of reader.rest()) parts.push(part);
    assert.deepEqual(parts.map(text), ["PACK", "rest of pack"]);
    assert.equal(parts[0]!.buffer, first.buffer);
    assert.equal(parts[1], second);
    await assert.rejects(reader.read(), /used after rest\(\)/);
  });

  it("cancels the source when the rest is abandoned early", async () => {
    let returned = false;
    async function* source() {
      try {
        yield encodePktLines(["flush"]);
        yield utf8Encode("a");
        yield utf8Encode("b");
      } finally {
        returned = true;
      }
    }
    const reader = new PktLineReader(source());
    await reader.read();
    for await (const part of reader.rest()) {
      assert.equal(text(part), "a");
      break;
    }
    assert.equal(returned, true);
  });

  describe("rejects malformed input", () => {
    const cases: [string, Uint8Array[], string][] = [
      ["a non-hex length", [utf8Encode("0006a\n00zz")], 'Cannot decode pkt-line: length prefix "00zz" is not hexadecimal (frame 1)'],
      ["binary in the length", [Uint8Array.of(0x30, 0, 0xff, 0x31)], 'Cannot decode pkt-line: length prefix "0\\u0000\u00ff1" is not hexadecimal (frame 0)'],
      ["a sign in the length", [utf8Encode("+004")], 'Cannot decode pkt-line: length prefix "+004" is not hexadecimal (frame 0)'],
      ["length 0003", [utf8Encode("00000003")], 'Cannot decode pkt-line: length prefix "0003" is invalid: expected 0000, 0001, 0002 or a length of at least 4 (frame 1)'],
      ["a length above 65520", [utf8Encode("fff1")], "Cannot decode pkt-line: length 65521 exceeds the maximum of 65520 bytes (frame 0)"],
      ["length ffff", [utf8Encode("0001ffff")], "Cannot decode pkt-line: length 65535 exceeds the maximum of 65520 bytes (frame 1)"],
      ["a truncated frame", [utf8Encode("0000000ahel"), utf8Encode("lo")], "Cannot decode pkt-line: input ended after 9 of 10 bytes (frame 1)"],
      ["a truncated length", [utf8Encode("0004"), utf8Encode("00")], "Cannot decode pkt-line: input ended after 2 of 4 bytes of the length prefix (frame 1)"],
    ];
    for (const [name, chunks, message] of cases) {
      it(name, async () => {
        await rejectsWith(readFrames(new PktLineReader(iterate(chunks))), ProtocolError, message);
      });
    }

    it("accepts uppercase hex and the empty data frame", async () => {
      const frames = await readFrames(new PktLineReader(iterate([utf8Encode("000Ahello\n0004")])));
      assert.deepEqual(frames, [
        { kind: "data", payload: utf8Encode("hello\n") },
        { kind: "data", payload: new Uint8Array(0) },
      ]);
    });

    it("a frame above a configured maxPktLine is a LimitError", async () => {
      const input = encodePktLines(["x".repeat(96), "x".repeat(97)]);
      const reader = new PktLineReader(iterate([input]), { maxPktLine: 100 });
      assert.equal((await reader.read())?.kind, "data");
      await assert.rejects(reader.read(), (error: unknown) => {
        assert.ok(error instanceof LimitError);
        assert.equal(error.limit, "maxPktLine");
        assert.equal(error.message, "Pkt-line of 101 bytes exceeds the limit maxPktLine of 100 bytes (frame 1)");
        return true;
      });
    });

    it("an error from the source propagates unchanged", async () => {
      const boom = new Error("connection reset");
      async function* failing() {
        yield utf8Encode("0005a");
        throw boom;
      }
      const reader = new PktLineReader(failing());
      assert.equal((await reader.read())?.kind, "data");
      await assert.rejects(reader.read(), (error) => error === boom);
    });
  });
});

describe("real git transcripts", () => {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_DATE: "1700000000 +0000", GIT_COMMITTER_DATE: "1700000000 +0000" };
  const git = (cwd: string, args: string[], extraEnv: Record<string, string> = {}) =>
    execFileSync("git", args, { cwd, env: { ...env, ...extraEnv } });

  function makeRepo(): { dir: string; head: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-pkt-"));
    git(dir, ["init", "-q", "-b", "main"]);
    fs.writeFileSync(path.join(dir, "a.txt"), "hello\n");
    git(dir, ["add", "a.txt"]);
    git(dir, ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first"]);
    git(dir, ["-c", "user.name=T", "-c", "user.email=t@example.com", "tag", "-a", "v1", "-m", "tag"]);
    return { dir, head: git(dir, ["rev-parse", "HEAD"]).toString().trim() };
  }

  it("decodes a v0 ref advertisement from git upload-pack", async () => {
    const { dir, head } = makeRepo();
    try {
      const output = new Uint8Array(git(dir, ["upload-pack", "--stateless-rpc", "--advertise-refs", "."]));
      const frames = await readFrames(new PktLineReader(iterate(chunk(output, [1, 5, 50]))));
      assert.deepEqual(frames.at(-1), { kind: "flush" });
      const lines = frames.slice(0, -1).map((f) => (f.kind === "data" ? pktLineText(f.payload) : f.kind));
      const [first, ...rest] = lines;
      const [refPart, caps] = first!.split("\0");
      assert.equal(refPart, `${head} HEAD`);
      assert.match(caps!, /(^| )symref=HEAD:refs\/heads\/main( |$)/);
      assert.match(caps!, / side-band-64k /);
      assert.ok(rest.includes(`${head} refs/heads/main`));
      assert.ok(rest.some((l) => /^[0-9a-f]{40} refs\/tags\/v1$/.test(l)));
      assert.ok(rest.includes(`${head} refs/tags/v1^{}`));
      assert.deepEqual(encodePktLines([...frames.slice(0, -1).map((f) => (f.kind === "data" ? f.payload : "flush")), "flush"]), output);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("decodes a v2 capability advertisement and ls-refs response", async () => {
    const { dir, head } = makeRepo();
    try {
      const v2 = { GIT_PROTOCOL: "version=2" };
      const advert = new Uint8Array(git(dir, ["upload-pack", "--stateless-rpc", "--advertise-refs", "."], v2));
      const lines = (await readFrames(new PktLineReader(iterate([advert])))).map((f) => (f.kind === "data" ? pktLineText(f.payload) : f.kind));
      assert.equal(lines[0], "version 2");
      assert.ok(lines.some((l) => l.startsWith("ls-refs")));
      assert.ok(lines.some((l) => l.startsWith("fetch")));
      assert.equal(lines.at(-1), "flush");

      const request = encodePktLines(["command=ls-refs\n", "object-format=sha1\n", "delim", "symrefs\n", "peel\n", "ref-prefix HEAD\n", "flush"]);
      const response = new Uint8Array(execFileSync("git", ["upload-pack", "--stateless-rpc", "."], { cwd: dir, input: request, env: { ...env, ...v2 } }));
      const reader = new PktLineReader(iterate(chunk(response, [2, 9])));
      const section = await reader.readSection();
      assert.equal(section.end, "flush");
      assert.deepEqual(section.payloads.map(pktLineText), [`${head} HEAD symref-target:refs/heads/main`]);
      assert.equal(await reader.read(), null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
