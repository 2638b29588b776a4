import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHandler } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { ArtifactsError } from "../../../src/errors.ts";

describe("abandoned imports and forks", () => {
  it("are reported in progress for a while, then removed so the name can be used again", async () => {
    let now = Date.parse("2026-11-01T00:00:00Z");
    const { reposit } = createHandler({ store: createMemoryStore(), signingKey: new Uint8Array(32).fill(9), apiToken: "t", now: () => now });
    await reposit.createRepo("ns1", "stuck", {}, { status: "importing" });
    await assert.rejects(reposit.getRepo("ns1", "stuck"), (e: unknown) => e instanceof ArtifactsError && e.code === "IMPORT_IN_PROGRESS");
    await assert.rejects(reposit.createRepo("ns1", "stuck"), (e: unknown) => e instanceof ArtifactsError && e.code === "IMPORT_IN_PROGRESS");
    now += 16 * 60 * 1000; // the process doing the import died long ago
    await assert.rejects(reposit.getRepo("ns1", "stuck"), (e: unknown) => e instanceof ArtifactsError && e.code === "NOT_FOUND");
    const fresh = await reposit.createRepo("ns1", "stuck");
    assert.equal(fresh.record.status, "ready");
    await reposit.createRepo("ns1", "stuck2", {}, { status: "forking" });
    now += 16 * 60 * 1000;
    const again = await reposit.createRepo("ns1", "stuck2");
    assert.equal(again.record.status, "ready");
  });
});
