import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ByteQueue,
  bytesEqual,
  compareBytes,
  concatBytes,
  hexDecode,
  hexEncode,
  hexValue,
  quoteBytes,
  quoteValue,
  readUint32BE,
  utf8ByteLength,
  utf8Decode,
  utf8DecodeStrict,
  utf8Encode,
  writeUint32BE,
} from "../../../src/util/bytes.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("concatBytes / bytesEqual / compareBytes", () => {
  it("concatenates parts in order", () => {
    assert.deepEqual(concatBytes([bytes(1, 2), bytes(), bytes(3)]), bytes(1, 2, 3));
    assert.deepEqual(concatBytes([]), bytes());
    assert.deepEqual(concatBytes([bytes(7)], 3), bytes(7, 0, 0));
  });

  it("returns a copy, not an input part", () => {
    const part = bytes(1, 2);
    const out = concatBytes([part]);
    out[0] = 9;
    assert.equal(part[0], 1);
  });

  it("compares like memcmp", () => {
    assert.equal(compareBytes(bytes(1, 2, 3), 0, bytes(1, 2, 4), 0, 3), -1);
    assert.equal(compareBytes(bytes(9, 1, 2, 5), 1, bytes(1, 2, 4), 0, 3), 1);
    assert.equal(compareBytes(bytes(9, 1, 2), 1, bytes(1, 2), 0, 2), 0);
    assert.equal(compareBytes(bytes(1), 0, bytes(2), 0, 0), 0);
    assert.equal(compareBytes(bytes(0x80), 0, bytes(0x7f), 0, 1), 1, "bytes compare unsigned");
  });

  it("agrees with a naive comparison (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        const len = Math.min(a.length, b.length);
        let expected = 0;
        for (let i = 0; i < len && expected === 0; i++) expected = Math.sign(a[i]! - b[i]!);
        assert.equal(compareBytes(a, 0, b, 0, len), expected);
        assert.equal(bytesEqual(a, b), a.length === b.length && expected === 0);
      }),
    );
  });
});

describe("UTF-8", () => {
  it("round-trips any string without lone surrogates", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        assert.equal(utf8Decode(utf8Encode(text)), text);
        assert.equal(utf8DecodeStrict(utf8Encode(text)), text);
      }),
    );
  });

  it("computes the encoded length without encoding, lone surrogates included", () => {
    const units = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }).map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(fc.oneof(units, fc.string({ unit: "binary" })), (text) => {
        assert.equal(utf8ByteLength(text), utf8Encode(text).length);
      }),
    );
    assert.equal(utf8ByteLength("a\u00e9\u20ac\u{1f600}"), 1 + 2 + 3 + 4);
    assert.equal(utf8ByteLength("\ud800"), 3);
    assert.equal(utf8ByteLength("\udc00\ud800"), 6);
  });

  it("keeps a leading byte-order mark", () => {
    assert.equal(utf8Decode(bytes(0xef, 0xbb, 0xbf, 0x61)), "\ufeffa");
    assert.equal(utf8DecodeStrict(bytes(0xef, 0xbb, 0xbf, 0x61)), "\ufeffa");
  });

  it("replaces invalid bytes leniently and rejects them strictly", () => {
    assert.equal(utf8Decode(bytes(0x61, 0xff, 0x62)), "a\ufffdb");
    assert.throws(() => utf8DecodeStrict(bytes(0x61, 0xff)), {
      name: "TypeError",
      message: "Cannot decode UTF-8: 2 bytes are not valid UTF-8",
    });
  });
});

describe("hex", () => {
  it("encodes known values", () => {
    assert.equal(hexEncode(bytes(0, 1, 0xab, 0xff)), "0001abff");
    assert.equal(hexEncode(bytes(0, 1, 0xab, 0xff), 1, 2), "01ab");
    assert.equal(hexEncode(bytes(0, 1, 0xab, 0xff), 2), "abff");
    assert.equal(hexEncode(bytes()), "");
  });

  it("round-trips short and long inputs (both code paths)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        const hex = hexEncode(data);
        assert.equal(hex, Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(""));
        assert.deepEqual(hexDecode(hex), data);
        assert.deepEqual(hexDecode(hex.toUpperCase()), data);
      }),
    );
  });

  it("rejects bad input with a clear message", () => {
    assert.throws(() => hexDecode("abc"), { name: "RangeError", message: 'Cannot decode hex "abc": expected an even number of digits, got 3' });
    assert.throws(() => hexDecode("0g"), { name: "RangeError", message: 'Cannot decode hex "0g": expected only hexadecimal digits' });
    assert.throws(() => hexEncode(bytes(1, 2), 1, 2), RangeError);
  });

  it("maps hex digit codes", () => {
    assert.equal(hexValue("f".charCodeAt(0)), 15);
    assert.equal(hexValue("F".charCodeAt(0)), 15);
    assert.equal(hexValue("g".charCodeAt(0)), -1);
    assert.equal(hexValue(0x660), -1);
  });
});

describe("uint32 big-endian", () => {
  it("reads and writes the full unsigned range", () => {
    const buf = new Uint8Array(6);
    writeUint32BE(buf, 1, 0xfffffffe);
    assert.deepEqual(buf, bytes(0, 0xff, 0xff, 0xff, 0xfe, 0));
    assert.equal(readUint32BE(buf, 1), 0xfffffffe);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        writeUint32BE(buf, 2, n);
        assert.equal(readUint32BE(buf, 2), n);
      }),
    );
  });
});

describe("quoting for messages", () => {
  it("escapes and truncates", () => {
    assert.equal(quoteValue("00zz"), '"00zz"');
    assert.equal(quoteValue("a\u0000"), '"a\\u0000"');
    assert.equal(quoteValue("x".repeat(100), 5), '"xxxxx"... (100 characters)');
    assert.equal(quoteBytes(bytes(0x30, 0x00, 0xff)), '"0\\u0000\u00ff"');
    assert.equal(quoteBytes(new Uint8Array(1000), 2), '"\\u0000\\u0000"... (1000 bytes)');
  });
});

/** The obvious implementation ByteQueue must agree with. */
class NaiveQueue {
  data: number[] = [];
  push(chunk: Uint8Array) {
    this.data.push(...chunk);
  }
  take(n: number) {
    return Uint8Array.from(this.data.splice(0, n));
  }
}

type Op =
  | { op: "push"; chunk: Uint8Array }
  | { op: "peek" | "take" | "skip" | "byteAt" | "takeAll" | "drain"; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("push" as const), chunk: fc.uint8Array({ maxLength: 12 }) }), weight: 4 },
  fc.record({ op: fc.constantFrom("peek" as const, "take" as const, "skip" as const, "byteAt" as const), n: fc.nat(30) }),
  fc.record({ op: fc.constantFrom("takeAll" as const, "drain" as const), n: fc.constant(0) }),
);

describe("ByteQueue", () => {
  it("behaves like a naive FIFO (property)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const queue = new ByteQueue();
        const naive = new NaiveQueue();
        for (const step of ops) {
          if (step.op === "push") {
            queue.push(step.chunk);
            naive.push(step.chunk);
          } else if (step.op === "takeAll") {
            assert.deepEqual(queue.takeAll(), naive.take(naive.data.length));
          } else if (step.op === "drain") {
            assert.deepEqual(concatBytes(queue.drain()), naive.take(naive.data.length));
          } else if (step.op === "byteAt") {
            if (step.n < naive.data.length) assert.equal(queue.byteAt(step.n), naive.data[step.n]);
            else assert.throws(() => queue.byteAt(step.n), RangeError);
          } else if (step.n > naive.data.length) {
            assert.throws(() => queue[step.op](step.n), RangeError);
          } else if (step.op === "peek") {
            assert.deepEqual(queue.peek(step.n), Uint8Array.from(naive.data.slice(0, step.n)));
          } else if (step.op === "take") {
            assert.deepEqual(queue.take(step.n), naive.take(step.n));
          } else {
            queue.skip(step.n);
            naive.take(step.n);
          }
          assert.equal(queue.length, naive.data.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("returns views without copying when the bytes lie in one chunk", () => {
    const chunk = bytes(1, 2, 3, 4, 5);
    const queue = new ByteQueue();
    queue.push(chunk);
    queue.push(bytes(6, 7));
    const view = queue.take(2);
    assert.equal(view.buffer, chunk.buffer, "take within a chunk is a view");
    const spanning = queue.take(4);
    assert.deepEqual(spanning, bytes(3, 4, 5, 6));
    assert.notEqual(spanning.buffer, chunk.buffer, "take across chunks is a copy");
    const drained = queue.drain();
    assert.deepEqual(drained, [bytes(7)]);
  });

  it("drains the first chunk trimmed and the rest untouched", () => {
    const a = bytes(1, 2, 3);
    const b = bytes(4, 5);
    const queue = new ByteQueue();
    queue.push(a);
    queue.push(new Uint8Array(0));
    queue.push(b);
    queue.skip(1);
    const [first, second, ...more] = queue.drain();
    assert.deepEqual(first, bytes(2, 3));
    assert.equal(first!.buffer, a.buffer);
    assert.equal(second, b);
    assert.equal(more.length, 0);
    assert.equal(queue.length, 0);
  });

  it("streams many tiny chunks through without losing order", () => {
    const queue = new ByteQueue();
    const total = 50_000;
    for (let i = 0; i < total; i++) queue.push(bytes(i & 0xff));
    let sum = 0;
    for (let i = 0; i < total; i += 4) {
      const four = queue.take(4);
      assert.equal(four[0], i & 0xff);
      sum += four.length;
    }
    assert.equal(sum, total);
    assert.equal(queue.length, 0);
  });
});
