/**
 * Fuzzing parsePack (gitformat-pack "pack-*.pack files have the following format") on both
 * platforms, and ingestPack behind it. Inputs are packs `git pack-objects` made of a small history
 * (OFS_DELTA, REF_DELTA and thin packs), mutated at the byte level and in their structure: object
 * count and version rewritten, entries dropped, duplicated or swapped, declared sizes, types and
 * OFS distances rewritten, payloads changed and recompressed, bytes appended, with the trailer
 * usually recomputed so the damage reaches past the checksum. Each is fed in random chunks.
 *
 * Properties: a parse ends in a result or a ReposError, never another exception or a hang; a result
 * is self-consistent (entries tile the pack, sizes match, every byte reaches onBytes once, the
 * checksum is the SHA-1) and both platforms agree on it; resolving its deltas ends in objects or a
 * ReposError. Bombs: a pack declaring 2^32-1 objects fails at once, and a delta chain deeper than
 * maxDeltaDepth is refused by ingestPack.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { LimitError, ReposError } from "../../../src/errors.ts";
import { applyDelta, createDelta } from "../../../src/git/delta.ts";
import { encodeEntryHeader, encodeOfsDelta, encodePackHeader } from "../../../src/git/pack-format.ts";
import { type PackEntry, type PackParseResult, parsePack } from "../../../src/git/pack-parser.ts";
import { portablePlatform } from "../../../src/git/portable-platform.ts";
import { type Limits, resolveLimits } from "../../../src/limits.ts";
import type { Platform } from "../../../src/platform.ts";
import { ingestPack } from "../../../src/repo/ingest.ts";
import { ObjectPool, PoolCache } from "../../../src/repo/object-pool.ts";
import { publishPack } from "../../../src/repo/publish.ts";
import { uploadKey } from "../../../src/repo/keys.ts";
import type { PoolEnv } from "../../../src/repo/object-pool.ts";
import type { PackRecord } from "../../../src/repo/pack-record.ts";

/** Publishes a pack ingested under a hand-picked blob id (registering the upload as beginUpload would). */
async function publishRegistered(env: PoolEnv, record: Omit<PackRecord, "seq">): Promise<void> {
  await env.store.commit([], [{ type: "set", key: uploadKey("p", record.blobId), value: new TextEncoder().encode(JSON.stringify({ at: Date.now() })) }]);
  await publishPack(env.store, "p", record);
}
import { createMemoryStore } from "../../../src/storage/memory.ts";
import {
  cuts,
  fuzzParams,
  interestingByte,
  iterate,
  join,
  mutations,
  mutate,
  type Mutation,
  type Outcome,
  packAll,
  settle,
  smallHistory,
  splitAt,
  stalling,
} from "./fuzz-support.ts";

const PLATFORMS: readonly [string, Platform][] = [["node", nodePlatform], ["portable", portablePlatform]];
const TYPE_NAMES = ["", "commit", "tree", "blob", "tag"];

const sha1 = (bytes: Uint8Array) => new Uint8Array(createHash("sha1").update(bytes).digest());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

// ---- Fixtures -----------------------------------------------------------------------------------

/** One entry of a real pack, split into the parts the structure-aware mutations rewrite. */
interface Segment {
  packType: number;
  size: number;
  /** The OFS_DELTA distance or REF_DELTA base id bytes. */
  base: Uint8Array;
  stream: Uint8Array;
  /** The inflated payload, for recompressing it with changes. */
  data: Uint8Array;
}

interface Fixture {
  name: string;
  pack: Uint8Array;
  segments: Segment[];
}

let fixtures: Promise<Fixture[]> | undefined;

/** Packs of a small history as git writes them: OFS deltas, REF deltas, and a thin pack. */
function gitPacks(): Promise<Fixture[]> {
  fixtures ??= (async () => {
    const repo = smallHistory(8);
    try {
      const packs: [string, Uint8Array][] = [
        ["ofs", packAll(repo, ["--delta-base-offset"])],
        ["ref", packAll(repo)],
        ["thin", repo.run(["pack-objects", "--revs", "--thin", "--stdout", "-q", "--delta-base-offset"], "main\n^main~3\n")],
      ];
      const out: Fixture[] = [];
      for (const [name, pack] of packs) {
        const segments: Segment[] = [];
        await parsePack(iterate([pack]), {
          platform: nodePlatform,
          limits: resolveLimits(),
          onEntry(e) {
            const start = e.offset + e.headerLength;
            const baseBytes = e.packType === 6 ? encodeOfsDelta(e.offset - e.baseOffset!) : e.packType === 7 ? Buffer.from(e.baseId!, "hex") : new Uint8Array(0);
            segments.push({
              packType: e.packType,
              size: e.size,
              base: new Uint8Array(baseBytes),
              stream: pack.slice(start, start + e.compressedLength),
              data: new Uint8Array(e.data),
            });
          },
        });
        // Counterexamples name the fixture instead of printing every byte of it.
        out.push({ name, pack, segments, [fc.toStringMethod]: () => `<${name} pack>` } as Fixture);
      }
      return out;
    } finally {
      repo.remove();
    }
  })();
  return fixtures;
}

// ---- Structure-aware mutations ---------------------------------------------------------------

type PackEdit =
  | { kind: "count"; value: number }
  | { kind: "version"; value: number }
  | { kind: "drop"; at: number }
  | { kind: "duplicate"; at: number; to: number }
  | { kind: "swap"; a: number; b: number }
  | { kind: "size"; at: number; value: number }
  | { kind: "type"; at: number; value: number }
  | { kind: "distance"; at: number; value: number }
  | { kind: "recompress"; at: number; edits: Mutation[]; level: number; keepSize: boolean }
  | { kind: "append"; bytes: Uint8Array };

const packEdit: fc.Arbitrary<PackEdit> = fc.oneof(
  fc.record({
    kind: fc.constant("count" as const),
    value: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(0xffffffff, 0x7fffffff, 10_000_001)),
  }),
  fc.record({ kind: fc.constant("version" as const), value: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant("size" as const),
    at: fc.nat(),
    value: fc.oneof(fc.nat({ max: 5000 }), fc.constantFrom(2 ** 25, 2 ** 25 + 1, 2 ** 32, 2 ** 53 - 1)),
  }),
  fc.record({ kind: fc.constant("type" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("distance" as const), at: fc.nat(), value: fc.oneof(fc.nat({ max: 20000 }), fc.constant(0)) }),
  fc.record({
    kind: fc.constant("recompress" as const),
    at: fc.nat(),
    edits: mutations(3, 16),
    level: fc.integer({ min: 0, max: 9 }),
    keepSize: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("append" as const),
    bytes: fc.oneof(fc.constant(Uint8Array.of(0x30, 0x30, 0x30, 0x30)), fc.uint8Array({ minLength: 1, maxLength: 30 })),
  }),
);

interface Built {
  segments: Segment[];
  count: number | undefined;
  version: number;
  tail: Uint8Array;
}

function applyEdit(state: Built, edit: PackEdit): void {
  const list = state.segments;
  const pick = (at: number) => (list.length === 0 ? -1 : at % list.length);
  switch (edit.kind) {
    case "count":
      state.count = edit.value;
      return;
    case "version":
      state.version = edit.value;
      return;
    case "append":
      state.tail = join(state.tail, edit.bytes);
      return;
    case "drop":
      if (list.length > 0) list.splice(pick(edit.at), 1);
      return;
    case "duplicate":
      if (list.length > 0) list.splice(edit.to % (list.length + 1), 0, list[pick(edit.at)]!);
      return;
    case "swap":
      if (list.length > 1) {
        const [a, b] = [pick(edit.a), pick(edit.b)];
        [list[a], list[b]] = [list[b]!, list[a]!];
      }
      return;
  }
  const i = pick(edit.at);
  if (i < 0) return;
  const segment = { ...list[i]! };
  if (edit.kind === "size") segment.size = edit.value;
  else if (edit.kind === "type") segment.packType = edit.value;
  else if (edit.kind === "distance" && segment.packType === 6) segment.base = encodeOfsDelta(edit.value);
  else if (edit.kind === "recompress") {
    const data = mutate(segment.data, edit.edits);
    segment.stream = new Uint8Array(deflateSync(data, { level: edit.level }));
    segment.data = data;
    if (!edit.keepSize) segment.size = data.length;
  }
  list[i] = segment;
}

/** Lays the segments out as a pack; the trailer is the right SHA-1 when `fixTrailer`, else the original's. */
function build(fixture: Fixture, edits: readonly PackEdit[], fixTrailer: boolean): Uint8Array {
  const state: Built = { segments: [...fixture.segments], count: undefined, version: 2, tail: new Uint8Array(0) };
  for (const edit of edits) applyEdit(state, edit);
  const header = encodePackHeader(state.count ?? state.segments.length);
  new DataView(header.buffer).setUint32(4, state.version);
  const body = join(header, ...state.segments.flatMap((s) => [encodeEntryHeader(s.packType, s.size), s.base, s.stream]));
  const trailer = fixTrailer ? sha1(body) : fixture.pack.subarray(fixture.pack.length - 20);
  return join(body, trailer, state.tail);
}

// ---- The property -------------------------------------------------------------------------------

interface Parsed {
  entries: PackEntry[];
  result: PackParseResult;
  emitted: Uint8Array;
}

async function parseOn(platform: Platform, bytes: Uint8Array, points: number[], limits: Limits): Promise<{ outcome: Outcome<Parsed>; entries: number }> {
  const entries: PackEntry[] = [];
  const emitted: Uint8Array[] = [];
  const outcome = await settle("parsePack", async () => {
    const result = await parsePack(iterate(splitAt(bytes, points)), {
      platform,
      limits,
      // Copies as plain Uint8Arrays: node:zlib hands out Buffers, whose slice() is a view.
      onEntry: (e) => void entries.push({ ...e, data: new Uint8Array(e.data) }),
      onBytes: (chunk) => void emitted.push(new Uint8Array(chunk)),
    });
    return { entries, result, emitted: join(...emitted) };
  });
  return { outcome, entries: entries.length };
}

/** What a successful parse must satisfy, whatever the input was. */
function checkParsed(bytes: Uint8Array, { entries, result, emitted }: Parsed): void {
  assert.equal(entries.length, result.objectCount);
  let offset = 12;
  const starts = new Set<number>();
  entries.forEach((e, i) => {
    assert.equal(e.index, i);
    assert.equal(e.offset, offset);
    assert.equal(e.data.length, e.size);
    if (e.packType === 6) assert.ok(starts.has(e.baseOffset!) && e.baseOffset! < e.offset);
    else assert.equal(e.baseOffset, undefined);
    assert.equal(e.baseId !== undefined, e.packType === 7);
    assert.ok([1, 2, 3, 4, 6, 7].includes(e.packType));
    starts.add(e.offset);
    offset += e.headerLength + e.compressedLength;
  });
  assert.equal(result.packBytes, offset + 20);
  assert.equal(result.checksum, hex(sha1(bytes.subarray(0, offset))));
  assert.equal(result.checksum, hex(bytes.subarray(offset, offset + 20)));
  const rest = bytes.subarray(offset + 20);
  assert.ok(rest.length === 0 || (rest.length === 4 && rest.every((b) => b === 0x30)), "accepted bytes after the trailer");
  // onBytes sees the pack, not a flush-pkt after it.
  assert.deepEqual(emitted, bytes.subarray(0, result.packBytes));
}

/**
 * Resolves the deltas of a parsed pack as an indexer would: each must end in an object or a
 * ReposError (a REF_DELTA whose base is outside the pack, as in a thin pack, stays unresolved).
 */
function resolveAll(entries: readonly PackEntry[], maxObjectBytes: number): number {
  const byOffset = new Map<number, { type: number; content: Uint8Array }>();
  const byId = new Map<string, { type: number; content: Uint8Array }>();
  let pending = [...entries];
  let failures = 0;
  for (;;) {
    const waiting: PackEntry[] = [];
    for (const e of pending) {
      const base = e.packType < 5 ? undefined : e.packType === 6 ? byOffset.get(e.baseOffset!) : byId.get(e.baseId!);
      if (e.packType >= 5 && base === undefined) {
        waiting.push(e);
        continue;
      }
      let object: { type: number; content: Uint8Array };
      if (base === undefined) object = { type: e.packType, content: e.data };
      else {
        try {
          object = { type: base.type, content: applyDelta(base.content, e.data, maxObjectBytes) };
        } catch (error) {
          assert.ok(error instanceof ReposError, `applyDelta threw ${String(error)}`);
          failures++;
          continue;
        }
      }
      byOffset.set(e.offset, object);
      const header = new TextEncoder().encode(`${TYPE_NAMES[object.type]} ${object.content.length}\0`);
      byId.set(hex(sha1(join(header, object.content))), object);
    }
    if (waiting.length === pending.length) return failures;
    pending = waiting;
  }
}

/** Parses on both platforms, checks each result and that they agree, and resolves the deltas. */
async function checkPack(bytes: Uint8Array, points: number[], limits = resolveLimits()): Promise<Outcome<Parsed>> {
  const native = await parseOn(nodePlatform, bytes, points, limits);
  const portable = await parseOn(portablePlatform, bytes, points, limits);
  assert.equal(portable.outcome.ok, native.outcome.ok, `node ${show(native.outcome)}, portable ${show(portable.outcome)}`);
  assert.equal(portable.entries, native.entries, "the platforms handed out different numbers of entries before failing");
  if (native.outcome.ok && portable.outcome.ok) {
    checkParsed(bytes, native.outcome.value);
    assert.deepEqual(portable.outcome.value, native.outcome.value);
    resolveAll(native.outcome.value.entries, limits.maxObjectBytes);
  }
  return native.outcome;
}

function show(outcome: Outcome<unknown>): string {
  return outcome.ok ? "accepted" : `${outcome.error.name}: ${outcome.error.message}`;
}

/** Counts accepted and refused packs, so a property can check it explored both. */
const tally = { ok: 0, failed: 0 };
function count(outcome: Outcome<unknown>): void {
  tally[outcome.ok ? "ok" : "failed"]++;
}
function assertBothSides(what: string): void {
  assert.ok(tally.ok > 0 && tally.failed > 0, `${what}: ${tally.ok} accepted, ${tally.failed} refused`);
  tally.ok = tally.failed = 0;
}

describe("fuzz: parsePack", () => {
  it("parses git's packs unchanged in any chunking, identically on both platforms (property)", async () => {
    const packs = await gitPacks();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...packs), cuts, async (fixture, points) => {
        const outcome = await checkPack(fixture.pack, points);
        assert.ok(outcome.ok, show(outcome));
        assert.equal(outcome.value.entries.length, fixture.segments.length);
      }),
      fuzzParams(20),
    );
  });

  it("ends in a result or a ReposError on byte-mutated packs, with the trailer fixed or not (property)", async () => {
    const packs = await gitPacks();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...packs), mutations(4, 32), fc.boolean(), cuts, async (fixture, edits, fix, points) => {
        let bytes = mutate(fixture.pack, edits);
        if (fix && bytes.length >= 32) bytes = join(bytes.subarray(0, bytes.length - 20), sha1(bytes.subarray(0, bytes.length - 20)));
        await checkPack(bytes, points);
      }),
      fuzzParams(100),
    );
  });

  it("ends in a result or a ReposError on structurally mutated packs (property)", async () => {
    const packs = await gitPacks();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...packs),
        fc.array(packEdit, { minLength: 1, maxLength: 4 }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        fc.option(mutations(2, 8), { freq: 4 }),
        cuts,
        async (fixture, edits, fix, bytesEdits, points) => {
          let bytes = build(fixture, edits, fix);
          if (bytesEdits !== null) bytes = mutate(bytes, bytesEdits);
          count(await checkPack(bytes, points));
        },
      ),
      fuzzParams(150),
    );
    assertBothSides("structure mutations");
  });

  it("ends in a result or a ReposError on arbitrary bytes after a valid header (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.oneof(interestingByte, fc.integer({ min: 0, max: 255 })), { maxLength: 120 }),
        cuts,
        async (objects, body, points) => {
          const head = join(encodePackHeader(objects), Uint8Array.from(body));
          await checkPack(join(head, sha1(head)), points);
        },
      ),
      fuzzParams(200),
    );
  });

  it("refuses mutated packs under tight limits with LimitError or ProtocolError only (property)", async () => {
    const packs = await gitPacks();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...packs),
        fc.array(packEdit, { maxLength: 2 }),
        fc.record({ maxObjectBytes: fc.integer({ min: 0, max: 3000 }), maxPackObjects: fc.integer({ min: 0, max: 40 }) }),
        cuts,
        async (fixture, edits, overrides, points) => {
          const outcome = await checkPack(build(fixture, edits, true), points, resolveLimits(overrides));
          if (outcome.ok) {
            assert.ok(outcome.value.entries.length <= overrides.maxPackObjects);
            for (const e of outcome.value.entries) assert.ok(e.size <= overrides.maxObjectBytes);
          }
        },
      ),
      fuzzParams(100),
    );
  });
});

// ---- ingestPack -------------------------------------------------------------------------------

function poolEnv(limits: Partial<Limits> = {}) {
  return { store: createMemoryStore(), platform: nodePlatform, limits: resolveLimits(limits), cache: new PoolCache() };
}

/** Ingests `pack` into a fresh pool; returns the outcome and, when it worked, a reader over a cold cache. */
async function ingest(pack: Uint8Array, points: number[], limits: Partial<Limits> = {}) {
  const env = poolEnv(limits);
  const pool = await ObjectPool.open(env, "p");
  const outcome = await settle("ingestPack", () => ingestPack(pool, iterate(splitAt(pack, points)), "b"));
  return { env, outcome };
}

describe("fuzz: ingestPack", () => {
  it("ends in an index or a ReposError on structurally mutated packs (property)", async () => {
    const packs = await gitPacks();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...packs.filter((p) => p.name !== "thin")),
        fc.array(packEdit, { minLength: 1, maxLength: 3 }),
        cuts,
        async (fixture, edits, points) => {
          const { outcome } = await ingest(build(fixture, edits, true), points);
          count(outcome);
          if (outcome.ok && outcome.value.index !== null) assert.equal(outcome.value.index.count, outcome.value.record!.objects);
        },
      ),
      fuzzParams(40),
    );
    assertBothSides("ingest");
  });
});

// ---- Bombs ------------------------------------------------------------------------------------

type ChainLayout = "ofs" | "ref" | "ref, bases last";

/**
 * A blob and a chain of `depth` deltas, each on the one before: OFS_DELTA or REF_DELTA in git's
 * order (every base before its deltas), or REF_DELTA with the deepest delta first and the blob last.
 */
function deltaChain(depth: number, layout: ChainLayout): Uint8Array {
  const encoder = new TextEncoder();
  const contents: Uint8Array[] = [encoder.encode("line 0 of a file that grows by one line per delta\n".repeat(4))];
  for (let i = 1; i <= depth; i++) contents.push(join(contents[i - 1]!, encoder.encode(`line ${i}\n`)));
  const order = contents.map((_, i) => i);
  if (layout === "ref, bases last") order.reverse();
  const parts: Uint8Array[] = [encodePackHeader(depth + 1)];
  const offsets = new Map<number, number>();
  let offset = 12;
  for (const i of order) {
    let head: Uint8Array;
    let payload: Uint8Array;
    if (i === 0) {
      head = encodeEntryHeader(3, contents[0]!.length);
      payload = contents[0]!;
    } else {
      const previous = contents[i - 1]!;
      payload = createDelta(previous, contents[i]!);
      const id = createHash("sha1").update(`blob ${previous.length}\0`).update(previous).digest();
      const base = layout === "ofs" ? encodeOfsDelta(offset - offsets.get(i - 1)!) : new Uint8Array(id);
      head = join(encodeEntryHeader(layout === "ofs" ? 6 : 7, payload.length), base);
    }
    const stream = new Uint8Array(deflateSync(payload));
    offsets.set(i, offset);
    parts.push(head, stream);
    offset += head.length + stream.length;
  }
  const body = join(...parts);
  return join(body, sha1(body));
}

const LAYOUTS: readonly ChainLayout[] = ["ofs", "ref", "ref, bases last"];

describe("fuzz: pack bombs", () => {
  for (const [name, platform] of PLATFORMS) {
    it(`${name}: a pack declaring 2^32-1 objects fails with a LimitError at once, without waiting for them`, async () => {
      const outcome = await settle("parsePack", () =>
        parsePack(stalling([encodePackHeader(0xffffffff)]), { platform, limits: resolveLimits(), onEntry: () => assert.fail("no entry expected") }));
      assert.ok(!outcome.ok && outcome.error instanceof LimitError, show(outcome));
      assert.equal(outcome.error.limit, "maxPackObjects");
    });
  }

  it("ingestPack takes a delta chain exactly maxDeltaDepth long, in every layout", async () => {
    for (const layout of LAYOUTS) {
      const { outcome } = await ingest(deltaChain(8, layout), [], { maxDeltaDepth: 8 });
      assert.ok(outcome.ok, `${layout}: ${show(outcome)}`);
    }
  });

  it("ingestPack refuses a delta chain deeper than maxDeltaDepth, in every layout", async () => {
    // Reproduction (fails today): ingest counts a chain's depth only while it walks entries missing
    // from its delta-base cache, and resolving while streaming (bases first) or in rounds (bases
    // last) always finds the base cached. So a chain of 9 is accepted with maxDeltaDepth 8, and
    // once published its last object cannot be read from a cold cache (ObjectPool.read throws
    // StorageError "Delta chain of object ... is longer than 8").
    const accepted: string[] = [];
    for (const layout of LAYOUTS) {
      const { env, outcome } = await ingest(deltaChain(9, layout), [], { maxDeltaDepth: 8 });
      if (!outcome.ok) continue;
      await publishRegistered(env, outcome.value.record!);
      const cold = await ObjectPool.open({ ...env, cache: new PoolCache() }, "p");
      let deepest = 0;
      for (let g = 0; g < cold.total; g++) if (cold.sizeOf(g) > cold.sizeOf(deepest)) deepest = g;
      accepted.push(`${layout} (reading its deepest object: ${show(await settle("ObjectPool.read", () => cold.read(deepest)))})`);
    }
    assert.deepEqual(accepted, [], "a chain of 9 deltas was accepted with maxDeltaDepth 8");
  });

  it("ingestPack refuses a thin delta on a stored chain already maxDeltaDepth long, or keeps it readable", async () => {
    // Reproduction (fails today): the first push stores a chain of 8 (the limit); the second sends
    // one REF_DELTA against its deepest object, as a thin pack does. Ingest counts an external
    // base as depth 0 and accepts it, and ObjectPool.read then follows 9 deltas and refuses.
    const env = poolEnv({ maxDeltaDepth: 8 });
    const first = await ingestPack(await ObjectPool.open(env, "p"), iterate([deltaChain(8, "ofs")]), "b1");
    await publishRegistered(env, first.record!);
    const encoder = new TextEncoder();
    let deepest: Uint8Array = encoder.encode("line 0 of a file that grows by one line per delta\n".repeat(4));
    for (let i = 1; i <= 8; i++) deepest = join(deepest, encoder.encode(`line ${i}\n`));
    const target = join(deepest, encoder.encode("line 9\n"));
    const delta = createDelta(deepest, target);
    const baseId = new Uint8Array(createHash("sha1").update(`blob ${deepest.length}\0`).update(deepest).digest());
    const body = join(encodePackHeader(1), encodeEntryHeader(7, delta.length), baseId, new Uint8Array(deflateSync(delta)));
    const outcome = await settle("ingestPack", async () => ingestPack(await ObjectPool.open(env, "p"), iterate([join(body, sha1(body))]), "b2"));
    if (outcome.ok) {
      await publishRegistered(env, outcome.value.record!);
      const cold = await ObjectPool.open({ ...env, cache: new PoolCache() }, "p");
      const id = createHash("sha1").update(`blob ${target.length}\0`).update(target).digest("hex");
      const read = await settle("ObjectPool.readById", () => cold.readById(id));
      assert.ok(read.ok, `accepted, then unreadable: ${show(read)}`);
    }
  });
});
