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
}

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
  // requestTimeout 0: a large push may take longer than Node's 5-minute default to upload; limits
  // on size are Reposit's (limits.maxPushBytes), not the socket's. keepAliveTimeout: an idle
  // connection should be closed by the client, not the server, or a request sent just as the
  // server closes fails with "other side closed". Node's 5 s default lost that race to any client
  // whose event loop was busy for a few seconds (seen with undici in our e2e tests).
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 30_000 }, (req, res) => {
    void respond(handler, req, res, host, onError);
  });
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

async function respond(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, host: string, onError: (error: unknown) => void): Promise<void> {
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
  let request: Request;
  try {
    request = toRequest(req, host, aborted.signal);
  } catch {
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
function toRequest(req: IncomingMessage, host: string, signal: AbortSignal): Request {
  const target = req.url ?? "/";
  const origin = `http://${req.headers.host ?? host}`;
  // Origin-form targets are appended, never resolved: `new URL("//x/y", origin)` would change host.
  const url = target.startsWith("/") ? new URL(origin + target) : new URL(target);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers, signal });
  // `duplex: "half"` is what fetch requires for a stream body; Node's RequestInit types lack it.
  return new Request(url, { method, headers, signal, body: bodyStream(req), duplex: "half" } as RequestInit);
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
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
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
