/**
 * @module http/envelope
 * Cloudflare's v4 response envelope: `{ result, success, errors, messages, result_info? }`.
 */

export function envelope(result: unknown, status = 200, resultInfo?: Record<string, unknown>): Response {
  const body: Record<string, unknown> = { result, success: true, errors: [], messages: [] };
  if (resultInfo) body["result_info"] = resultInfo;
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8" } });
}
