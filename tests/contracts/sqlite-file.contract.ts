/**
 * @module tests/contracts/sqlite-file.contract
 * Tests for SQLite-file stores that the single-store contract cannot express: several stores (and
 * processes) on one file. Used by the Bun and Node runners with their own adapter and child command.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { KvStore } from "../../src/storage/types.ts";

/** How a runner opens stores and starts a child process that runs a script against one. */
export interface SharedFileOptions {
  open(file: string): KvStore;
  tempFile(): string;
  /** [executable, args] of a child that defines `store` on `file` and then runs `script`. */
  childCommand(file: string, script: string): [string, string[]];
}

const text = (value: Uint8Array) => new TextDecoder().decode(value);
const set = (key: string, value: string) => ({ type: "set" as const, key, value: new TextEncoder().encode(value) });

function run(command: [string, string[]]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command[1], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Registers the shared-file tests for one SQLite adapter. */
export function sharedFileContract(name: string, options: SharedFileOptions): void {
  const { open, tempFile, childCommand } = options;

  describe(`sqlite shared file: ${name}`, () => {
    it("two stores on one file see each other's commits", async () => {
      const file = tempFile();
      const a = open(file);
      const b = open(file);
      try {
        assert.equal(await a.commit([], [set("k", "from a")]), true);
        assert.equal(text((await b.get("k"))!.value), "from a");
        const version = (await b.get("k"))!.version;
        assert.equal(await b.commit([{ key: "k", version }], [set("k", "from b")]), true);
        assert.equal(text((await a.get("k"))!.value), "from b");
        assert.notEqual((await a.get("k"))!.version, version);
        assert.deepEqual((await b.getMany(["k"]))[0]!.version, (await a.get("k"))!.version);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("versions never repeat across stores on one file", async () => {
      const file = tempFile();
      const stores = [open(file), open(file), open(file)];
      try {
        const versions = new Set<string>();
        for (let i = 0; i < 30; i++) {
          const store = stores[i % 3]!;
          await store.commit([], [set(`v${i}`, "x")]);
          versions.add((await store.get(`v${i}`))!.version);
        }
        assert.equal(versions.size, 30);
      } finally {
        for (const store of stores) await store.close();
      }
    });

    it("CAS races across stores on one file have exactly one winner", async () => {
      const file = tempFile();
      const stores = Array.from({ length: 4 }, () => open(file));
      try {
        await stores[0]!.commit([], [set("race", "start")]);
        const version = (await stores[0]!.get("race"))!.version;
        const results = await Promise.all(
          stores.flatMap((store, s) =>
            [0, 1, 2].map((i) => store.commit([{ key: "race", version }], [set("race", `${s}.${i}`)])),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true);
        assert.equal(text((await stores[3]!.get("race"))!.value), `${Math.floor(winner / 3)}.${winner % 3}`);
      } finally {
        for (const store of stores) await store.close();
      }
    });

    it("CAS races across processes have exactly one winner", { timeout: 60_000 }, async () => {
      const file = tempFile();
      const setup = open(file);
      await setup.commit([], [set("race", "start")]);
      const version = (await setup.get("race"))!.version;
      await setup.close();
      // Each child waits until a shared start time so the commits really overlap.
      const startAt = Date.now() + 1_500;
      const script = (i: number) => `
        const checks = [{ key: "race", version: ${JSON.stringify(version)} }];
        const mutations = [{ type: "set", key: "race", value: new TextEncoder().encode("p${i}") }];
        while (Date.now() < ${startAt}) {}
        let won = 0;
        for (let n = 0; n < 20; n++) {
          // Unchecked writes from every process contend for the write lock around the CAS.
          const ok = await store.commit([], [{ type: "set", key: "tick/${i}/" + n, value: new Uint8Array(1) }]);
          if (!ok) throw new Error("a commit without checks failed");
          if (n === 10 && (await store.commit(checks, mutations))) won = 1;
        }
        await store.close();
        console.log("won=" + won);`;
      const children = await Promise.all([0, 1, 2, 3].map((i) => run(childCommand(file, script(i)))));
      for (const child of children) assert.equal(child.code, 0, child.stderr);
      const wins = children.filter((c) => c.stdout.includes("won=1")).length;
      assert.equal(wins, 1, children.map((c) => c.stdout + c.stderr).join("\n"));
      const store = open(file);
      try {
        const winner = children.findIndex((c) => c.stdout.includes("won=1"));
        assert.equal(text((await store.get("race"))!.value), `p${winner}`);
        let ticks = 0;
        for await (const _ of store.list({ prefix: "tick/" })) ticks++;
        assert.equal(ticks, 80);
      } finally {
        await store.close();
      }
    });

    it("data survives close and reopen, and a SIGKILLed writer's commits survive", { timeout: 60_000 }, async () => {
      const file = tempFile();
      const first = open(file);
      await first.commit([], [set("kept", "yes")]);
      await first.close();
      const killed = await run(
        childCommand(
          file,
          `await store.commit([], [{ type: "set", key: "before-kill", value: new TextEncoder().encode("committed") }]);
           process.kill(process.pid, "SIGKILL");`,
        ),
      );
      assert.equal(killed.signal, "SIGKILL", killed.stderr);
      const reopened = open(file);
      try {
        assert.equal(text((await reopened.get("kept"))!.value), "yes");
        assert.equal(text((await reopened.get("before-kill"))!.value), "committed");
        await reopened.commit([], [set("after", "reopen")]);
        assert.equal(text((await reopened.get("after"))!.value), "reopen");
      } finally {
        await reopened.close();
      }
    });
  });
}
