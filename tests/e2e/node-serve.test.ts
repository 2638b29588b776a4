/**
 * The node:http ↔ fetch bridge (adapters/node/serve.ts) with a raw node:http client, so every byte
 * and socket event is under the test's control: streaming request bodies (chunked, never buffered
 * whole, back-pressure on the socket), streaming responses with back-pressure, HEAD, client aborts
 * in both directions (the server cancels the handler's streams and keeps serving), handler failures
 * (500 without detail, logged) and header fidelity.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { serveFetch, type FetchHandler, type RunningServer } from "../../adapters/node/serve.ts";

const MiB = 1024 * 1024;

/** A promise plus its resolver, for handing events from the handler to the test. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One test handler per path, swapped in by each test. */
let route: FetchHandler["fetch"] = () => new Response("unset", { status: 500 });
const errors: unknown[] = [];
let server: RunningServer;

before(async () => {
  server = await serveFetch({ fetch: (request) => route(request) }, { onError: (error) => errors.push(error) });
});
after(async () => {
  await server.close({ force: true });
});

interface Sent {
  response: IncomingMessage;
  body: Buffer;
}

/** Sends a request and reads the whole answer. */
function send(method: string, path: string, options: { headers?: Record<string, string | string[]>; body?: Uint8Array | string } = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(server.url + path, { method, headers: options.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ response, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("serveFetch", () => {
  it("listens on the requested host and reports its URL", () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("hands the handler the full URL, method and every request header", async () => {
    let seen: Request | undefined;
    route = (request) => {
      seen = request;
      return new Response("ok");
    };
    const { response } = await send("GET", "/a/b?c=1&d=%2F", { headers: { "X-Twice": ["one", "two"], "X-Once": "yes" } });
    assert.equal(response.statusCode, 200);
    assert.equal(seen!.url, `${server.url}/a/b?c=1&d=%2F`);
    assert.equal(seen!.method, "GET");
    assert.equal(seen!.headers.get("x-twice"), "one, two");
    assert.equal(seen!.headers.get("x-once"), "yes");
    assert.equal(seen!.body, null);
  });

  it("keeps a path starting with // on this server's origin", async () => {
    let url = "";
    route = (request) => {
      url = request.url;
      return new Response("ok");
    };
    await send("GET", "//evil.example/x");
    assert.equal(url, `${server.url}//evil.example/x`);
  });

  it("passes status, status text and headers back, each Set-Cookie separately", async () => {
    route = () => {
      const headers = new Headers({ "Content-Type": "application/x-test", "X-Multi": "a" });
      headers.append("Set-Cookie", "a=1");
      headers.append("Set-Cookie", "b=2");
      return new Response("created", { status: 201, statusText: "Made It", headers });
    };
    const { response, body } = await send("POST", "/x", { body: "" });
    assert.equal(response.statusCode, 201);
    assert.equal(response.statusMessage, "Made It");
    assert.equal(response.headers["content-type"], "application/x-test");
    assert.deepEqual(response.headers["set-cookie"], ["a=1", "b=2"]);
    assert.equal(body.toString(), "created");
  });

  it("answers HEAD with the headers only and cancels the body it does not send", async () => {
    const cancelled = signal<unknown>();
    route = () => {
      const body = new ReadableStream<Uint8Array>({
        pull: (c) => c.enqueue(new Uint8Array(1024)),
        cancel: (reason) => cancelled.resolve(reason),
      });
      return new Response(body, { headers: { "Content-Length": "4096", "X-Kind": "head" } });
    };
    const { response, body } = await send("HEAD", "/h");
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-length"], "4096");
    assert.equal(response.headers["x-kind"], "head");
    assert.equal(body.length, 0);
    await within(cancelled.promise, 2000, "the HEAD body to be cancelled");
  });

  it("streams a chunked upload to the handler while the client is still sending", async () => {
    const firstChunkSeen = signal();
    route = async (request) => {
      const reader = request.body!.getReader();
      let total = 0;
      let chunks = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (chunks++ === 0) firstChunkSeen.resolve();
      }
      return Response.json({ total, chunked: request.headers.get("transfer-encoding") });
    };
    const result = new Promise<Sent>((resolve, reject) => {
      const req = httpRequest(server.url + "/up", { method: "POST", agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (c: Buffer) => chunks.push(c));
        response.on("end", () => resolve({ response, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.write(new Uint8Array(1000).fill(1));
      // The rest is only sent once the handler has seen the first part: a bridge that buffered the
      // whole body before calling the handler would never get here.
      void firstChunkSeen.promise.then(() => req.end(new Uint8Array(234).fill(2)));
    });
    const { response, body } = await within(result, 5000, "the chunked upload to finish");
    assert.equal(response.statusCode, 200);
    assert.deepEqual(JSON.parse(body.toString()), { total: 1234, chunked: "chunked" });
  });

  it("stops reading the socket while the handler does not read the body", async () => {
    const release = signal();
    let received = 0;
    route = async (request) => {
      const reader = request.body!.getReader();
      received += (await reader.read()).value!.byteLength;
      await release.promise;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
      }
      return new Response(String(received));
    };
    const total = 256 * MiB;
    const chunk = new Uint8Array(MiB);
    let written = 0;
    const response = new Promise<Sent>((resolve, reject) => {
      const req = httpRequest(server.url + "/slow", { method: "POST", agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ response: res, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      void (async () => {
        while (written < total) {
          written += chunk.byteLength;
          if (!req.write(chunk)) {
            const drained = await Promise.race([new Promise((r) => req.once("drain", () => r(true))), sleep(500).then(() => false)]);
            if (!drained) break;
          }
        }
        // The socket stalled: the server is applying back-pressure. Let the handler read the rest.
        const stalledAt = written;
        release.resolve();
        while (written < total) {
          written += chunk.byteLength;
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        }
        req.end();
        stalledAtBytes = stalledAt;
      })();
    });
    let stalledAtBytes = 0;
    const { body } = await within(response, 60_000, "the slow upload to finish");
    assert.equal(Number(body.toString()), total);
    // Socket buffers on both ends hold a few MiB; the bridge must not have read the rest ahead.
    assert.ok(stalledAtBytes < 64 * MiB, `the client could write ${stalledAtBytes / MiB} MiB while the handler read nothing`);
  });

  it("answers a body the handler gave up on part-way, and keeps serving (a refused push)", async () => {
    route = async (request) => {
      const reader = request.body!.getReader();
      // Let the body pile up in the queue and the paused socket first: Node 20's Readable.toWeb
      // crashed the process when the stream was cancelled with data still buffered behind it.
      await sleep(200);
      await reader.read();
      // What a limit does: stop reading and answer while the client is still sending.
      await reader.cancel(new Error("over the limit"));
      return new Response("too large", { status: 413 });
    };
    const body = new Uint8Array(8 * MiB).fill(7);
    for (let i = 0; i < 3; i++) {
      const { response, body: answer } = await send("POST", "/refuse", { body });
      assert.equal(response.statusCode, 413);
      assert.equal(answer.toString(), "too large");
    }
    route = () => new Response("alive");
    assert.equal((await send("GET", "/alive")).body.toString(), "alive");
  });

  it("discards a body the handler never read, so the connection serves the next request", async () => {
    route = (request) => new Response(request.method === "POST" ? "denied" : "next", { status: request.method === "POST" ? 401 : 200 });
    // One keep-alive connection: the GET can only be answered once the POST's body is off the wire.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ask = (method: string, body?: Uint8Array) =>
        new Promise<Sent>((resolve, reject) => {
          const req = httpRequest(server.url + "/ignored", { method, agent }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (c: Buffer) => chunks.push(c));
            response.on("end", () => resolve({ response, body: Buffer.concat(chunks) }));
          });
          req.on("error", reject);
          req.end(body);
        });
      const posted = ask("POST", new Uint8Array(8 * MiB));
      const next = ask("GET");
      assert.equal((await within(posted, 10_000, "the refusal")).body.toString(), "denied");
      assert.equal((await within(next, 10_000, "the request after the unread body")).body.toString(), "next");
    } finally {
      agent.destroy();
    }
  });

  it("pulls the response body only as fast as the client reads it", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const total = 256 * MiB;
    route = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(c) {
            if (pulled >= total) return c.close();
            pulled += chunk.byteLength;
            c.enqueue(chunk);
          },
        }),
      );
    let consumed = 0;
    const done = new Promise<void>((resolve, reject) => {
      const req = httpRequest(server.url + "/big", { agent: false }, (res) => {
        res.pause();
        // Read nothing for a while, then drain it all.
        setTimeout(() => {
          pulledWhilePaused = pulled;
          res.on("data", (c: Buffer) => (consumed += c.length));
          res.on("end", resolve);
          res.resume();
        }, 500);
      });
      req.on("error", reject);
      req.end();
    });
    let pulledWhilePaused = 0;
    await within(done, 60_000, "the large response to be read");
    assert.equal(consumed, total);
    assert.ok(pulledWhilePaused > 0);
    assert.ok(pulledWhilePaused < 64 * MiB, `the bridge pulled ${pulledWhilePaused / MiB} MiB while the client read nothing`);
  });

  it("cancels the response stream when the client goes away, and keeps serving", async () => {
    const cancelled = signal<unknown>();
    const firstByte = signal();
    route = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async pull(c) {
            c.enqueue(new Uint8Array(16 * 1024));
            await sleep(5);
          },
          cancel: (reason) => cancelled.resolve(reason),
        }),
      );
    const req = httpRequest(server.url + "/forever", { agent: false }, (res) => {
      res.once("data", () => firstByte.resolve());
    });
    req.on("error", () => {});
    req.end();
    await within(firstByte.promise, 2000, "the first bytes");
    req.destroy();
    await within(cancelled.promise, 2000, "the response stream to be cancelled");
    route = () => new Response("still here");
    const { body } = await send("GET", "/after");
    assert.equal(body.toString(), "still here");
  });

  it("errors the request body and aborts the request signal when an upload is cut off", async () => {
    const outcome = signal<{ error: unknown; aborted: boolean }>();
    const started = signal();
    route = async (request) => {
      const reader = request.body!.getReader();
      try {
        for (;;) {
          const { done } = await reader.read();
          started.resolve();
          if (done) break;
        }
        outcome.resolve({ error: null, aborted: request.signal.aborted });
      } catch (error) {
        outcome.resolve({ error, aborted: request.signal.aborted });
      }
      return new Response("never seen");
    };
    const req = httpRequest(server.url + "/cut", { method: "POST", agent: false });
    req.on("error", () => {});
    req.write(new Uint8Array(4096));
    await within(started.promise, 2000, "the upload to start");
    req.destroy();
    const { error, aborted } = await within(outcome.promise, 2000, "the handler to see the cut");
    assert.ok(error instanceof Error, "reading a cut-off body must fail, not end as if complete");
    assert.equal(aborted, true);
    route = () => new Response("alive");
    assert.equal((await send("GET", "/alive")).body.toString(), "alive");
  });

  it("answers 500 without detail when the handler throws, and logs the error", async () => {
    errors.length = 0;
    route = () => {
      throw new Error("secret detail");
    };
    const { response, body } = await send("GET", "/boom");
    assert.equal(response.statusCode, 500);
    assert.equal(body.toString(), "Internal server error");
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, "secret detail");
  });

  it("cuts the response short when its body fails after the headers went out", async () => {
    errors.length = 0;
    route = () => {
      let n = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(c) {
            if (n++ === 0) c.enqueue(new TextEncoder().encode("partial"));
            else c.error(new Error("broken pack"));
          },
        }),
      );
    };
    await assert.rejects(send("GET", "/broken"), /aborted|socket hang up|ECONNRESET/);
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, "broken pack");
  });

  it("close() stops listening", async () => {
    const other = await serveFetch({ fetch: () => new Response("x") });
    const res = await fetch(other.url);
    assert.equal(await res.text(), "x");
    await other.close();
    await assert.rejects(fetch(other.url));
  });
});
