/**
 * Fuzzing the REST input layer (http/rest-schemas.ts): parseInput with every schema on arbitrary
 * JSON values and on valid bodies changed field by field (removed, retyped, oversized, extra keys,
 * prototype-shaped keys), the query schemas on arbitrary query records as itty-router parses them,
 * and readJson on arbitrary and endless bodies. The only failure allowed is an ArtifactsError (the
 * public error the REST envelope carries), with a pointer that names a field of the input.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as v from "valibot";
import { ArtifactsError } from "../../../src/errors.ts";
import {
  CreateNamespaceBody,
  CreateRepoBody,
  CreateTokenBody,
  ForkBody,
  ImportBody,
  NamespaceListQuery,
  parseInput,
  queryObject,
  readJson,
  RepoListQuery,
  TokenListQuery,
} from "../../../src/http/rest-schemas.ts";
import { endless, fuzzParams, type Outcome, settle, settleSync } from "./fuzz-support.ts";

const BODIES = { CreateRepoBody, CreateTokenBody, CreateNamespaceBody, ForkBody, ImportBody } as const;
const QUERIES = { RepoListQuery, TokenListQuery, NamespaceListQuery } as const;
const SCHEMAS = { ...BODIES, ...QUERIES };
type SchemaName = keyof typeof SCHEMAS;

/** One valid input per body schema, as a client would send it. */
const VALID: Record<keyof typeof BODIES, Record<string, unknown>> = {
  CreateRepoBody: { name: "repo", description: "d", default_branch: "main", read_only: false },
  CreateTokenBody: { repo: "repo", scope: "write", ttl: 3600 },
  CreateNamespaceBody: { namespace: "ns", jurisdiction: "eu" },
  ForkBody: { name: "fork", description: null, read_only: true, default_branch_only: true },
  ImportBody: { url: "https://example.com/a.git", branch: "main", depth: 1, read_only: false, description: "d" },
};

/** Only ArtifactsError, with a pointer that is "/" plus a key of the input (or none). */
function checkParse(name: SchemaName, input: unknown): Outcome<unknown> {
  const outcome = settleSync(`parseInput(${name})`, () => parseInput(SCHEMAS[name], input));
  if (!outcome.ok) {
    assert.ok(outcome.error instanceof ArtifactsError, `${outcome.error.name}: ${outcome.error.message}`);
    const pointer = outcome.error.source?.pointer;
    if (pointer !== undefined) assert.match(pointer, /^\/[a-z_]+$/);
    assert.ok(["INVALID_INPUT", "INVALID_REPO_NAME", "INVALID_TTL"].includes(outcome.error.code));
  } else {
    assert.ok(v.is(SCHEMAS[name], input) || name in QUERIES, "parseInput accepted what the schema refuses");
  }
  return outcome;
}

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom("", "x".repeat(5000), "\u0000", "\ud800", -1, 0, 1.5, 2 ** 53, Number.MAX_VALUE, -0, true, null, [], {}),
);

type FieldEdit = { kind: "remove"; at: number } | { kind: "set"; at: number; value: unknown } | { kind: "extra"; key: string; value: unknown };

const fieldEdit: fc.Arbitrary<FieldEdit> = fc.oneof(
  fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: hostileValue }),
  fc.record({
    kind: fc.constant("extra" as const),
    key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "prototype", "toString")),
    value: hostileValue,
  }),
);

/** Applies edits as JSON.parse would build the object (own "__proto__" keys included). */
function edited(valid: Record<string, unknown>, edits: readonly FieldEdit[]): unknown {
  let json = JSON.stringify(valid);
  for (const edit of edits) {
    const object = JSON.parse(json) as Record<string, unknown>;
    const keys = Object.keys(object);
    if (edit.kind === "extra") {
      json = `${json.slice(0, -1)}${keys.length > 0 ? "," : ""}${JSON.stringify(edit.key)}:${JSON.stringify(edit.value)}}`;
      continue;
    }
    if (keys.length === 0) continue;
    const key = keys[edit.at % keys.length]!;
    if (edit.kind === "remove") delete object[key];
    else object[key] = edit.value;
    json = JSON.stringify(object);
  }
  return JSON.parse(json);
}

/** A Request whose body streams `chunks`. */
function requestOf(source: AsyncIterable<Uint8Array>): Request {
  const iterator = source[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
  });
  return new Request("http://localhost/v4/repos", { method: "POST", body, duplex: "half" } as RequestInit);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe("fuzz: parseInput", () => {
  it("accepts every valid body", () => {
    for (const [name, input] of Object.entries(VALID)) assert.ok(checkParse(name as SchemaName, input).ok, name);
  });

  it("ends in a value or an ArtifactsError on arbitrary JSON, for every schema (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(SCHEMAS) as SchemaName[])), fc.jsonValue({ maxDepth: 3 }), (name, input) => {
        checkParse(name, input);
      }),
      fuzzParams(1500),
    );
  });

  it("ends in a value or an ArtifactsError on valid bodies with fields removed, retyped or added (property)", () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(VALID) as (keyof typeof BODIES)[])), fc.array(fieldEdit, { minLength: 1, maxLength: 3 }), (name, edits) => {
        if (!checkParse(name, edited(VALID[name], edits)).ok) refused++;
      }),
      fuzzParams(1500),
    );
    assert.ok(refused > 0);
  });

  it("ends in a value or an ArtifactsError on any value at all, not only JSON (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(SCHEMAS) as SchemaName[])), fc.anything({ maxDepth: 2, withNullPrototype: true, withMap: true, withBigInt: true }), (name, input) => {
        checkParse(name, input);
      }),
      fuzzParams(800),
    );
  });

  it("parses query records as itty-router gives them, numbers within their bounds (property)", () => {
    const value = fc.oneof(fc.constantFrom("1", "0", "-1", "200", "201", "1000000", "1e3", "01", " 5", "asc", "desc", "name", "all", ""), fc.string({ maxLength: 6 }));
    const query = fc.dictionary(
      fc.constantFrom("limit", "cursor", "page", "per_page", "search", "sort", "direction", "state", "x"),
      fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.constant(undefined)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(QUERIES) as (keyof typeof QUERIES)[])), query, (name, raw) => {
        const outcome = checkParse(name, queryObject(raw));
        if (!outcome.ok) return;
        for (const [key, n] of Object.entries(outcome.value as Record<string, unknown>)) {
          if (typeof n === "number") assert.ok(Number.isSafeInteger(n) && n >= 1 && n <= 1_000_000, `${key}=${n}`);
        }
      }),
      fuzzParams(1500),
    );
  });
});

describe("fuzz: readJson", () => {
  it("ends in a value or an ArtifactsError on arbitrary bodies (property)", async () => {
    const body = fc.oneof(fc.json().map((j) => new TextEncoder().encode(j)), fc.uint8Array({ maxLength: 60 }), fc.string().map((s) => new TextEncoder().encode(s)));
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const outcome = await settle("readJson", () => readJson(requestOf(once(bytes)), 40));
        if (!outcome.ok) assert.ok(outcome.error instanceof ArtifactsError && outcome.error.code === "INVALID_INPUT", outcome.error.message);
        else assert.ok(bytes.length <= 40, `accepted a ${bytes.length}-byte body with a 40-byte limit`);
      }),
      fuzzParams(300),
    );
  });

  // Regression: readJson read the whole body with request.text() before comparing its length to
  // the limit, so an endless (or 2 GiB) body was buffered in full; and it counted UTF-16 units.
  it("stops an endless body at the limit instead of buffering it", async () => {
    const stream = endless(new TextEncoder().encode('{"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}'), 1024, 200);
    const outcome = await settle("readJson", () => readJson(requestOf(stream.source), 1024 * 1024));
    assert.ok(!outcome.ok && outcome.error instanceof ArtifactsError && outcome.error.code === "INVALID_INPUT");
    assert.ok(stream.chunks() <= 1024 * 1024 / (45 * 1024) + 2, `read ${stream.chunks()} chunks of 45 KiB`);
  });

  it("counts the limit in bytes, not characters", async () => {
    const body = new TextEncoder().encode(JSON.stringify({ name: "\u00e9".repeat(30) }));
    assert.equal(body.length, 71);
    const outcome = await settle("readJson", () => readJson(requestOf(once(body)), 64));
    assert.ok(!outcome.ok && outcome.error.code === "INVALID_INPUT");
    const fits = await settle("readJson", () => readJson(requestOf(once(body)), 71));
    assert.ok(fits.ok);
    assert.deepEqual(fits.value, { name: "\u00e9".repeat(30) });
  });
});
