/**
 * Shared set-up for the control-plane unit tests (tests/unit/http/rest-contract.test.ts and
 * tests/unit/api/binding.test.ts): an in-process handler over a memory store whose reads can be
 * held open (to catch a repository mid-fork), an import `fetch` that can be held open (to catch a
 * repository mid-import) and that forwards to a Reposit repository of the same process, pushes
 * through the handler's own git-receive-pack endpoint, and the assertion that a promise fails
 * with a given ArtifactsError.
 */
import assert from "node:assert/strict";
import { createHandler, type Handler, type HandlerOptions } from "../../../src/http/handler.ts";
import { createMemoryStore } from "../../../src/storage/memory.ts";
import type { KvCheck, KvEntry, KvListOptions, KvMutation, KvStore } from "../../../src/storage/types.ts";
import { nodePlatform } from "../../../adapters/shared/node-platform.ts";
import { ARTIFACTS_NUMERIC_CODES, ArtifactsError, type ArtifactsErrorCode } from "../../../src/errors.ts";
import { encodePktLines } from "../../../src/git/pkt-line.ts";
import { ZERO_ID } from "../../../src/git/object-id.ts";
import type { GitFixture } from "../objects/git-fixture.ts";

export const API_TOKEN = "control-plane-api-token-0123456789";
export const SIGNING_KEY = new Uint8Array(32).fill(7);
/** Origin of every in-process request (remote URLs are derived from it). */
export const ORIGIN = "http://reposit.test";

/** One held read: `reached` settles when a read arrives, `release()` lets it (and the caller) go on. */
export interface Hold {
  readonly reached: Promise<void>;
  release(): void;
}

interface PendingHold {
  readonly prefix: string;
  readonly arrive: () => void;
  readonly released: Promise<void>;
}

function makeHold(prefix: string): { hold: Hold; pending: PendingHold } {
  let arrive!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  return { hold: { reached, release }, pending: { prefix, arrive, released } };
}

/**
 * A KvStore that passes everything to an inner store, except that the first read of a key under a
 * held prefix waits until the hold is released. Writes are never held.
 */
export class GatedStore implements KvStore {
  readonly #inner: KvStore;
  readonly #holds: PendingHold[] = [];
  /** Makes every read of a key under `failPrefix` throw (for INTERNAL_ERROR), when set. */
  failPrefix: string | null = null;

  constructor(inner: KvStore = createMemoryStore()) {
    this.#inner = inner;
  }

  get limits() {
    return this.#inner.limits;
  }

  /** Holds the next read of a key starting with `prefix`. */
  hold(prefix: string): Hold {
    const { hold, pending } = makeHold(prefix);
    this.#holds.push(pending);
    return hold;
  }

  async #pass(key: string): Promise<void> {
    if (this.failPrefix !== null && key.startsWith(this.failPrefix)) throw new Error(`Injected storage failure reading "${key}"`);
    const i = this.#holds.findIndex((h) => key.startsWith(h.prefix));
    if (i === -1) return;
    const [held] = this.#holds.splice(i, 1);
    held!.arrive();
    await held!.released;
  }

  async get(key: string): Promise<KvEntry | null> {
    await this.#pass(key);
    return this.#inner.get(key);
  }

  async getMany(keys: readonly string[]): Promise<(KvEntry | null)[]> {
    for (const key of keys) await this.#pass(key);
    return this.#inner.getMany(keys);
  }

  async *list(options: KvListOptions): AsyncIterable<KvEntry> {
    await this.#pass(options.prefix);
    yield* this.#inner.list(options);
  }

  commit(checks: readonly KvCheck[], mutations: readonly KvMutation[]): Promise<boolean> {
    return this.#inner.commit(checks, mutations);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * The `fetch` imports use. By default it answers every request like an unreachable host (fetch
 * rejects with a TypeError); tests point `target` at a function and may hold the next request.
 */
export class ImportFetch {
  target: (request: Request) => Promise<Response> = () => Promise.reject(new TypeError("fetch failed"));
  readonly #holds: PendingHold[] = [];
  /** Every URL requested, in order. */
  readonly urls: string[] = [];

  /** Holds the next request until released. */
  hold(): Hold {
    const { hold, pending } = makeHold("");
    this.#holds.push(pending);
    return hold;
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    this.urls.push(request.url);
    const held = this.#holds.shift();
    if (held) {
      held.arrive();
      await held.released;
    }
    return this.target(request);
  };
}

/**
 * A `fetch` that sends import requests to `handler`'s git endpoints (whatever the host), with
 * `token` as the Basic password when given — as a public remote would see them, but in process.
 * Without a token Reposit answers 401, which is what an import of a private repository meets.
 */
export function forwardTo(handler: Handler, token?: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    if (token !== undefined) headers.set("Authorization", `Basic ${btoa(`x:${token}`)}`);
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : new Uint8Array(await request.arrayBuffer());
    return handler.fetch(new Request(`${ORIGIN}${url.pathname}${url.search}`, { method: request.method, headers, ...(body ? { body: body as BodyInit } : {}) }));
  };
}

export interface TestService {
  readonly handler: Handler;
  readonly store: GatedStore;
  readonly importFetch: ImportFetch;
  /** The clock the handler reads (ms); tests may move it. */
  readonly clock: { ms: number };
}

/** A handler over a fresh gated memory store, with a movable clock and a test import fetch. */
export function newService(options: Partial<HandlerOptions> = {}): TestService {
  const store = new GatedStore();
  const importFetch = new ImportFetch();
  const clock = { ms: Date.parse("2026-10-08T12:00:00.000Z") };
  const handler = createHandler({
    store,
    signingKey: SIGNING_KEY,
    apiToken: API_TOKEN,
    platform: nodePlatform,
    log: () => {},
    now: () => clock.ms,
    import: { fetch: importFetch.fetch },
    ...options,
  });
  return { handler, store, importFetch, clock };
}

/** Every ref of `fixture` as [id, full name]. */
export function refsOf(fixture: GitFixture): [string, string][] {
  return fixture
    .text(["for-each-ref", "--format=%(objectname) %(refname)"])
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ") as [string, string]);
}

/**
 * POSTs a receive-pack request creating every ref of `fixture` (with all its objects) in
 * `ns/name`, as git would send it; returns the response status and body text.
 */
export async function pushAll(handler: Handler, ns: string, name: string, token: string, fixture: GitFixture): Promise<{ status: number; text: string }> {
  const refs = refsOf(fixture);
  const commands = refs.map(([id, ref], i) => `${ZERO_ID} ${id} ${ref}${i === 0 ? "\0report-status" : ""}\n`);
  const pack = fixture.run(["pack-objects", "--all", "--stdout"], "");
  const head = encodePktLines([...commands, "flush"]);
  const body = new Uint8Array(head.length + pack.length);
  body.set(head);
  body.set(pack, head.length);
  const response = await handler.fetch(
    new Request(`${ORIGIN}/git/${ns}/${name}.git/git-receive-pack`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa(`x:${token}`)}`, "Content-Type": "application/x-git-receive-pack-request" },
      body: body as BodyInit,
    }),
  );
  return { status: response.status, text: await response.text() };
}

/** Like `pushAll`, but asserts that git would report every ref as accepted. */
export async function pushAllOk(handler: Handler, ns: string, name: string, token: string, fixture: GitFixture): Promise<void> {
  const { status, text } = await pushAll(handler, ns, name, token, fixture);
  assert.equal(status, 200, text);
  assert.match(text, /unpack ok/);
  for (const [, ref] of refsOf(fixture)) assert.ok(text.includes(`ok ${ref}\n`), `ref ${ref} not accepted:\n${text}`);
}

/** GET info/refs for `service` with `token` (Basic); the response status and text. */
export async function infoRefs(handler: Handler, ns: string, name: string, token: string | null, service = "git-upload-pack"): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Basic ${btoa(`x:${token}`)}` };
  const response = await handler.fetch(new Request(`${ORIGIN}/git/${ns}/${name}.git/info/refs?service=${service}`, { headers }));
  return { status: response.status, text: await response.text() };
}

/**
 * Asserts that `promise` rejects with an ArtifactsError of `code` (name, code and numericCode as
 * the binding documents them), and a message equal to or matching `message` when given.
 */
export async function rejectsWith(promise: Promise<unknown>, code: ArtifactsErrorCode, message?: string | RegExp): Promise<ArtifactsError> {
  let caught: unknown = null;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== null, `expected ${code}, but the call succeeded`);
  assert.ok(caught instanceof ArtifactsError, `expected an ArtifactsError, got ${String(caught)}`);
  assert.equal(caught.name, "ArtifactsError");
  assert.equal(caught.code, code, `code of "${caught.message}"`);
  assert.equal(caught.numericCode, ARTIFACTS_NUMERIC_CODES[code]);
  if (typeof message === "string") assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  return caught;
}

/** Waits until `check` holds, polling (for state that another pending call moves). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Makes a commit on top of `parent` in `fixture`'s object database (no ref moves) and pushes it to
 * `ns/name` as the new tip of `ref`; returns the new commit id.
 */
export async function pushNewCommit(
  handler: Handler,
  target: { ns: string; name: string; token: string },
  fixture: GitFixture,
  parent: string,
  message: string,
  ref = "refs/heads/main",
): Promise<{ id: string; status: number; text: string }> {
  const blob = fixture.text(["hash-object", "-w", "--stdin"], `${message}\n`);
  const tree = fixture.text(["mktree"], `100644 blob ${blob}\tnew-file.txt\n`);
  const id = fixture.text(["commit-tree", tree, "-p", parent, "-m", message]);
  const pack = fixture.run(["pack-objects", "--revs", "--stdout", "-q"], `${id}\n^${parent}\n`);
  const head = encodePktLines([`${parent} ${id} ${ref}\0report-status\n`, "flush"]);
  const body = new Uint8Array(head.length + pack.length);
  body.set(head);
  body.set(pack, head.length);
  const response = await handler.fetch(
    new Request(`${ORIGIN}/git/${target.ns}/${target.name}.git/git-receive-pack`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa(`x:${target.token}`)}`, "Content-Type": "application/x-git-receive-pack-request" },
      body: body as BodyInit,
    }),
  );
  return { id, status: response.status, text: await response.text() };
}
