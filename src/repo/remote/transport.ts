/**
 * @module repo/remote/transport
 * The HTTP side of the import client (gitprotocol-http "Smart Clients"): requests go through an
 * injected `fetch` (each runtime or test passes its own), carry git's headers, and share one
 * deadline that bounds every wait on the remote — response headers and each body read — so a
 * stalled remote fails the import instead of hanging it. Like git (http.followRedirects=initial),
 * only the discovery GET follows redirects, and each hop is checked again (scheme, `checkTarget`).
 */
import { ArtifactsError } from "../../errors.ts";
import { checkScheme } from "./remote-url.ts";
import { malformed, statusError, upstreamUnavailable } from "./remote-errors.ts";

/** What the client calls to reach the remote: global `fetch` fits, and so does `(r) => handler.fetch(r)`. */
export type FetchFunction = (request: Request) => Promise<Response>;

/** Vets a URL before it is requested (the SSRF hook: refuse private or loopback targets). Throws to refuse. */
export type TargetCheck = (url: URL) => void | Promise<void>;

/** The agent git servers see; the "git/" prefix is what some hosts look for to serve smart HTTP. */
export const CLIENT_AGENT = "git/2.39-reposit";

/** Redirects followed on discovery before giving up (git's curl default is 20; 5 suffices). */
const MAX_REDIRECTS = 5;

export interface TransportOptions {
  readonly fetch: FetchFunction;
  /** Bound on all waiting for the remote, in milliseconds. */
  readonly timeoutMs: number;
  readonly allowHttpHosts: readonly string[];
  readonly checkTarget?: TargetCheck | undefined;
}

/** Rejects pending waits once the time is up; `dispose()` stops the timer. */
class Deadline {
  readonly controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(ms: number) {
    this.#timer = setTimeout(() => this.controller.abort(upstreamUnavailable(new Error(`Remote did not finish sending within ${ms} ms`))), ms);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `promise`, or the timeout error if the deadline passes first; other rejections become `wrap(error)`. */
  race<T>(promise: Promise<T>, wrap: (error: unknown) => unknown): Promise<T> {
    const signal = this.signal;
    if (signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(signal.aborted ? signal.reason : wrap(error));
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}

/** Network failures (fetch rejects with TypeError; aborts with AbortError) are the upstream's. */
function networkError(error: unknown): unknown {
  return error instanceof ArtifactsError ? error : upstreamUnavailable(error);
}

export class Transport {
  readonly #options: TransportOptions;
  readonly #deadline: Deadline;
  /** Bodies being read, so `close()` can release what the caller left unread. */
  readonly #live = new Map<AsyncGenerator<Uint8Array, void, undefined>, Response>();
  /** The repository URL for messages. */
  readonly url: string;

  constructor(url: string, options: TransportOptions) {
    this.url = url;
    this.#options = options;
    this.#deadline = new Deadline(options.timeoutMs);
  }

  /**
   * GET `<base>/info/refs?service=git-upload-pack`, following redirects. Returns the response and
   * the base URL it came from (a redirect moves the repository, as in remote-curl).
   */
  async discover(base: string, headers: Record<string, string>): Promise<{ response: Response; base: string }> {
    let target = new URL(`${base}/info/refs?service=git-upload-pack`);
    for (let hop = 0; ; hop++) {
      const response = await this.#send(target, { method: "GET", headers: this.#headers(headers) });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status > 399 || location === null) {
        return { response, base: rebase(target, base) };
      }
      await cancelBody(response);
      if (hop === MAX_REDIRECTS) throw upstreamUnavailable(new Error(`Remote redirected more than ${MAX_REDIRECTS} times`));
      target = new URL(location, target);
    }
  }

  /** POST an upload-pack request; anything but 200 with the result content type is an error. */
  async uploadPack(base: string, body: Uint8Array, headers: Record<string, string>): Promise<Response> {
    const response = await this.#send(new URL(`${base}/git-upload-pack`), {
      method: "POST",
      body: body as BodyInit,
      headers: this.#headers({
        "Content-Type": "application/x-git-upload-pack-request",
        Accept: "application/x-git-upload-pack-result",
        ...headers,
      }),
    });
    if (response.status !== 200) throw await this.fail(response, false);
    const type = mediaType(response);
    if (type !== "application/x-git-upload-pack-result") {
      await cancelBody(response);
      throw malformed(`Unexpected upload-pack response type "${type}": expected application/x-git-upload-pack-result`);
    }
    return response;
  }

  /** The error for a non-success response (its body is released). */
  async fail(response: Response, discovery: boolean): Promise<ArtifactsError> {
    await cancelBody(response);
    return statusError(response.status, this.url, discovery);
  }

  /**
   * The response body as chunks, each read bounded by the deadline; read failures become
   * UPSTREAM_UNAVAILABLE. Stopping early, or `close()`, cancels the body.
   */
  body(response: Response): AsyncGenerator<Uint8Array, void, undefined> {
    const generator = this.#read(response, () => this.#live.delete(generator));
    this.#live.set(generator, response);
    return generator;
  }

  /** Stops the deadline timer and releases every body not read to the end (e.g. a pack nobody consumed). */
  close(): void {
    this.#deadline.dispose();
    for (const [generator, response] of this.#live) {
      // A generator that never started would finish without running its cleanup.
      if (response.body !== null && !response.body.locked) void cancelBody(response);
      else generator.return(undefined).catch(() => {});
    }
    this.#live.clear();
  }

  async *#read(response: Response, done: () => void): AsyncGenerator<Uint8Array, void, undefined> {
    if (response.body === null) return done();
    const reader = response.body.getReader();
    let finished = false;
    try {
      for (;;) {
        const result = await this.#deadline.race(reader.read(), networkError);
        if (result.done) {
          finished = true;
          return;
        }
        yield result.value;
      }
    } catch (error) {
      finished = true;
      reader.cancel(error).catch(() => {});
      throw error;
    } finally {
      done();
      if (!finished) await reader.cancel().catch(() => {});
    }
  }

  async #send(url: URL, init: RequestInit): Promise<Response> {
    checkScheme(url, this.#options.allowHttpHosts);
    await this.#options.checkTarget?.(url);
    const request = new Request(url, { ...init, redirect: "manual", signal: this.#deadline.signal });
    return this.#deadline.race(Promise.resolve().then(() => this.#options.fetch(request)), networkError);
  }

  #headers(extra: Record<string, string>): Headers {
    const headers = new Headers(extra);
    headers.set("User-Agent", CLIENT_AGENT);
    return headers;
  }
}

/** The media type of a response without parameters, lowercase ("" when absent). */
export function mediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

/** Releases a response body we will not read. */
export async function cancelBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/** The repository base a discovery URL belongs to (`.../info/refs` stripped); `fallback` when it is not one. */
function rebase(target: URL, fallback: string): string {
  const suffix = "/info/refs";
  if (!target.pathname.endsWith(suffix)) return fallback;
  return target.origin + target.pathname.slice(0, -suffix.length);
}
