/**
 * @module repo/git-error
 * Errors a git client shows the user. Before any byte of a response is sent, an upload-pack error is
 * an `ERR <message>` pkt-line (gitprotocol-pack: "the server may send an ERR packet"), which git
 * prints as "remote error: <message>". Unexpected failures are logged and reported without detail.
 */
import { encodePktLine } from "../git/pkt-line.ts";
import { ReposError } from "../errors.ts";
import { pushStream } from "../util/push-stream.ts";

/** The message a client may see for `error`: ours verbatim, anything else generic. */
export function publicMessage(error: unknown): string {
  return error instanceof ReposError ? error.message : "internal server error";
}

/** A response body holding one ERR pkt-line. Unexpected errors go to `onError` first. */
export function errorResponse(error: unknown, onError?: (e: unknown) => void): ReadableStream<Uint8Array> {
  if (!(error instanceof ReposError) || error.code === "ERR_STORAGE" || error.code === "ERR_CORRUPT") onError?.(error);
  const line = encodePktLine(`ERR ${publicMessage(error)}\n`);
  return pushStream(async (write) => write(line));
}
