/**
 * @module http/body
 * Request bodies as bounded byte streams: gzip is decoded (git gzips large upload-pack requests;
 * gitprotocol-http), chunked transfer is the server's business, and every body is cut off with a
 * LimitError at the configured size — after decoding, so a gzip bomb stops at the limit too.
 */
import { ProtocolError } from "../errors.ts";
import { gunzip, iterateStream, limitBytes } from "../util/streams.ts";

/** The decoded body of `request`, limited to `max` bytes (named by `limitName` in errors). */
export function requestBody(request: Request, max: number, limitName: string): AsyncIterable<Uint8Array> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  let body: ReadableStream<Uint8Array> = request.body ?? new ReadableStream({ start: (c) => c.close() });
  if (encoding === "gzip" || encoding === "x-gzip") body = gunzip(body);
  else if (encoding !== "identity" && encoding !== "") {
    throw new ProtocolError("ERR_REQUEST", `Unsupported Content-Encoding "${encoding}": expected gzip or identity`);
  }
  return limitBytes(iterateStream(body), max, limitName);
}
