import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { ProtocolError } from "../../../src/errors.ts";
import { FLUSH_PKT, PktLineReader, encodePktLines, pktLineText } from "../../../src/git/pkt-line.ts";
import {
  SIDEBAND_64K_MAX,
  SIDEBAND_MAX,
  SidebandWriter,
  demuxSideband,
  encodeSideband,
  sidebandError,
  sidebandProgress,
  type SidebandPacket,
} from "../../../src/git/sideband.ts";
import { concatBytes, utf8Decode, utf8Encode } from "../../../src/util/bytes.ts";

async function* iterate(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function demuxAll(chunks: Uint8Array[]): Promise<SidebandPacket[]> {
  const packets: SidebandPacket[] = [];
  for await (const packet of demuxSideband(new PktLineReader(iterate(chunks)))) packets.push(packet);
  return packets;
}

function bandBytes(packets: SidebandPacket[], band: 1 | 2 | 3): Uint8Array {
  return concatBytes(packets.filter((p) => p.band === band).map((p) => p.data));
}

/** Lengths of the pkt-lines in `bytes`, read from their prefixes. */
function frameLengths(bytes: Uint8Array): number[] {
  const lengths: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = parseInt(utf8Decode(bytes.subarray(at, at + 4)), 16);
    lengths.push(length);
    at += Math.max(length, 4);
  }
  return lengths;
}

describe("encodeSideband", () => {
  it("fits 65515 data bytes in one 65520-byte frame and splits 65516", () => {
    const one = encodeSideband(1, new Uint8Array(65515), SIDEBAND_64K_MAX);
    assert.equal(one.length, 1);
    assert.equal(one[0]!.length, 65520);
    assert.equal(utf8Decode(one[0]!.subarray(0, 4)), "fff0");
    assert.equal(one[0]![4], 1);
    const two = encodeSideband(1, new Uint8Array(65516), SIDEBAND_64K_MAX);
    assert.deepEqual(two.map((f) => f.length), [65520, 6]);
    assert.equal(utf8Decode(two[1]!.subarray(0, 4)), "0006");
  });

  it("fits 995 data bytes in one frame with side-band and splits 996", () => {
    assert.deepEqual(encodeSideband(2, new Uint8Array(995), SIDEBAND_MAX).map((f) => f.length), [1000]);
    assert.deepEqual(encodeSideband(2, new Uint8Array(996), SIDEBAND_MAX).map((f) => f.length), [1000, 6]);
    assert.equal(utf8Decode(encodeSideband(2, new Uint8Array(995), SIDEBAND_MAX)[0]!.subarray(0, 4)), "03e8");
  });

  it("gives no frames for empty data and rejects bad frame sizes", () => {
    assert.deepEqual(encodeSideband(1, new Uint8Array(0)), []);
    assert.throws(() => encodeSideband(1, new Uint8Array(1), 5), {
      name: "RangeError",
      message: "Invalid side-band frame size 5: expected an integer from 6 to 65520",
    });
    assert.throws(() => encodeSideband(1, new Uint8Array(1), 65521), RangeError);
  });

  it("round-trips through the demultiplexer (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ band: fc.constantFrom<1 | 2 | 3>(1, 2, 3), data: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 10 }),
        fc.integer({ min: 6, max: 40 }),
        async (messages, maxPacket) => {
          const frames = messages.flatMap((m) => encodeSideband(m.band, m.data, maxPacket));
          for (const frame of frames) assert.ok(frame.length <= maxPacket);
          const packets = await demuxAll([...frames, FLUSH_PKT]);
          for (const band of [1, 2, 3] as const) {
            assert.deepEqual(bandBytes(packets, band), concatBytes(messages.filter((m) => m.band === band).map((m) => m.data)));
          }
        },
      ),
    );
  });

  it("encodes progress and errors as text on bands 2 and 3", async () => {
    const progress = sidebandProgress("Counting objects: 3, done.\n");
    assert.equal(utf8Decode(progress), "0020\u0002Counting objects: 3, done.\n");
    const error = sidebandError("upload-pack: not our ref\n", 12);
    assert.deepEqual(frameLengths(error), [12, 12, 12, 9]); // 25 bytes = 7 + 7 + 7 + 4
    const packets = await demuxAll([error, FLUSH_PKT]);
    assert.ok(packets.every((p) => p.band === 3));
    assert.equal(utf8Decode(bandBytes(packets, 3)), "upload-pack: not our ref\n");
  });
});

describe("SidebandWriter", () => {
  it("coalesces small writes into full frames (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 30 }), fc.integer({ min: 6, max: 64 }), async (writes, maxPacket) => {
        const out: Uint8Array[] = [];
        const writer = new SidebandWriter(maxPacket, (chunk) => out.push(chunk));
        for (const data of writes) writer.writeData(data);
        writer.end();
        const expected = concatBytes(writes);
        const lengths = out.map((c) => c.length);
        assert.equal(lengths.length, Math.ceil(expected.length / (maxPacket - 5)));
        lengths.slice(0, -1).forEach((l) => assert.equal(l, maxPacket));
        assert.deepEqual(bandBytes(await demuxAll([...out, FLUSH_PKT]), 1), expected);
      }),
    );
  });

  it("emits 64 KiB frames for a large pack written in pieces", async () => {
    const pack = new Uint8Array(300_000).map((_, i) => i % 251);
    const out: Uint8Array[] = [];
    const writer = new SidebandWriter(SIDEBAND_64K_MAX, (chunk) => out.push(chunk));
    for (let at = 0; at < pack.length; at += 1000) writer.writeData(pack.subarray(at, at + 1000));
    assert.equal(writer.buffered, 300_000 - 4 * 65515);
    writer.end();
    assert.deepEqual(out.map((c) => c.length), [65520, 65520, 65520, 65520, 300_000 - 4 * 65515 + 5]);
    assert.equal(new Set(out.map((c) => c.buffer)).size, out.length, "each emitted frame owns its buffer");
    assert.deepEqual(bandBytes(await demuxAll([...out, FLUSH_PKT]), 1), pack);
    assert.throws(() => writer.writeData(new Uint8Array(1)), /after end\(\)/);
  });

  it("sends progress at once and flushes data before an error", async () => {
    const out: Uint8Array[] = [];
    const writer = new SidebandWriter(SIDEBAND_MAX, (chunk) => out.push(chunk));
    writer.writeData(utf8Encode("PACK"));
    writer.progress("Enumerating objects: 1\r");
    writer.progress("");
    assert.equal(out.length, 1, "progress overtakes the buffered data; empty progress sends nothing");
    writer.writeData(utf8Encode("...."));
    writer.error("fatal: out of memory\n");
    const packets = await demuxAll([...out, FLUSH_PKT]);
    assert.deepEqual(
      packets.map((p) => [p.band, utf8Decode(p.data)]),
      [
        [2, "Enumerating objects: 1\r"],
        [1, "PACK...."],
        [3, "fatal: out of memory\n"],
      ],
    );
  });

  it("flush() sends a partial frame and keeps the writer open", () => {
    const out: Uint8Array[] = [];
    const writer = new SidebandWriter(SIDEBAND_64K_MAX, (chunk) => out.push(chunk));
    writer.flush();
    assert.equal(out.length, 0);
    writer.writeData(utf8Encode("ok"));
    writer.flush();
    writer.writeData(utf8Encode("!"));
    writer.end();
    writer.end();
    assert.deepEqual(out.map(utf8Decode), ["0007\u0001ok", "0006\u0001!"]);
  });
});

describe("demuxSideband errors", () => {
  const cases: [string, Uint8Array[], string][] = [
    ["an invalid band", [encodePktLines([Uint8Array.of(1, 0x50), Uint8Array.of(4, 0x50)])], "Cannot decode side-band: band 4 is invalid: expected 1, 2 or 3 (frame 1)"],
    ["an empty frame", [utf8Encode("0004")], "Cannot decode side-band: empty frame: expected a band byte (frame 0)"],
    ["a delim-pkt", [utf8Encode("0001")], "Cannot decode side-band: unexpected delim-pkt: expected data frames or a flush-pkt (frame 0)"],
    ["a missing flush", [encodeSideband(1, utf8Encode("PACK"))[0]!], "Cannot decode side-band: input ended before the flush-pkt that ends the side-band stream (frame 1)"],
  ];
  for (const [name, chunks, message] of cases) {
    it(`rejects ${name}`, async () => {
      await assert.rejects(demuxAll(chunks), (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, "ERR_PKT_LINE");
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});

describe("real git side-band output", () => {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_DATE: "1700000000 +0000", GIT_COMMITTER_DATE: "1700000000 +0000" };

  function makeRepo(): { dir: string; head: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reposit-sideband-"));
    const git = (args: string[]) => execFileSync("git", args, { cwd: dir, env }).toString().trim();
    git(["init", "-q", "-b", "main"]);
    // Incompressible content so the pack spans several frames of either size.
    const noise = new Uint8Array(150_000);
    for (let i = 0, x = 12345; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    fs.writeFileSync(path.join(dir, "noise.bin"), noise);
    git(["add", "."]);
    git(["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first"]);
    return { dir, head: git(["rev-parse", "HEAD"]) };
  }

  function checkPack(pack: Uint8Array, objects: number): void {
    assert.equal(utf8Decode(pack.subarray(0, 4)), "PACK");
    const view = new DataView(pack.buffer, pack.byteOffset, pack.byteLength);
    assert.equal(view.getUint32(4), 2);
    assert.equal(view.getUint32(8), objects);
    const digest = createHash("sha1").update(pack.subarray(0, pack.length - 20)).digest();
    assert.deepEqual(new Uint8Array(digest), pack.subarray(pack.length - 20));
  }

  it("demuxes a protocol v2 fetch response", async () => {
    const { dir, head } = makeRepo();
    try {
      const request = encodePktLines(["command=fetch\n", "object-format=sha1\n", "delim", "ofs-delta\n", `want ${head}\n`, "done\n", "flush"]);
      const response = new Uint8Array(
        execFileSync("git", ["upload-pack", "--stateless-rpc", "."], { cwd: dir, input: request, env: { ...env, GIT_PROTOCOL: "version=2" } }),
      );
      const reader = new PktLineReader(iterate([response.subarray(0, 7), response.subarray(7, 70_001), response.subarray(70_001)]));
      const header = await reader.read();
      assert.ok(header?.kind === "data");
      assert.equal(pktLineText(header.payload), "packfile");
      const packets: SidebandPacket[] = [];
      for await (const packet of demuxSideband(reader)) packets.push(packet);
      assert.ok(packets.some((p) => p.data.length > SIDEBAND_MAX), "side-band-64k frames are larger than 1000 bytes");
      assert.ok(packets.every((p) => p.data.length <= 65515));
      checkPack(bandBytes(packets, 1), 3); // commit, tree, blob
      assert.equal(await reader.read(), null, "the flush-pkt ends the response");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("demuxes a protocol v0 fetch with the 1000-byte side-band", async () => {
    const { dir, head } = makeRepo();
    try {
      const request = encodePktLines([`want ${head} side-band ofs-delta no-progress\n`, "flush", "done\n"]);
      const response = new Uint8Array(execFileSync("git", ["upload-pack", "--stateless-rpc", "."], { cwd: dir, input: request, env }));
      const reader = new PktLineReader(iterate([response]));
      const nak = await reader.read();
      assert.ok(nak?.kind === "data");
      assert.equal(pktLineText(nak.payload), "NAK");
      const packets: SidebandPacket[] = [];
      for await (const packet of demuxSideband(reader)) packets.push(packet);
      assert.ok(packets.length > 150, `expected many small frames, got ${packets.length}`);
      assert.ok(packets.every((p) => p.data.length <= SIDEBAND_MAX - 5));
      checkPack(bandBytes(packets, 1), 3); // commit, tree, blob
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
