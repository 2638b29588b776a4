import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { portablePlatform } from "../../../src/git/portable-platform.ts";
import type { Platform } from "../../../src/platform.ts";
import {
  anyData,
  concat,
  CORRUPT_CASES,
  DYNAMIC_SINGLE_CODE,
  FIXED_ABABAB,
  nodeDeflate,
  truncationStreams,
  zlibOptions,
} from "./zlib-fixtures.ts";

const BIG = 1 << 30;

type Outcome =
  | { kind: "ok"; data: Uint8Array; consumed: number }
  | { kind: "null" }
  | { kind: "ProtocolError"; code: string }
  | { kind: "LimitError"; limit: string };

/** What one platform's inflate did, in a form deepEqual can compare across platforms. */
function outcome(platform: Platform, input: Uint8Array, expectedSize: number, maxOutput: number): Outcome {
  try {
    const result = platform.inflate(input, expectedSize, maxOutput);
    if (result === null) return { kind: "null" };
    return { kind: "ok", data: new Uint8Array(result.data), consumed: result.consumed };
  } catch (error) {
    if (error instanceof ProtocolError) return { kind: "ProtocolError", code: error.code };
    if (error instanceof LimitError) return { kind: "LimitError", limit: error.limit };
    throw error;
  }
}

function assertSame(input: Uint8Array, expectedSize = -1, maxOutput = BIG): Outcome {
  const native = outcome(nodePlatform, input, expectedSize, maxOutput);
  assert.deepEqual(outcome(portablePlatform, input, expectedSize, maxOutput), native);
  return native;
}

describe("portablePlatform behaves like nodePlatform", () => {
  it("hashes the same", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
        const ours = portablePlatform.sha1();
        const native = nodePlatform.sha1();
        for (const chunk of chunks) {
          ours.update(chunk);
          native.update(chunk);
        }
        assert.deepEqual(ours.digest(), new Uint8Array(native.digest()));
      }),
      { numRuns: 300 },
    );
  });

  it("inflates the same data and consumed count, with trailing bytes", () => {
    fc.assert(
      fc.property(anyData, zlibOptions, fc.uint8Array({ maxLength: 40 }), (data, options, junk) => {
        const stream = nodeDeflate(data, options);
        const result = assertSame(concat([stream, junk]), data.length);
        assert.equal(result.kind, "ok");
      }),
      { numRuns: 300 },
    );
  });

  it("returns null for the same truncated inputs", () => {
    for (const { stream } of truncationStreams()) {
      for (let end = 0; end < stream.length; end++) {
        assert.equal(assertSame(stream.subarray(0, end)).kind, "null", `prefix of ${end} bytes`);
      }
    }
  });

  it("rejects the same corrupt streams", () => {
    for (const { name, bytes } of CORRUPT_CASES) {
      assert.deepEqual(assertSame(bytes), { kind: "ProtocolError", code: "ERR_ZLIB" }, name);
    }
    assert.equal(assertSame(FIXED_ABABAB).kind, "ok");
    assert.equal(assertSame(DYNAMIC_SINGLE_CODE).kind, "ok");
  });

  it("agrees on streams with changed bytes: same data, null or ERR_ZLIB", () => {
    const streams = truncationStreams();
    fc.assert(
      fc.property(
        fc.constantFrom(...streams),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        ({ stream, data }, flips, cut) => {
          const bad = stream.slice();
          for (const [at, mask] of flips) bad[at % bad.length]! ^= mask;
          // The declared size, as pack entries give it: zlib then never consults its window, and
          // accepts (as we do) a distance beyond a window smaller than 32 KiB declared in the header.
          assertSame(cut ? bad.subarray(0, bad.length - 5) : bad, data.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("enforces maxOutput the same way", () => {
    const data = new TextEncoder().encode("limits ".repeat(300));
    for (const options of [{ level: 0 }, { level: 1 }, { level: 9 }]) {
      const stream = nodeDeflate(data, options);
      assert.equal(assertSame(stream, -1, data.length).kind, "ok");
      assert.deepEqual(assertSame(stream, -1, data.length - 1), {
        kind: "LimitError",
        limit: "maxObjectBytes",
      });
      assert.deepEqual(assertSame(stream, data.length, 100), { kind: "LimitError", limit: "maxObjectBytes" });
    }
  });

  it("reads each other's deflate output", () => {
    fc.assert(
      fc.property(anyData, (data) => {
        const ours = portablePlatform.deflate(data);
        const native = nodePlatform.deflate(data);
        assert.deepEqual(new Uint8Array(nodePlatform.inflate(ours, -1, BIG)!.data), data);
        assert.deepEqual(portablePlatform.inflate(native, -1, BIG)!.data, data);
      }),
      { numRuns: 200 },
    );
  });
});
