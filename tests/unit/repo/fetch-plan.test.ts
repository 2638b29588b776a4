import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chooseObjects, prepareFetch } from "../../../src/repo/fetch-plan.ts";
import { emptyFetchRequest, type FetchRequest } from "../../../src/repo/fetch-request.ts";
import type { RepoContext } from "../../../src/repo/repo-context.ts";
import type { PoolEnv } from "../../../src/repo/object-pool.ts";
import { ProtocolError } from "../../../src/errors.ts";
import { ingestAndPublish, makeEnv, packOf, revListObjects, setRefs, showRefs, standardHistory, type History } from "./fixtures.ts";

/** These tests run git; Bun's default 5 s per test is short on a loaded machine. */
const SLOW = { timeout: 120_000 };

let h: History;
let env: PoolEnv;
/** The full repository and a fork at E sharing its pool. */
let full: RepoContext;
let fork: RepoContext;

before(async () => {
  h = standardHistory();
  env = makeEnv();
  await ingestAndPublish(env, "net", packOf(h.dir, ["--all"]));
  await setRefs(env, "full", showRefs(h.dir));
  await setRefs(env, "fork", new Map([["refs/heads/main", h.ids.E!]]));
  full = { env, repoId: "full", poolId: "net", head: "refs/heads/main", sharedPool: true };
  fork = { env, repoId: "fork", poolId: "net", head: "refs/heads/main", sharedPool: true };
});

const request = (fields: Partial<FetchRequest>): FetchRequest => ({ ...emptyFetchRequest(), ...fields });
const protocolError = (message: string) => (e: unknown) => e instanceof ProtocolError && e.message === message;

describe("prepareFetch", () => {
  it("refuses wants the repository's refs do not reach, even when the pool has them", SLOW, async () => {
    await assert.rejects(prepareFetch(fork, request({ wants: [h.ids.H4!] })), protocolError(`upload-pack: not our ref ${h.ids.H4}`));
    await assert.rejects(prepareFetch(fork, request({ wants: [h.ids.E!, "e".repeat(40)] })), protocolError(`upload-pack: not our ref ${"e".repeat(40)}`));
    const state = await prepareFetch(fork, request({ wants: [h.ids.D!] }));
    assert.deepEqual(state.wants, [state.pool.locateId(h.ids.D!)], "an ancestor of a tip is fine");
  });

  it("does not acknowledge haves that only a sibling repository reaches", SLOW, async () => {
    const state = await prepareFetch(fork, request({ wants: [h.ids.E!] }));
    assert.equal(state.negotiator.have(state.pool.locateId(h.ids.H4!)), -1);
    assert.equal(state.negotiator.have(state.pool.locateId(h.ids.C!)), 1);
    const unshared = await prepareFetch({ ...fork, sharedPool: false }, request({ wants: [h.ids.E!] }));
    assert.equal(unshared.negotiator.have(unshared.pool.locateId(h.ids.H4!)), 1);
  });

  it("resolves deepen-not names the way git expands them, and refuses unknown ones", SLOW, async () => {
    const state = await prepareFetch(full, request({ wants: [h.ids.H4!], deepenNot: ["side"] }));
    assert.deepEqual(state.shallow!.shallow.map((g) => state.pool.idOf(g)).sort(), [h.ids.C!, h.ids.D!].sort());
    await assert.rejects(prepareFetch(full, request({ wants: [h.ids.H4!], deepenNot: ["nope"] })), protocolError("git upload-pack: deepen-not is not a ref: deepen-not nope"));
  });

  it("refuses an unsupported filter before anything is sent", SLOW, async () => {
    await assert.rejects(prepareFetch(full, request({ wants: [h.ids.H4!], filter: "sparse:oid=x" })), protocolError("filter 'sparse' not supported"));
  });
});

describe("chooseObjects", () => {
  it("sends what rev-list lists, plus with include-tag the annotated tags of sent commits", SLOW, async () => {
    const req = request({ wants: [h.ids.H4!], haves: [h.ids.B!] });
    const state = await prepareFetch(full, req);
    for (const id of req.haves) state.negotiator.have(state.pool.locateId(id));
    const ids = (send: Int32Array) => [...send].map((g) => state.pool.idOf(g)).sort();
    const plain = ids(chooseObjects(state, req).send);
    assert.deepEqual(plain, revListObjects(h.dir, [h.ids.H4!, "--not", h.ids.B!]).sort());
    const withTags = ids(chooseObjects(state, { ...req, includeTag: true }).send);
    // v1 tags C, which is sent; vside tags G and vtopic tags T2, which are not.
    assert.deepEqual(withTags, [...plain, h.ids.v1!].sort());
  });
});
