import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { createDelta } from "../../../src/git/delta.ts";
import { oidToBytes } from "../../../src/git/object-id.ts";
import { hashObject, objectTypeOf } from "../../../src/git/object-type.ts";
import { encodeEntryHeader, encodeOfsDelta, encodePackHeader } from "../../../src/git/pack-format.ts";
import { type PackEntry, type PackParseOptions, parsePack } from "../../../src/git/pack-parser.ts";
import { DEFAULT_LIMITS, resolveLimits } from "../../../src/limits.ts";
import type { Platform } from "../../../src/platform.ts";
import { concatBytes, hexEncode, utf8Encode } from "../../../src/util/bytes.ts";
import {
  catFile,
  chunked,
  gitText,
  makeHistoryRepo,
  packObjects,
  resolveEntries,
  rng,
  verifyPack,
  type VerifyRow,
} from "./pack-fixtures.ts";

// ---- Fixtures: real packs made by git from a 300-commit history --------------------------------

const repo = makeHistoryRepo(300);
const packs = {
  ofs: packObjects(repo, ["--all", "--delta-base-offset"], ""),
  ref: packObjects(repo, ["--all"], ""),
  fresh: packObjects(repo, ["--all", "--no-reuse-delta", "--delta-base-offset"], ""),
};
after(() => fs.rmSync(repo, { recursive: true, force: true }));
const rows = {
  ofs: verifyPack(packs.ofs),
  ref: verifyPack(packs.ref),
  fresh: verifyPack(packs.fresh),
};

// ---- Helpers ------------------------------------------------------------------------------------

interface Parsed {
  entries: PackEntry[];
  result: Awaited<ReturnType<typeof parsePack>>;
  bytes: Uint8Array;
}

async function parseAll(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  options: Partial<PackParseOptions> = {},
): Promise<Parsed> {
  const entries: PackEntry[] = [];
  const emitted: Uint8Array[] = [];
  const source = input instanceof Uint8Array ? chunked(input, input.length) : input;
  const result = await parsePack(source, {
    platform: nodePlatform,
    limits: DEFAULT_LIMITS,
    onEntry: (entry) => {
      entries.push(entry);
    },
    onBytes: (chunk) => {
      emitted.push(chunk);
    },
    ...options,
  });
  return { entries, result, bytes: concatBytes(emitted) };
}

function checkAgainstGit(pack: Uint8Array, gitRows: VerifyRow[], { entries, result, bytes }: Parsed): void {
  assert.equal(result.objectCount, gitRows.length);
  assert.equal(result.packBytes, pack.length);
  assert.equal(result.checksum, hexEncode(pack, pack.length - 20, 20));
  assert.equal(bytes.length, pack.length);
  assert.ok(Buffer.from(bytes).equals(Buffer.from(pack)), "onBytes reproduces the pack");
  const rowAt = new Map(gitRows.map((row) => [row.offset, row]));
  const resolved = resolveEntries(entries, nodePlatform);
  let end = 12;
  entries.forEach((entry, i) => {
    const row = rowAt.get(entry.offset);
    assert.ok(row !== undefined, `git has an object at offset ${entry.offset}`);
    assert.equal(entry.index, i);
    assert.equal(entry.offset, end, "entries are contiguous");
    end = entry.offset + entry.headerLength + entry.compressedLength;
    assert.equal(entry.headerLength + entry.compressedLength, row.packedSize);
    assert.equal(entry.size, row.size);
    assert.equal(entry.data.length, entry.size);
    if (row.baseId === undefined) {
      assert.equal(objectTypeOf(entry.packType), row.type);
    } else if (entry.packType === 6) {
      assert.equal(rowAt.get(entry.baseOffset!)!.id, row.baseId);
      assert.equal(entry.baseId, undefined);
    } else {
      assert.equal(entry.packType, 7);
      assert.equal(entry.baseId, row.baseId);
    }
    const object = resolved.get(entry.offset)!;
    assert.equal(object.id, row.id);
    assert.equal(object.type, row.type);
  });
  assert.equal(end, pack.length - 20);
}

function countTypes(entries: PackEntry[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const e of entries) counts[e.packType] = (counts[e.packType] ?? 0) + 1;
  return counts;
}

/** Builds an entry: header (size defaults to content length) + optional delta base + zlib stream. */
function entry(
  packType: number,
  content: Uint8Array,
  options: { size?: number; distance?: number; baseId?: string } = {},
): Uint8Array {
  const parts = [encodeEntryHeader(packType, options.size ?? content.length)];
  if (options.distance !== undefined) parts.push(encodeOfsDelta(options.distance));
  if (options.baseId !== undefined) parts.push(oidToBytes(options.baseId));
  parts.push(nodePlatform.deflate(content));
  return concatBytes(parts);
}

/** A pack of raw `entries` with a correct trailer; `count` overrides the header's object count. */
function buildPack(entries: Uint8Array[], count = entries.length): Uint8Array {
  return withTrailer(concatBytes([encodePackHeader(count), ...entries]));
}

function withTrailer(body: Uint8Array): Uint8Array {
  const hasher = nodePlatform.sha1();
  hasher.update(body);
  return concatBytes([body, hasher.digest()]);
}

/** Replaces the trailer of `pack` (after editing its body) with the correct one. */
function rehash(pack: Uint8Array): Uint8Array {
  return withTrailer(pack.subarray(0, pack.length - 20));
}

function rejects(code: "ERR_PACK" | "ERR_ZLIB", pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

/** A platform whose inflate records the length of every input it was given. */
function countingPlatform(): { platform: Platform; inputs: number[] } {
  const inputs: number[] = [];
  const platform: Platform = {
    sha1: nodePlatform.sha1,
    deflate: nodePlatform.deflate,
    inflate(input, expected, max) {
      inputs.push(input.length);
      return nodePlatform.inflate(input, expected, max);
    },
  };
  return { platform, inputs };
}

const text = (s: string) => utf8Encode(s);

// ---- Real packs ---------------------------------------------------------------------------------

describe("parsePack on packs made by git", () => {
  const random = rng(42);
  const chunkings: [string, number | (() => number)][] = [
    ["whole", Number.MAX_SAFE_INTEGER],
    ["64 KiB", 65536],
    ["7 bytes", 7],
    ["random sizes", () => 1 + Math.floor(random() ** 3 * 20000)],
  ];

  for (const variant of ["ofs", "ref", "fresh"] as const) {
    // 7-byte chunks only for the smallest pack: the others take seconds that way under the test runner.
    for (const [name, size] of chunkings.filter(([n]) => variant === "fresh" || n !== "7 bytes")) {
      it(`parses the ${variant} pack in ${name} chunks`, async () => {
        const parsed = await parseAll(chunked(packs[variant], size));
        checkAgainstGit(packs[variant], rows[variant], parsed);
        const types = countTypes(parsed.entries);
        assert.ok((types[1] ?? 0) >= 300 && (types[2] ?? 0) > 0 && (types[3] ?? 0) > 0 && types[4] === 2);
        if (variant === "ref") assert.ok((types[7] ?? 0) > 100 && types[6] === undefined);
        else assert.ok((types[6] ?? 0) > 100 && types[7] === undefined);
      });
    }
  }

  it("parses a pack fed one byte at a time (first 40 KB), then in 4 KiB chunks", async () => {
    let fed = 0;
    const sizes = () => {
      const n = fed < 40_000 ? 1 : 4096;
      fed += n;
      return n;
    };
    const parsed = await parseAll(chunked(packs.fresh, sizes));
    checkAgainstGit(packs.fresh, rows.fresh, parsed);
    assert.ok(
      parsed.entries.filter((e) => e.offset < 40_000).length > 200,
      "many entries arrived byte by byte",
    );
  });

  it("parses a thin pack whose REF_DELTA bases are outside it", async () => {
    const thin = packObjects(repo, ["--thin", "--delta-base-offset"], "main\n^main~40\n");
    const { entries, result, bytes } = await parseAll(chunked(thin, 4096));
    assert.deepEqual(bytes, thin);
    const inPack = new Set<number>(entries.map((e) => e.offset));
    const external = entries.filter((e) => e.packType === 7).map((e) => e.baseId!);
    assert.ok(external.length > 0, "the thin pack has REF_DELTA entries");
    const bases = catFile(repo, external);
    const resolved = resolveEntries(entries, nodePlatform, (id) => bases.get(id));
    const ids = new Set([...resolved.values()].map((o) => o.id));
    const expected = gitText(repo, ["rev-list", "--objects", "main", "^main~40"])
      .trim()
      .split("\n")
      .map((line) => line.slice(0, 40));
    assert.equal(result.objectCount, expected.length);
    assert.deepEqual([...ids].sort(), [...new Set(expected)].sort());
    for (const id of external) assert.ok(!ids.has(id), `base ${id} is not in the thin pack`);
    assert.equal(inPack.size, entries.length);
  });
});

// ---- Streaming behaviour ------------------------------------------------------------------------

describe("parsePack streaming", () => {
  const bigBlob = (() => {
    const next = rng(5);
    const data = new Uint8Array(4 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (next() * 256) | 0;
    return data;
  })();
  const small = Array.from({ length: 50 }, (_, i) => text(`small object ${i}\n`.repeat(i + 1)));
  const bigPack = buildPack([entry(3, bigBlob), ...small.map((s) => entry(3, s))]);

  it("retries a big entry only when the buffer has doubled", async () => {
    const { platform, inputs } = countingPlatform();
    const { entries } = await parseAll(chunked(bigPack, 16 * 1024), { platform });
    assert.equal(entries.length, 51);
    assert.equal(
      hashObject(nodePlatform, "blob", entries[0]!.data),
      hashObject(nodePlatform, "blob", bigBlob),
    );
    const bigTries = inputs.filter((n) => n > 64 * 1024).length;
    // 16 KiB → 4 MiB is 8 doublings; one call per chunk would be 256.
    assert.ok(inputs.length - 51 <= 20, `${inputs.length} inflate calls for 51 entries`);
    assert.ok(bigTries <= 10, `${bigTries} tries for the big entry`);
  });

  it("keeps the window near twice the largest compressed entry", async () => {
    const { platform, inputs } = countingPlatform();
    await parseAll(chunked(bigPack, 16 * 1024), { platform });
    const compressed = nodePlatform.deflate(bigBlob).length;
    assert.ok(
      Math.max(...inputs) <= 2 * compressed + 16 * 1024,
      `largest inflate input ${Math.max(...inputs)}`,
    );
    // After the big entry, small entries are inflated from views of at most a couple of chunks.
    assert.ok(inputs.slice(-40).every((n) => n <= 2 * compressed + 16 * 1024));
  });

  it("waits for onEntry before reading more input", async () => {
    let inEntry = false;
    let pulls = 0;
    async function* source() {
      for await (const chunk of chunked(packs.fresh, 999)) {
        assert.equal(inEntry, false, "the source is not read while onEntry runs");
        pulls++;
        yield chunk;
      }
    }
    let seen = 0;
    await parseAll(source(), {
      onEntry: async () => {
        inEntry = true;
        for (let hop = 0; hop < 3; hop++) await Promise.resolve();
        inEntry = false;
        seen++;
      },
    });
    assert.equal(seen, rows.fresh.length);
    assert.ok(pulls > 200);
  });

  it("computes the checksum without onBytes and awaits an async onBytes", async () => {
    const withoutBytes = await parsePack(chunked(packs.ofs, 1000), {
      platform: nodePlatform,
      limits: DEFAULT_LIMITS,
      onEntry() {},
    });
    assert.equal(withoutBytes.checksum, hexEncode(packs.ofs, packs.ofs.length - 20, 20));
    let total = 0;
    const async = await parsePack(chunked(packs.ofs, 1000), {
      platform: nodePlatform,
      limits: DEFAULT_LIMITS,
      onEntry() {},
      onBytes: async (chunk) => {
        await Promise.resolve();
        total += chunk.length;
      },
    });
    assert.equal(total, packs.ofs.length);
    assert.equal(async.packBytes, total);
  });

  it("closes the source when parsing fails", async () => {
    const at = rows.ofs.map((r) => r.offset).sort((a, b) => a - b)[100]!;
    let closed = false;
    async function* source() {
      try {
        yield packs.ofs.subarray(0, at);
        yield Uint8Array.of(0x50); // an entry header with the reserved type 5
        yield packs.ofs.subarray(at);
      } finally {
        closed = true;
      }
    }
    await assert.rejects(
      parseAll(source()),
      rejects("ERR_PACK", new RegExp(`^Invalid type 5 in the header of object 100 at offset ${at}`)),
    );
    assert.equal(closed, true);
  });

  it("passes on an error thrown by the source unchanged", async () => {
    const failure = new ProtocolError("ERR_PKT_LINE", "Cannot decode pkt-line: test failure");
    async function* source() {
      yield packs.ofs.subarray(0, packs.ofs.length - 20);
      throw failure;
    }
    await assert.rejects(parseAll(source()), (e: unknown) => e === failure);
    async function* early() {
      yield packs.ofs.subarray(0, 1000);
      throw failure;
    }
    await assert.rejects(parseAll(early()), (e: unknown) => e === failure);
  });

  it("parses an empty pack", async () => {
    const { entries, result, bytes } = await parseAll(buildPack([]));
    assert.equal(entries.length, 0);
    assert.equal(result.objectCount, 0);
    assert.equal(result.packBytes, 32);
    assert.equal(bytes.length, 32);
  });

  it("accepts version 3", async () => {
    const pack = buildPack([entry(3, text("v3"))]);
    pack[7] = 3;
    const { entries } = await parseAll(rehash(pack));
    assert.equal(entries.length, 1);
  });
});

// ---- Corrupt and hostile input ------------------------------------------------------------------

describe("parsePack rejects", () => {
  const pack = packs.fresh;
  const gitRows = [...rows.fresh].sort((a, b) => a.offset - b.offset);

  it("input truncated at every byte of a small pack", async () => {
    const base = text("the base blob, long enough to be worth a delta: 0123456789abcdef\n".repeat(4));
    const entries = [
      entry(3, base),
      entry(1, text("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmessage\n")),
      entry(2, new Uint8Array(0)),
    ];
    const deltaAt = 12 + entries.reduce((n, e) => n + e.length, 0);
    entries.push(entry(6, createDelta(base, concatBytes([base, text("more")])), { distance: deltaAt - 12 }));
    entries.push(
      entry(7, createDelta(base, text("short")), { baseId: hashObject(nodePlatform, "blob", base) }),
    );
    entries.push(entry(3, new Uint8Array(300).fill(7)));
    const small = buildPack(entries);
    assert.equal((await parseAll(small)).entries.length, 6);
    for (let cut = 0; cut < small.length; cut++) {
      for (const size of [cut, 3]) {
        await assert.rejects(
          parseAll(chunked(small.subarray(0, cut), Math.max(1, size))),
          rejects("ERR_PACK", /^Pack is truncated: /),
          `cut at ${cut} of ${small.length}`,
        );
      }
    }
  });

  it("input truncated inside a real pack, with precise messages", async () => {
    const i = gitRows.findIndex((r) => r.offset > 50000);
    const row = gitRows[i]!;
    for (const size of [65536, 1000]) {
      await assert.rejects(
        parseAll(chunked(pack.subarray(0, row.offset), size)),
        rejects(
          "ERR_PACK",
          new RegExp(`^Pack is truncated: expected ${gitRows.length} objects, input ended after ${i}$`),
        ),
      );
      for (const inside of [1, 3, 22, row.packedSize - 1]) {
        await assert.rejects(
          parseAll(chunked(pack.subarray(0, row.offset + inside), size)),
          rejects(
            "ERR_PACK",
            new RegExp(`^Pack is truncated: input ended inside object ${i} at offset ${row.offset}$`),
          ),
        );
      }
    }
    await assert.rejects(
      parseAll(pack.subarray(0, pack.length - 5)),
      rejects(
        "ERR_PACK",
        new RegExp(
          `^Pack is truncated: the 20-byte trailer at offset ${
            pack.length - 20
          } is missing, input ended after 15 of its bytes$`,
        ),
      ),
    );
    await assert.rejects(
      parseAll(pack.subarray(0, pack.length - 20)),
      rejects("ERR_PACK", /trailer at offset \d+ is missing, input ended after 0 of its bytes$/),
    );
    await assert.rejects(
      parseAll(pack.subarray(0, 7)),
      rejects("ERR_PACK", /the header needs 12 bytes but the input ended after 7$/),
    );
    await assert.rejects(
      parseAll(new Uint8Array(0)),
      rejects("ERR_PACK", /the header needs 12 bytes but the input ended after 0$/),
    );
  });

  it("a wrong trailer", async () => {
    const bad = pack.slice();
    bad[bad.length - 1]! ^= 1;
    await assert.rejects(
      parseAll(chunked(bad, 4096)),
      rejects(
        "ERR_PACK",
        /^Pack checksum mismatch: the trailer says [0-9a-f]{40} but the pack hashes to [0-9a-f]{40}$/,
      ),
    );
  });

  it("a flipped byte in a zlib stream", async () => {
    const whole = gitRows.filter((r) => r.baseId === undefined && r.packedSize > 200);
    const target = whole[Math.floor(whole.length / 2)]!;
    const index = rows.fresh.findIndex((r) => r.offset === target.offset);
    // The last 4 bytes of a zlib stream are its Adler-32: flipping one is always a zlib error.
    const adler = pack.slice();
    adler[target.offset + target.packedSize - 2]! ^= 0x40;
    await assert.rejects(
      parseAll(chunked(adler, 1000)),
      rejects("ERR_ZLIB", new RegExp(`^Cannot inflate object ${index} at offset ${target.offset}: `)),
    );
    const middle = pack.slice();
    middle[target.offset + Math.floor(target.packedSize / 2)]! ^= 0xff;
    await assert.rejects(
      parseAll(chunked(middle, 1000)),
      // Depending on the bytes, zlib reports the corruption, or the stream inflates past its size.
      (e: unknown) => e instanceof ProtocolError && /object \d+ at offset \d+/i.test(e.message),
    );
  });

  it("an object count larger than the entries present", async () => {
    for (const extra of [1, 2]) {
      const bad = pack.slice();
      new DataView(bad.buffer).setUint32(8, gitRows.length + extra);
      for (const candidate of [bad, rehash(bad)]) {
        await assert.rejects(
          parseAll(chunked(candidate, 5000)),
          rejects(
            "ERR_PACK",
            new RegExp(
              `^Pack is truncated: expected ${
                gitRows.length + extra
              } objects, input ended after ${gitRows.length} and a 20-byte trailer$`,
            ),
          ),
        );
      }
    }
  });

  it("an object count smaller than the entries present", async () => {
    const bad = pack.slice();
    new DataView(bad.buffer).setUint32(8, gitRows.length - 1);
    await assert.rejects(parseAll(bad), rejects("ERR_PACK", /^Pack checksum mismatch/));
  });

  it("declared sizes that do not match the stream", async () => {
    const content = text("exactly 20 bytes....");
    await assert.rejects(
      parseAll(buildPack([entry(3, text("ok")), entry(3, content, { size: 21 })])),
      rejects("ERR_PACK", /^Object 1 at offset \d+ inflates to 20 bytes but its header declares 21$/),
    );
    await assert.rejects(
      parseAll(buildPack([entry(3, content, { size: 19 })])),
      rejects("ERR_PACK", /^Object 0 at offset 12 inflates to more than the 19 bytes its header declares$/),
    );
    // Platforms may stop at maxOutput (a LimitError) or return the extra byte: either way it is caught.
    await assert.rejects(
      parseAll(buildPack([entry(1, text("x"), { size: 0 })])),
      rejects(
        "ERR_PACK",
        /^Object 0 at offset 12 inflates to (more than the 0 bytes its header declares|1 bytes but its header declares 0)$/,
      ),
    );
  });

  it("bad OFS_DELTA distances", async () => {
    const base = text("base object content that is long enough to delta against");
    const first = entry(3, base);
    const second = entry(3, text("second"));
    const delta = createDelta(base, text("base object content, changed"));
    const deltaAt = 12 + first.length + second.length;
    const ok = await parseAll(buildPack([first, second, entry(6, delta, { distance: deltaAt - 12 })]));
    assert.equal(ok.entries[2]!.baseOffset, 12);
    const cases: [number, RegExp][] = [
      [
        0,
        /^Object 2 at offset \d+ is an OFS_DELTA with distance 0: expected its base to be an earlier object$/,
      ],
      [
        deltaAt - 11,
        new RegExp(
          `^Object 2 at offset ${deltaAt} is an OFS_DELTA ${
            deltaAt - 11
          } bytes back, before the first object at offset 12$`,
        ),
      ],
      [deltaAt + 100, /bytes back, before the first object at offset 12$/],
      [
        deltaAt - 13,
        /^Object 2 at offset \d+ is an OFS_DELTA whose base offset 13 is not the start of an object$/,
      ],
      [1, /whose base offset \d+ is not the start of an object$/],
    ];
    for (const [distance, pattern] of cases) {
      await assert.rejects(
        parseAll(buildPack([first, second, entry(6, delta, { distance })])),
        rejects("ERR_PACK", pattern),
      );
    }
  });

  it("invalid entry types", async () => {
    for (const type of [0, 5]) {
      await assert.rejects(
        parseAll(buildPack([entry(3, text("fine")), entry(type, text("bad"))])),
        rejects(
          "ERR_PACK",
          new RegExp(
            `^Invalid type ${type} in the header of object 1 at offset \\d+: expected 1, 2, 3, 4, 6 or 7$`,
          ),
        ),
      );
    }
  });

  it("a bad signature or version", async () => {
    const bad = buildPack([entry(3, text("x"))]);
    bad[0] = 0x4b;
    await assert.rejects(
      parseAll(bad),
      rejects("ERR_PACK", /^Invalid pack signature "KACK": expected "PACK"$/),
    );
    const v4 = buildPack([entry(3, text("x"))]);
    v4[7] = 4;
    await assert.rejects(parseAll(rehash(v4)), rejects("ERR_PACK", /^Unsupported pack version 4/));
  });

  it("bytes after the trailer, except exactly one flush-pkt", async () => {
    const small = buildPack([entry(3, text("one")), entry(3, text("two"))]);
    for (
      const [candidate, sizes] of [
        [pack, [Number.MAX_SAFE_INTEGER, 5000]],
        [small, [1, 2, 3, 4]],
      ] as const
    ) {
      for (const size of sizes) {
        const { result, bytes } = await parseAll(chunked(concatBytes([candidate, text("0000")]), size));
        assert.equal(result.packBytes, candidate.length);
        assert.deepEqual(bytes, candidate, "the flush-pkt is not part of the pack");
      }
    }
    const junk: [string, RegExp][] = [
      [
        "x",
        new RegExp(
          `^Pack has 1 bytes after its trailer at offset ${pack.length}: expected the end of the input$`,
        ),
      ],
      ["000", /^Pack has 3 bytes after its trailer/],
      ["0001", /^Pack has 4 bytes after its trailer/],
      ["00000", /^Pack has more than 4 bytes after its trailer/],
      ["00000000", /^Pack has more than 4 bytes after its trailer/],
    ];
    for (const [tail, pattern] of junk) {
      await assert.rejects(
        parseAll(chunked(concatBytes([pack, text(tail)]), 3000)),
        rejects("ERR_PACK", pattern),
      );
    }
  });

  it("more objects than maxPackObjects", async () => {
    await assert.rejects(
      parseAll(pack, { limits: resolveLimits({ maxPackObjects: 100 }) }),
      (e: unknown) =>
        e instanceof LimitError && e.limit === "maxPackObjects" &&
        e.message === `Pack declares ${gitRows.length} objects: the limit is 100`,
    );
  });

  it("an entry larger than maxObjectBytes, before inflating it", async () => {
    const { platform, inputs } = countingPlatform();
    const big = buildPack([entry(3, text("small")), entry(3, new Uint8Array(5000))]);
    await assert.rejects(
      parseAll(big, { platform, limits: resolveLimits({ maxObjectBytes: 4096 }) }),
      (e: unknown) =>
        e instanceof LimitError && e.limit === "maxObjectBytes" &&
        /^Object 1 at offset \d+ declares 5000 bytes: the limit is 4096$/.test(e.message),
    );
    assert.equal(inputs.length, 1, "only the first entry was inflated");
  });

  it("a zlib stream that never ends", async () => {
    // A valid zlib header followed by empty stored blocks forever: inflates to nothing, never finishes.
    async function* endless() {
      yield concatBytes([encodePackHeader(1), encodeEntryHeader(3, 10), Uint8Array.of(0x78, 0x01)]);
      const block = new Uint8Array(5000);
      for (let i = 0; i < block.length; i += 5) block.set([0x00, 0x00, 0x00, 0xff, 0xff], i);
      for (;;) yield block;
    }
    await assert.rejects(
      parseAll(endless()),
      rejects(
        "ERR_PACK",
        /^Object 0 at offset 12 is corrupt: its zlib stream is unfinished after \d+ bytes for 10 declared bytes$/,
      ),
    );
  });

  it("a REF_DELTA cut inside its base id", async () => {
    const full = buildPack([entry(7, text("delta"), { baseId: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" })]);
    await assert.rejects(
      parseAll(chunked(full.subarray(0, 12 + 1 + 10), 3)),
      rejects("ERR_PACK", /input ended inside object 0 at offset 12$/),
    );
    const { entries } = await parseAll(chunked(full, 3));
    assert.equal(entries[0]!.baseId, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    assert.equal(entries[0]!.headerLength, 21);
  });
});
