import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BusyError, withWriteLease } from "../../../src/repo/write-lease.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import { utf8Encode } from "../../../src/util/bytes.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withWriteLease()", () => {
  it("runs writers of one repository one at a time, in order, and releases the key", async () => {
    const store = createMemoryStore();
    const log: string[] = [];
    let inside = 0;
    const writer = (name: string) =>
      withWriteLease(store, ["repo1"], async () => {
        inside++;
        assert.equal(inside, 1, "two writers overlapped");
        log.push(`start ${name}`);
        await sleep(20);
        log.push(`end ${name}`);
        inside--;
      });
    await Promise.all([writer("a"), writer("b"), writer("c")]);
    assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    assert.equal(await store.get("repo/repo1/lease"), null);
  });

  it("lets writers of different repositories run at the same time", async () => {
    const store = createMemoryStore();
    let inside = 0;
    let most = 0;
    const writer = (id: string) =>
      withWriteLease(store, [id], async () => {
        most = Math.max(most, ++inside);
        await sleep(30);
        inside--;
      });
    await Promise.all([writer("r1"), writer("r2"), writer("r3")]);
    assert.equal(most, 3);
  });

  it("waits for a lease held by another process and takes it over once it expires", async () => {
    const store = createMemoryStore();
    let now = 1_000_000;
    // Another process holds the lease until now + 200 ms (it crashed and will never release it).
    await store.commit([], [{ type: "set", key: "repo/r/lease", value: utf8Encode(JSON.stringify({ owner: "other", expiresAt: now + 200 })) }]);
    const clock = () => now;
    const started = Date.now();
    const advancing = setInterval(() => (now += 50), 10);
    try {
      const result = await withWriteLease(store, ["r"], async () => "ran", { now: clock, waitMs: 10_000 });
      assert.equal(result, "ran");
    } finally {
      clearInterval(advancing);
    }
    assert.ok(Date.now() - started < 5000);
  });

  it("gives up with a retryable BusyError when the lease stays taken past waitMs", async () => {
    const store = createMemoryStore();
    await store.commit([], [{ type: "set", key: "repo/r/lease", value: utf8Encode(JSON.stringify({ owner: "other", expiresAt: Date.now() + 60_000 })) }]);
    await assert.rejects(withWriteLease(store, ["r"], async () => "never", { waitMs: 150 }), (error: unknown) => {
      assert.ok(error instanceof BusyError);
      assert.match((error as Error).message, /Repository is busy/);
      return true;
    });
  });

  it("releases the lease when the work throws", async () => {
    const store = createMemoryStore();
    await assert.rejects(withWriteLease(store, ["r"], async () => {
      throw new Error("boom");
    }), /boom/);
    assert.equal(await store.get("repo/r/lease"), null);
    assert.equal(await withWriteLease(store, ["r"], async () => 42), 42);
  });
});
