/**
 * Fuzzing the request decoders of the smart protocol: decodeFetchV0 (gitprotocol-pack "Packfile
 * Negotiation"), decodeFetchV2Args (gitprotocol-v2 "fetch"), decodePushRequest (gitprotocol-pack
 * "Reference Update Request and Packfile Transfer") and parseFilter (rev-list-options
 * "--filter=<filter-spec>").
 *
 * Requests are generated from a model, encoded as git would send them, and decoded back to the
 * model; then streams of protocol-shaped and random lines, and byte mutations of real encodings,
 * must decode to a request or a ReposError without hanging. Bombs: an endless stream of one kind
 * of line must end in a LimitError after the limit's worth of lines, for every kind that
 * accumulates (commands, shallow lines and push options in a push; wants, haves, shallow and
 * deepen-not lines in a fetch).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LimitError } from "../../../src/errors.ts";
import { encodePktLines, type PktLineInput, PktLineReader } from "../../../src/git/pkt-line.ts";
import { type Limits, resolveLimits } from "../../../src/limits.ts";
import { decodeFetchV0, decodeFetchV2Args, emptyFetchRequest, type FetchRequest } from "../../../src/repo/fetch-request.ts";
import { parseFilter } from "../../../src/repo/object-filter.ts";
import { decodePushRequest } from "../../../src/repo/push-request.ts";
import { cuts, endless, fuzzParams, iterate, mutations, mutate, settle, settleSync, splitAt } from "./fuzz-support.ts";

const oid = fc.stringMatching(/^[0-9a-f]{40}$/);
/** Text for ref names, options and filter specs: no NUL or newline, which framing reserves. */
const word = fc.string({ unit: "binary", minLength: 1, maxLength: 16 }).map((s) => s.replace(/[\0\n ]/g, "_"));

function reader(bytes: Uint8Array, points: number[]): PktLineReader {
  return new PktLineReader(iterate(splitAt(bytes, points)));
}

// ---- Push --------------------------------------------------------------------------------------

const pushCaps = fc.subarray(["report-status", "report-status-v2", "delete-refs", "side-band-64k", "quiet", "atomic", "ofs-delta", "push-options", "agent=git/2.39.5", "session-id=abc", "object-format=sha1"]);

// Plain objects, as decoders build them (fast-check may otherwise give null-prototype records).
const plain = { noNullPrototype: true } as const;

const push = fc.record({
  shallow: fc.array(oid, { maxLength: 3 }),
  commands: fc.array(fc.record({ oldId: oid, newId: oid, name: word.map((w) => `refs/heads/${w}`) }, plain), { minLength: 1, maxLength: 5 }),
  caps: pushCaps,
  options: fc.array(word, { maxLength: 3 }),
});

type PushModel = typeof push extends fc.Arbitrary<infer T> ? T : never;

function encodePush(model: PushModel): Uint8Array {
  const lines: PktLineInput[] = model.shallow.map((id) => `shallow ${id}`);
  model.commands.forEach((c, i) => lines.push(`${c.oldId} ${c.newId} ${c.name}${i === 0 ? `\0${model.caps.join(" ")}` : ""}\n`));
  lines.push("flush");
  if (model.caps.includes("push-options")) lines.push(...model.options.map((o) => `${o}\n`), "flush");
  return encodePktLines(lines);
}

// ---- Fetch -------------------------------------------------------------------------------------

const fetchCaps = fc.subarray(["multi_ack", "multi_ack_detailed", "thin-pack", "side-band", "side-band-64k", "ofs-delta", "shallow", "deepen-since", "deepen-not", "deepen-relative", "no-progress", "include-tag", "no-done", "filter", "agent=git/2.39.5", "object-format=sha1"]);

const fetch = fc.record({
  wants: fc.array(oid, { minLength: 1, maxLength: 4 }),
  caps: fetchCaps,
  shallow: fc.array(oid, { maxLength: 2 }),
  depth: fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
  since: fc.option(fc.integer({ min: 1, max: 2e9 }), { nil: undefined }),
  deepenNot: fc.array(word, { maxLength: 2 }),
  filter: fc.option(fc.constantFrom("blob:none", "blob:limit=1k", "tree:0", "combine:blob:none+tree:2"), { nil: undefined }),
  haves: fc.array(oid, { maxLength: 5 }),
  done: fc.boolean(),
});

type FetchModel = typeof fetch extends fc.Arbitrary<infer T> ? T : never;

/** The section-1 lines after the wants, shared by v0 and v2. */
function deepenLines(model: FetchModel): string[] {
  const lines = model.shallow.map((id) => `shallow ${id}`);
  if (model.depth !== undefined) lines.push(`deepen ${model.depth}`);
  if (model.since !== undefined) lines.push(`deepen-since ${model.since}`);
  lines.push(...model.deepenNot.map((ref) => `deepen-not ${ref}`));
  if (model.filter !== undefined) lines.push(`filter ${model.filter}`);
  return lines;
}

function encodeFetchV0(model: FetchModel): Uint8Array {
  const lines: PktLineInput[] = model.wants.map((id, i) => `want ${id}${i === 0 && model.caps.length > 0 ? ` ${model.caps.join(" ")}` : ""}\n`);
  lines.push(...deepenLines(model).map((l) => `${l}\n`), "flush");
  lines.push(...model.haves.map((id) => `have ${id}\n`));
  lines.push(model.done ? "done\n" : "flush");
  return encodePktLines(lines);
}

/** What decoding must give for `model`, built from the protocol documents rather than the decoder. */
function expectedFetch(model: FetchModel, v2: boolean): FetchRequest {
  const caps = new Set(model.caps.map((c) => c.split("=")[0]!));
  const req = emptyFetchRequest();
  req.wants = model.wants;
  req.haves = model.haves;
  req.sawHaves = model.haves.length > 0;
  req.done = model.done;
  req.clientShallow = model.shallow;
  req.depth = model.depth ?? 0;
  req.deepenSince = model.since ?? null;
  req.deepenNot = model.deepenNot;
  req.filter = model.filter ?? null;
  if (v2) {
    req.sideband = 65520;
    return req;
  }
  req.multiAck = caps.has("multi_ack_detailed") ? 2 : caps.has("multi_ack") ? 1 : 0;
  req.noDone = caps.has("no-done");
  req.thinPack = caps.has("thin-pack");
  req.ofsDelta = caps.has("ofs-delta");
  req.sideband = caps.has("side-band-64k") ? 65520 : caps.has("side-band") ? 1000 : 0;
  req.noProgress = caps.has("no-progress");
  req.includeTag = caps.has("include-tag");
  req.deepenRelative = caps.has("deepen-relative");
  return req;
}

// ---- Hostile lines ----------------------------------------------------------------------------

const ID = "89e5a4cb2b0f5a0ac5e8ba8d1d1f8b4ac9f4b4c1";
const requestLine = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(`want ${ID}\n`, `want ${ID} multi_ack side-band-64k filter\n`, `have ${ID}\n`, `shallow ${ID}\n`, "done\n", "deepen 3\n", "deepen 0\n", "deepen -1\n", "deepen 1e3\n", "deepen-since 1700000000\n", "deepen-since x\n", "deepen-not refs/heads/main\n", "filter blob:none\n", "filter bogus\n", "thin-pack\n", "wait-for-done\n") },
  { weight: 3, arbitrary: fc.constantFrom(`${ID} ${ID} refs/heads/main\0report-status push-options atomic\n`, `${ID} ${ID} refs/heads/x\n`, `${ID} ${ID} \n`, `${ID}  ${ID} refs/heads/x\n`, `${ID} ${ID} refs/heads/x\0object-format=sha256\n`, `${ID} ${ID} refs/heads/x\0unknown-cap\n`, "push-option-value\n") },
  { weight: 2, arbitrary: fc.constantFrom<PktLineInput>("flush", "delim", "response-end") },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("want ", "have ", "shallow ", "deepen ", "filter ", ""), fc.string({ unit: "binary", maxLength: 45 })).map(([k, v]) => k + v) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 50 }) },
);

const tightLimits = fc.record({
  maxWants: fc.integer({ min: 0, max: 4 }),
  maxHaves: fc.integer({ min: 0, max: 4 }),
  maxRefUpdates: fc.integer({ min: 0, max: 4 }),
});

async function decodeAll(bytes: Uint8Array, points: number[], limits: Limits): Promise<void> {
  await settle("decodeFetchV0", () => decodeFetchV0(reader(bytes, points), limits));
  await settle("decodePushRequest", () => decodePushRequest(reader(bytes, points), limits));
}

describe("fuzz: request decoders", () => {
  it("decode every push a client can send back to its commands, capabilities, shallow lines and options (property)", async () => {
    await fc.assert(
      fc.asyncProperty(push, cuts, async (model, points) => {
        const outcome = await settle("decodePushRequest", () => decodePushRequest(reader(encodePush(model), points), resolveLimits()));
        assert.ok(outcome.ok && outcome.value !== null, outcome.ok ? "null" : outcome.error.message);
        const { commands, capabilities, shallow, options } = outcome.value;
        assert.deepEqual(commands, model.commands);
        assert.deepEqual(shallow, model.shallow);
        assert.deepEqual([...capabilities.keys()], model.caps.map((c) => c.split("=")[0]));
        assert.deepEqual(options, model.caps.includes("push-options") ? model.options : []);
      }),
      fuzzParams(300),
    );
  });

  it("decode every v0 fetch and every v2 fetch argument list back to the request (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fetch, cuts, async (model, points) => {
        const v0Model = { ...model, filter: model.caps.includes("filter") ? model.filter : undefined };
        const v0 = await settle("decodeFetchV0", () => decodeFetchV0(reader(encodeFetchV0(v0Model), points), resolveLimits()));
        assert.ok(v0.ok, v0.ok ? "" : v0.error.message);
        assert.deepEqual(v0.value, expectedFetch(v0Model, false));
        const args = [...model.wants.map((id) => `want ${id}`), ...model.haves.map((id) => `have ${id}`), ...deepenLines(model)];
        if (model.done) args.push("done");
        const v2 = settleSync("decodeFetchV2Args", () => decodeFetchV2Args(args, resolveLimits()));
        assert.ok(v2.ok, v2.ok ? "" : v2.error.message);
        assert.deepEqual(v2.value, expectedFetch(model, true));
      }),
      fuzzParams(300),
    );
  });

  it("end in a request or a ReposError on streams of protocol lines and junk, under any limits (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requestLine, { maxLength: 14 }), cuts, tightLimits, async (lines, points, limits) => {
        await decodeAll(encodePktLines(lines), points, resolveLimits(limits));
        const args = lines.filter((l): l is string => typeof l === "string").map((l) => l.replace(/\n$/, ""));
        settleSync("decodeFetchV2Args", () => decodeFetchV2Args(args, resolveLimits(limits)));
      }),
      fuzzParams(400),
    );
  });

  it("end in a request or a ReposError on byte-mutated requests (property)", async () => {
    const request = fc.oneof(push.map(encodePush), fetch.map(encodeFetchV0));
    await fc.assert(
      fc.asyncProperty(request, mutations(3, 12), cuts, async (bytes, edits, points) => {
        await decodeAll(mutate(bytes, edits), points, resolveLimits());
      }),
      fuzzParams(400),
    );
  });

  it("parseFilter ends in a filter or a ReposError on any spec (property)", () => {
    const spec = fc.oneof(
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.tuple(fc.constantFrom("blob:none", "blob:limit=", "tree:", "object:type=", "combine:", "sparse:oid=", "%", "+"), fc.string({ maxLength: 12 }), fc.constantFrom("", "k", "m", "g", "%2B", "%zz", "+tree:1"))
        .map((parts) => parts.join("")),
      fc.bigInt({ min: 0n, max: 10n ** 400n }).map((n) => `blob:limit=${n}g`),
    );
    fc.assert(
      fc.property(spec, (s) => {
        const outcome = settleSync("parseFilter", () => parseFilter(s));
        if (outcome.ok) {
          const { blobLimit, treeDepth } = outcome.value;
          for (const n of [blobLimit, treeDepth]) assert.ok(n === undefined || n >= 0, `${s} gave ${n}`);
        }
      }),
      fuzzParams(2000),
    );
  });
});

// ---- Bombs --------------------------------------------------------------------------------------

const LIMIT = 50;
const limits = resolveLimits({ maxWants: LIMIT, maxHaves: LIMIT, maxRefUpdates: LIMIT });

/** Feeds `head` then `unit` forever (16 frames a chunk) and expects a LimitError naming `limit`. */
async function expectLimit(decode: (r: PktLineReader) => Promise<unknown>, head: PktLineInput[], unit: string, limit: keyof Limits): Promise<void> {
  const frames = endless(encodePktLines([unit]), 16, 200);
  const prefix = encodePktLines(head);
  async function* source(): AsyncGenerator<Uint8Array> {
    if (prefix.length > 0) yield prefix;
    yield* frames.source;
  }
  const outcome = await settle(`decode of endless ${JSON.stringify(unit)}`, () => decode(new PktLineReader(source())));
  assert.ok(!outcome.ok && outcome.error instanceof LimitError, outcome.ok ? `decoded ${JSON.stringify(outcome.value)?.slice(0, 200)}` : outcome.error.message);
  assert.equal(outcome.error.limit, limit);
  // It stopped right after the limit: at most a few chunks of 16 frames past it.
  assert.ok(frames.chunks() <= LIMIT / 16 + 3, `read ${frames.chunks()} chunks`);
}

describe("fuzz: request bombs", () => {
  const push = (r: PktLineReader) => decodePushRequest(r, limits);
  const v0 = (r: PktLineReader) => decodeFetchV0(r, limits);
  const command = `${ID} ${ID} refs/heads/x\n`;

  it("an endless push of ref updates stops at maxRefUpdates", async () => {
    await expectLimit(push, [`${command.trimEnd()}\0report-status\n`], command, "maxRefUpdates");
  });

  it("an endless list of push options stops at a bound", async () => {
    const options = endless(encodePktLines(["option\n"]), 64, 64);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield encodePktLines([`${command.trimEnd()}\0push-options\n`, "flush"]);
      yield* options.source;
    }
    const outcome = await settle("decodePushRequest", () => decodePushRequest(new PktLineReader(source()), limits));
    assert.ok(!outcome.ok && outcome.error instanceof LimitError);
  });

  // Regression: shallow lines of a push were collected without a bound (only maxPushBytes, 2 GiB).
  it("an endless push of shallow lines stops at maxWants", async () => {
    await expectLimit(push, [], `shallow ${ID}\n`, "maxWants");
  });

  it("an endless v0 fetch of want lines stops at maxWants", async () => {
    await expectLimit(v0, [`want ${ID} multi_ack\n`], `want ${ID}\n`, "maxWants");
  });

  it("an endless v0 fetch of have lines stops at maxHaves", async () => {
    await expectLimit(v0, [`want ${ID}\n`, "flush"], `have ${ID}\n`, "maxHaves");
  });

  it("an endless v0 fetch of shallow lines stops at maxWants", async () => {
    await expectLimit(v0, [`want ${ID} shallow\n`], `shallow ${ID}\n`, "maxWants");
  });

  // Regression: deepen-not lines were collected without a bound, in v0 and in v2.
  it("an endless v0 fetch of deepen-not lines stops at maxWants", async () => {
    await expectLimit(v0, [`want ${ID} deepen-not\n`], "deepen-not refs/heads/main\n", "maxWants");
  });

  it("a huge v2 argument list stops at maxHaves, maxWants, and for deepen-not at maxWants", () => {
    const many = (line: string) => Array.from({ length: 10 * LIMIT }, () => line);
    for (const [args, limit] of [[many(`have ${ID}`), "maxHaves"], [many(`want ${ID}`), "maxWants"], [many(`shallow ${ID}`), "maxWants"], [many("deepen-not refs/heads/x"), "maxWants"]] as const) {
      const outcome = settleSync("decodeFetchV2Args", () => decodeFetchV2Args(args, limits));
      assert.ok(!outcome.ok && outcome.error instanceof LimitError, `${args[0]}: ${outcome.ok ? "accepted" : outcome.error.message}`);
      assert.equal(outcome.error.limit, limit);
    }
  });
});
