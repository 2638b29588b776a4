/**
 * @module adapters/node/serve
 * Serves a WinterCG fetch handler over `node:http`, streaming in both directions: the request body
 * reaches the handler as a web stream that pauses the socket when the handler stops reading, and
 * the response body is pulled one chunk at a time, waiting for `drain` whenever the socket's buffer
 * is full (RFC 9112 chunked transfer when the handler gives no Content-Length). A client that goes
 * away cancels both streams, so a clone or push in progress stops instead of running on into a
 * closed socket. Used by adapters/node/main.ts, the tests and the embedding example.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Anything with a WinterCG `fetch`: Reposit's handler, an itty-router app, a Hono app. */
export interface FetchHandler {
  fetch(request: Request): Response | Promise<Response>;
}

export interface ServeOptions {
  /** Interface to listen on (default "127.0.0.1"). */
  readonly host?: string;
  /** Port (default 0: one the OS picks; read it from `url`). */
  readonly port?: number;
  /** Called with failures that escape the handler or break a response mid-stream. */
  readonly onError?: (error: unknown) => void;
  /**
   * Milliseconds a connection may pass without a byte in either direction before it is closed
   * (default 120,000, as Bun's `idleTimeout` in adapters/bun/main.ts; 0 disables).
   */
  readonly idleTimeoutMs?: number;
}

/** Default of `ServeOptions.idleTimeoutMs`. */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
/** Time a client has to send a request's complete headers (Node's default when requestTimeout is on). */
const HEADERS_TIMEOUT_MS = 60_000;
/** Idle time between requests on a keep-alive connection; see serveFetch. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

export interface RunningServer {
  /** Where the server listens, e.g. "http://127.0.0.1:8787". */
  readonly url: string;
  readonly server: Server;
  /**
   * Stops accepting connections and resolves once every connection is closed. In-flight requests
   * finish first unless `force` is set, which cuts them off (what a shutdown signal wants).
   */
  close(options?: { force?: boolean }): Promise<void>;
}

const defaultOnError = (error: unknown) => console.error("Request failed:", error);

/**
 * Starts serving `handler` and resolves when the server is listening.
 * @example const { url, close } = await serveFetch(createHandler(options), { port: 8787 });
 */
export async function serveFetch(handler: FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const onError = options.onError ?? defaultOnError;
  // Timeouts (all of them matter: without them one client can hold file descriptors forever):
  // - requestTimeout 0: a large push may take longer than Node's 5-minute default to upload; limits
  //   on size are Reposit's (limits.maxPushBytes), not the socket's. What bounds a stalled request
  //   instead is the idle timeout below.
  // - headersTimeout: Node derives its default from requestTimeout (min(60 s, requestTimeout)), so
  //   requestTimeout 0 silently turned it off, and a connection that sent no request, or half of
  //   its headers, was kept forever. Set explicitly.
  // - keepAliveTimeout: an idle connection should be closed by the client, not the server, or a
  //   request sent just as the server closes fails with "other side closed". Node's 5 s default lost
  //   that race to any client whose event loop was busy for a few seconds (seen with undici in our
  //   e2e tests).
  // - timeout (idle): no byte either way for idleTimeoutMs closes the socket: an idle or
  //   half-sent request, a stalled upload, a response the client stopped reading. It is paused
  //   from the end of a request's body until its response is ready (see `respond`), because that
  //   wait is the server's own work: a push is silent from its last byte until its report while the
  //   pack is indexed and published (src/repo/receive-pack.ts sends nothing meanwhile).
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout: idle > 0 ? Math.min(HEADERS_TIMEOUT_MS, idle) : HEADERS_TIMEOUT_MS,
      keepAliveTimeout: idle > 0 ? Math.min(KEEP_ALIVE_TIMEOUT_MS, idle) : KEEP_ALIVE_TIMEOUT_MS,
    },
    (req, res) => {
      void respond(handler, req, res, host, onError, idle);
    },
  );
  // With no "timeout" listener on the server, Node destroys the idle socket.
  server.setTimeout(idle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    url: urlOf(server.address() as AddressInfo),
    server,
    close: ({ force = false } = {}) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (force) server.closeAllConnections();
        else server.closeIdleConnections();
      }),
  };
}

function urlOf(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function respond(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, host: string, onError: (error: unknown) => void, idleMs: number): Promise<void> {
  // Errors on a socket the client already dropped are expected; `aborted` below tells them apart.
  res.on("error", () => {});
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  // A body the handler left unread (a refusal before reading it) would hold the paused socket, and
  // with it the keep-alive connection, forever: once the answer is out, read the rest and drop it.
  res.once("finish", () => {
    if (!req.complete) discard(req);
  });
  // The idle timer is paused while the handler works on a request that has fully arrived: at once
  // for GET and HEAD, else when the body's last byte is in (which, with bodyStream's small read-ahead,
  // means the handler has read nearly all of it). A large body the handler leaves unread (a refusal)
  // keeps it running.
  const socket = req.socket;
  let working = true;
  const pause = () => {
    // Never after the answer: a body that ends later must not leave the connection without a timeout.
    if (working && idleMs > 0) socket.setTimeout(0);
  };
  const resume = () => {
    working = false;
    if (idleMs > 0 && !socket.destroyed) socket.setTimeout(idleMs);
  };
  let request: Request;
  try {
    request = toRequest(req, host, aborted.signal, pause);
  } catch {
    resume();
    // A Host header or request target that is not a URL: nothing a handler could answer.
    return void res.writeHead(400, { "Content-Type": "text/plain; charset=UTF-8" }).end("Bad request");
  }
  let response: Response;
  try {
    response = await handler.fetch(request);
  } catch (error) {
    onError(error);
    if (!res.headersSent && !res.destroyed) res.writeHead(500, { "Content-Type": "text/plain; charset=UTF-8" }).end("Internal server error");
    return;
  } finally {
    resume();
  }
  try {
    await writeResponse(response, req.method === "HEAD", res, aborted.signal);
  } catch (error) {
    if (!aborted.signal.aborted) onError(error);
    // Headers are out, so a failure can only be signalled by cutting the response short.
    res.destroy();
  }
}

/** The web Request for `req`; its body (if any) is the socket, read only as the handler reads. */
function toRequest(req: IncomingMessage, host: string, signal: AbortSignal, onComplete: () => void): Request {
  const target = req.url ?? "/";
  const origin = `http://${req.headers.host ?? host}`;
  // Origin-form targets are appended, never resolved: `new URL("//x/y", origin)` would change host.
  const url = target.startsWith("/") ? new URL(origin + target) : new URL(target);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") {
    const request = new Request(url, { method, headers, signal });
    onComplete();
    return request;
  }
  // `duplex: "half"` is what fetch requires for a stream body; Node's RequestInit types lack it.
  return new Request(url, { method, headers, signal, body: bodyStream(req, onComplete), duplex: "half" } as RequestInit);
}

/** Bytes queued ahead of the handler before the socket is paused (Node's own stream default is 16 KiB). */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/**
 * The request body as a web stream that pauses the socket while its queue is full. Not
 * `Readable.toWeb`: on Node 20 that throws an uncatchable "Controller is already closed" when data
 * arrives after the handler cancelled the stream (nodejs/node#54205), which killed the server
 * whenever a push was refused part-way (e.g. over limits.maxPushBytes). A cancelled body is
 * discarded as it arrives, as Node does for any body a handler leaves unread, so the client can
 * finish sending and read the answer instead of getting a reset connection.
 */
function bodyStream(req: IncomingMessage, onEnd: () => void): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const settle = () => {
          settled = true;
          req.off("data", onData);
        };
        const onData = (chunk: Buffer) => {
          if (settled) return;
          // A plain Uint8Array view: Buffer's slice() shares memory where Uint8Array's copies.
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        req.on("data", onData);
        req.once("end", () => {
          if (settled) return;
          settle();
          onEnd();
          controller.close();
        });
        const cutOff = (error?: Error) => {
          if (settled) return;
          settle();
          controller.error(error ?? new Error("Request body cut off: the client closed the connection"));
        };
        req.once("error", cutOff);
        req.once("close", () => cutOff());
      },
      pull() {
        if (!settled) req.resume();
      },
      cancel() {
        settled = true;
        discard(req);
      },
    },
    { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
}

/** Reads the rest of `req` without keeping it (what Node does with a body nobody listens to). */
function discard(req: IncomingMessage): void {
  req.removeAllListeners("data");
  req.resume();
}

async function writeResponse(response: Response, head: boolean, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  const body = response.body;
  if (body === null || head) {
    // A HEAD response's body is never sent; cancelling lets its producer stop.
    if (body !== null) await body.cancel().catch(() => {});
    res.end();
    return;
  }
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || signal.aborted) break;
      if (!res.write(value) && !(await drained(res))) break;
    }
  } finally {
    signal.removeEventListener("abort", cancel);
  }
  if (!signal.aborted) res.end();
}

/** Resolves true once the socket wants more, or false when it closed first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => finish(true);
    const onClose = () => finish(false);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}
