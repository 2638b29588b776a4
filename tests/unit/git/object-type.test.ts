import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { ProtocolError } from "../../../src/errors.ts";
import {
  encodeObjectHeader,
  hashObject,
  hashObjectBytes,
  isObjectType,
  isPackType,
  type ObjectType,
  objectTypeOf,
  packTypeOf,
} from "../../../src/git/object-type.ts";
import { hexDecode, utf8Decode, utf8Encode } from "../../../src/util/bytes.ts";
import { gitText, rng, tempDir } from "./pack-fixtures.ts";

describe("object types", () => {
  it("maps types to pack numbers and back", () => {
    const types: [ObjectType, number][] = [
      ["commit", 1],
      ["tree", 2],
      ["blob", 3],
      ["tag", 4],
    ];
    for (const [type, number] of types) {
      assert.equal(packTypeOf(type), number);
      assert.equal(objectTypeOf(number), type);
      assert.ok(isObjectType(type));
    }
    assert.ok(!isObjectType("ofs-delta"));
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].filter(isPackType), [1, 2, 3, 4, 6, 7]);
  });

  it("rejects delta and invalid numbers as object types", () => {
    for (const n of [0, 5, 6, 7, 8, -1, 1.5]) {
      assert.throws(
        () => objectTypeOf(n),
        (e: unknown) =>
          e instanceof ProtocolError && e.code === "ERR_PACK" &&
          e.message.startsWith(`Invalid object type ${n}:`),
      );
    }
  });

  it("encodes the object header", () => {
    assert.equal(utf8Decode(encodeObjectHeader("blob", 5)), "blob 5\0");
    assert.equal(utf8Decode(encodeObjectHeader("commit", 123456789)), "commit 123456789\0");
  });
});

describe("hashObject", () => {
  it("matches well-known ids", () => {
    assert.equal(
      hashObject(nodePlatform, "blob", new Uint8Array(0)),
      "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    );
    assert.equal(
      hashObject(nodePlatform, "tree", new Uint8Array(0)),
      "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    );
    assert.equal(
      hashObject(nodePlatform, "blob", utf8Encode("hello\n")),
      "ce013625030ba8dba906f756967f9e9ca394464a",
    );
    assert.deepEqual(
      hashObjectBytes(nodePlatform, 2, new Uint8Array(0)),
      hexDecode("4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
    );
    assert.throws(() => hashObjectBytes(nodePlatform, 6 as 1, new Uint8Array(0)), ProtocolError);
  });

  it("matches git hash-object for blobs and commits of many sizes", () => {
    const dir = tempDir("reposit-hash-");
    const next = rng(7);
    const sizes = [1, 100, 1023, 1024, 1025, 5000, 300_000];
    const files = sizes.map((size, i) => {
      const data = new Uint8Array(size);
      for (let j = 0; j < size; j++) data[j] = (next() * 256) | 0;
      const file = path.join(dir, `f${i}`);
      fs.writeFileSync(file, data);
      return { file, data };
    });
    const expectedBlobs = gitText(dir, ["hash-object", "--no-filters", ...files.map((f) => f.file)]).trim()
      .split("\n");
    const expectedCommits = gitText(dir, [
      "hash-object",
      "--literally",
      "-t",
      "commit",
      ...files.map((f) => f.file),
    ]).trim().split("\n");
    files.forEach((f, i) => {
      assert.equal(hashObject(nodePlatform, "blob", f.data), expectedBlobs[i], `blob of ${sizes[i]} bytes`);
      assert.equal(
        hashObject(nodePlatform, "commit", f.data),
        expectedCommits[i],
        `commit of ${sizes[i]} bytes`,
      );
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
