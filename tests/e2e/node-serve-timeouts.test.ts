/**
 * Connection timeouts of the node:http bridge (adapters/node/serve.ts): a client that opens
 * connections and then sends nothing, half a request, or nothing after a response must not hold
 * them (and their file descriptors) forever; a request that has fully arrived is answered however
 * long the handler works on it. The idle timeout is shortened through `idleTimeoutMs` so the test
 * runs quickly; it asserts only that the server closes each idle socket, never how fast.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { serveFetch, DEFAULT_IDLE_TIMEOUT_MS, type RunningServer } from "../../adapters/node/serve.ts";

let server: RunningServer;
const sockets: Socket[] = [];

/** Releases the answers of `/slow` requests (the handler's work after the request arrived). */
let release: () => void = () => {};
let slowStarted: () => void = () => {};

before(async () => {
  server = await serveFetch({
    async fetch(request) {
      if (new URL(request.url).pathname !== "/slow") return new Response("ok\n");
      const body = await request.text();
      slowStarted();
      await new Promise<void>((resolve) => (release = resolve));
      return new Response(`slow ${body}\n`);
    },
  }, { idleTimeoutMs: 300, onError: () => {} });
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await server.close({ force: true });
});

/** Opens a raw connection, writes `data`, and resolves with everything received once the server closes it. */
function converse(data: string): Promise<string> {
  const { port, hostname } = new URL(server.url);
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(Number(port), hostname, () => {
      if (data) socket.write(data);
    });
    sockets.push(socket);
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (received += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

describe("node:http bridge timeouts", () => {
  it("closes a connection that never sends a request", async () => {
    assert.equal(await converse(""), "");
  });

  it("closes a connection that sends half of its headers and stops", async () => {
    assert.equal(await converse("GET / HTTP/1.1\r\nHost: x\r\n"), "");
  });

  it("closes an idle keep-alive connection after answering its request", async () => {
    const received = await converse("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\n\r\n3\r\nok\n\r\n0\r\n\r\n$/);
  });

  it("closes a connection whose request body stalls", async () => {
    assert.equal(await converse("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"), "");
  });

  it("does not count the server's own work on a fully arrived request (a push being indexed) as idle time", async () => {
    for (const head of ["GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\npack"]) {
      const started = new Promise<void>((resolve) => (slowStarted = resolve));
      const answer = converse(head);
      await started;
      // Several idle periods pass while the handler works; the connection must survive them.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      release();
      const received = await answer;
      assert.match(received, /^HTTP\/1\.1 200 OK\r\n/, head);
      assert.match(received, head.startsWith("GET") ? /slow \n/ : /slow pack\n/);
    }
  });

  it("sets every timeout by default: idle 120 s, and a headers timeout even though requestTimeout is off", async () => {
    const running = await serveFetch({ fetch: () => new Response("") });
    try {
      assert.equal(DEFAULT_IDLE_TIMEOUT_MS, 120_000);
      assert.equal(running.server.timeout, DEFAULT_IDLE_TIMEOUT_MS);
      assert.equal(running.server.requestTimeout, 0);
      assert.ok(running.server.headersTimeout > 0 && running.server.headersTimeout <= 60_000, String(running.server.headersTimeout));
      assert.ok(running.server.keepAliveTimeout > 0 && running.server.keepAliveTimeout <= DEFAULT_IDLE_TIMEOUT_MS);
    } finally {
      await running.close({ force: true });
    }
  });
});
