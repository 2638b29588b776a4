import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { type Tag, parseTag, readTagTarget, serializeTag } from "../../../src/objects/tag.ts";
import { ProtocolError } from "../../../src/errors.ts";
import { type GitFixture, bytes, makeRepo, objectId } from "./git-fixture.ts";

describe("tag objects from git", () => {
  let repo: GitFixture;
  const crafted: Record<string, string> = {};
  before(() => {
    repo = makeRepo();
    repo.text(["commit", "-q", "--allow-empty", "-m", "tagged"]);
    repo.text(["tag", "-a", "v1", "-m", "Release 1\n\nWith a body.\n"]);
    repo.text(["tag", "-a", "on-tree", "HEAD^{tree}", "-m", "a tree"]);
    const blob = repo.text(["hash-object", "-w", "--stdin"], "blob\n");
    repo.text(["tag", "-a", "on-blob", blob, "-m", "a blob"]);
    repo.text(["tag", "-a", "on-tag", "v1", "-m", "a tag of a tag"]);
    repo.text(["tag", "-a", "ünïcode-tag", "-m", "ünïcode 😀"], undefined, { GIT_COMMITTER_NAME: "Zoë" });
    repo.text(["tag", "-a", "empty-msg", "-m", ""]);
    const head = repo.text(["rev-parse", "HEAD"]);
    const sig = "-----BEGIN PGP SIGNATURE-----\n\niQEzfake\n=abcd\n-----END PGP SIGNATURE-----\n";
    crafted.noTagger = repo.write("tag", `object ${head}\ntype commit\ntag ancient\n\nFrom before tagger lines\n`);
    crafted.extra = repo.write("tag", `object ${head}\ntype commit\ntag extra\ntagger T <t@x> 1 +0000\nx-note one\n two\n\nmessage\n${sig}`);
    crafted.noMessage = repo.write("tag", `object ${head}\ntype commit\ntag bare\ntagger T <t@x> 1 +0000\n`);
    for (const [name, oid] of Object.entries(crafted)) repo.text(["update-ref", `refs/crafted/${name}`, oid]);
  });
  after(() => repo.remove());

  it("parses, re-serializes and re-hashes every tag git made", () => {
    const refs = repo.text(["for-each-ref", "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname:short)", "refs/tags"]).split("\n");
    assert.equal(refs.length, 6);
    for (const line of refs) {
      const [oid, kind, target, targetType, name] = line.split(" ") as [string, string, string, string, string];
      assert.equal(kind, "tag");
      const content = repo.cat("tag", oid);
      const tag = parseTag(content);
      assert.equal(tag.tag, name);
      assert.deepEqual(readTagTarget(content), { object: tag.object, type: tag.type });
      // %(*objectname) peels fully; for the tag of a tag, the direct target is v1 itself.
      if (name === "on-tag") assert.deepEqual([tag.object, tag.type], [repo.text(["rev-parse", "v1"]), "tag"]);
      else assert.deepEqual([tag.object, tag.type], [target, targetType]);
      assert.equal(tag.tagger?.name, name === "ünïcode-tag" ? "Zoë" : "C O Mitter");
      assert.equal(tag.tagger?.timestamp, 1700000100);
      const again = serializeTag(tag);
      assert.deepEqual(again, content);
      assert.equal(objectId("tag", again), oid);
    }
  });

  it("reads messages exactly", () => {
    const at = (name: string) => parseTag(repo.cat("tag", repo.text(["rev-parse", name])));
    assert.equal(at("v1").message, "Release 1\n\nWith a body.\n");
    assert.equal(at("ünïcode-tag").message, "ünïcode 😀\n");
    assert.equal(at("empty-msg").message, "");
    assert.deepEqual(at("v1").extraHeaders, []);
  });

  it("reads a tag without tagger, with extra headers, and without a message", () => {
    const noTagger = parseTag(repo.cat("tag", crafted.noTagger!));
    assert.equal(noTagger.tagger, undefined);
    assert.equal("tagger" in noTagger, false);
    assert.equal(noTagger.message, "From before tagger lines\n");
    assert.deepEqual(serializeTag(noTagger), repo.cat("tag", crafted.noTagger!));

    const extra = parseTag(repo.cat("tag", crafted.extra!));
    assert.deepEqual(extra.extraHeaders, [["x-note", "one\ntwo"]]);
    assert.match(extra.message, /^message\n-----BEGIN PGP SIGNATURE-----\n\n/);
    assert.deepEqual(serializeTag(extra), repo.cat("tag", crafted.extra!));

    const noMessage = parseTag(repo.cat("tag", crafted.noMessage!));
    assert.equal(noMessage.message, "");
    assert.equal(noMessage.tagger?.email, "t@x");
  });
});

describe("tag errors", () => {
  const id = "b".repeat(40);
  const cases: [string, string][] = [
    ["empty content", ""],
    ["no object line", `type commit\ntag x\n\nm`],
    ["a bad object id", `object ${id.slice(2)}\ntype commit\ntag x\n\nm`],
    ["an unknown type", `object ${id}\ntype widget\ntag x\n\nm`],
    ["no type line", `object ${id}\ntag x\n\nm`],
  ];
  for (const [what, text] of cases) {
    it(`rejects ${what} in both readers`, () => {
      assert.throws(() => parseTag(bytes(text)), (e: unknown) => e instanceof ProtocolError && e.code === "ERR_OBJECT");
      assert.throws(() => readTagTarget(bytes(text)), (e: unknown) => e instanceof ProtocolError && e.code === "ERR_OBJECT");
    });
  }
  it("rejects a tag without a tag header", () => {
    assert.throws(() => parseTag(bytes(`object ${id}\ntype blob\ntagger A <a> 1 +0000\n\nm`)), /no "tag" header/);
    assert.deepEqual(readTagTarget(bytes(`object ${id}\ntype blob\n`)), { object: id, type: "blob" });
  });
  it("refuses to serialize bad fields", () => {
    const ok: Tag = { object: id, type: "commit", tag: "x", extraHeaders: [], message: "" };
    for (const bad of [{ object: "nope" }, { type: "widget" as Tag["type"] }, { tag: "a\nb" }]) {
      assert.throws(() => serializeTag({ ...ok, ...bad }), ProtocolError, JSON.stringify(bad));
    }
  });
});

describe("tag round trips (property)", () => {
  const oid = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString("hex"));
  const text = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !/[<>\n\0]/.test(s));
  const arb = fc.record(
    {
      object: oid,
      type: fc.constantFrom("commit", "tree", "blob", "tag" as const),
      tag: fc.stringMatching(/^[a-zA-Z0-9._\/-]{1,20}$/),
      tagger: fc.record({ name: text.map((s) => s.replace(/[ \t\r]+$/, "")), email: text, timestamp: fc.nat(), timezone: fc.constantFrom("+0000", "-0700", "+0530") }),
      extraHeaders: fc.array(fc.tuple(fc.stringMatching(/^x-[a-z]{1,5}$/), fc.string({ unit: "grapheme", maxLength: 10 }).filter((s) => !s.includes("\n"))), { maxLength: 2 }),
      message: fc.string({ unit: "grapheme", maxLength: 40 }),
    },
    { requiredKeys: ["object", "type", "tag", "extraHeaders", "message"] },
  );
  it("parseTag(serializeTag(t)) equals t and readTagTarget agrees", () => {
    fc.assert(
      fc.property(arb, (tag) => {
        const content = serializeTag(tag as Tag);
        assert.deepEqual(parseTag(content), JSON.parse(JSON.stringify(tag)));
        assert.deepEqual(readTagTarget(content), { object: tag.object, type: tag.type });
      }),
      { numRuns: 300 },
    );
  });
});
