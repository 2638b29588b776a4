import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodePushRequest, isDelete } from "../../../src/repo/push-request.ts";
import { PktLineReader } from "../../../src/git/pkt-line.ts";
import { resolveLimits } from "../../../src/limits.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import { LimitError, ProtocolError } from "../../../src/errors.ts";
import { chunked, encode, pkt } from "./fixtures.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const limits = resolveLimits();

function decode(bytes: Uint8Array, l = limits) {
  const reader = new PktLineReader(chunked(bytes, 5));
  return decodePushRequest(reader, l).then((req) => ({ req, reader }));
}

/** What follows the commands, as text (the test's "pack" is ASCII). */
async function rest(reader: PktLineReader): Promise<string> {
  let text = "";
  for await (const part of reader.rest()) text += new TextDecoder().decode(part);
  return text;
}

describe("decodePushRequest", () => {
  it("reads shallow lines, commands, capabilities and push options, and hands over the pack", async () => {
    const body = pkt([
      `shallow ${B}\n`,
      `${ZERO_ID} ${A} refs/heads/new\0report-status side-band-64k push-options atomic agent=git/2.39\n`,
      `${A} ${ZERO_ID} refs/heads/old\n`,
      "0000",
      "ci.skip\n",
      "0000",
    ]);
    const withPack = new Uint8Array([...body, ...encode("PACK...")]);
    const { req, reader } = await decode(withPack);
    assert.ok(req);
    assert.deepEqual(req.shallow, [B]);
    assert.deepEqual(req.commands, [
      { oldId: ZERO_ID, newId: A, name: "refs/heads/new" },
      { oldId: A, newId: ZERO_ID, name: "refs/heads/old" },
    ]);
    assert.deepEqual([...req.capabilities.keys()], ["report-status", "side-band-64k", "push-options", "atomic", "agent"]);
    assert.equal(req.capabilities.get("agent"), "git/2.39");
    assert.deepEqual(req.options, ["ci.skip"]);
    assert.deepEqual(req.commands.map(isDelete), [false, true]);
    assert.equal(await rest(reader), "PACK...");
  });

  it("returns null for git's empty probe", async () => {
    assert.equal((await decode(new Uint8Array(0))).req, null);
    assert.equal((await decode(pkt(["0000"]))).req, null);
  });

  it("round-trips any well-formed command list", async () => {
    const oid = fc.stringMatching(/^[0-9a-f]{40}$/);
    const name = fc.stringMatching(/^refs\/heads\/[a-z0-9/_-]{1,30}$/);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ oldId: oid, newId: oid, name }), { minLength: 1, maxLength: 8 }), async (commands) => {
        const lines = commands.map((c, i) => `${c.oldId} ${c.newId} ${c.name}${i === 0 ? "\0report-status" : ""}\n`);
        const { req } = await decode(pkt([...lines, "0000"]));
        assert.deepEqual(req!.commands, commands.map((c) => ({ oldId: c.oldId, newId: c.newId, name: c.name })));
      }),
      { numRuns: 50 },
    );
  });

  it("refuses malformed commands, unadvertised capabilities and too many updates", async () => {
    const refuses = async (lines: string[], pattern: RegExp, l = limits) =>
      assert.rejects(decode(pkt(lines), l), (e: unknown) => (e instanceof ProtocolError || e instanceof LimitError) && pattern.test(e.message), lines.join("|"));
    await refuses([`${A} ${B}\0report-status\n`, "0000"], /^Invalid push command "a+ b+": expected "<old-id> <new-id> <ref>"$/);
    await refuses([`${A} ${B} refs/heads/x\0push-cert=1\n`, "0000"], /client requested capability "push-cert"/);
    await refuses([`shallow xyz\n`, "0000"], /^Invalid shallow line "shallow xyz"$/);
    await refuses([`${A} ${B} refs/heads/x\n`], /ended before the flush after the commands/);
    await refuses([`${A} ${B} refs/heads/x\0push-options\n`, "0000", "opt\n"], /ended inside the push options/);
    await refuses([`${A} ${B} refs/heads/x\n`, `${A} ${B} refs/heads/y\n`, "0000"], /^Push updates more than 1 refs$/, resolveLimits({ maxRefUpdates: 1 }));
  });
});
