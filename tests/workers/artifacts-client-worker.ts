/**
 * A consumer Worker of the Artifacts binding, as a user would write one: `env.ARTIFACTS` is a service
 * binding to the Reposit worker's ArtifactsEntrypoint (namespace from the binding's props), and
 * `env.ARTIFACTS_DEFAULT` one without props (namespace from the Reposit worker's ARTIFACTS_NAMESPACE).
 * Each route runs one scenario through the binding and answers JSON for the Node test to check.
 *
 *   POST /create?name=            create → { remote, token, ... }
 *   GET  /inspect?name=&path=     get (a `using` RPC handle) → info, metadata properties, a read
 *                                 token, listTokens, log, readFile, readBlob, readTree
 *   POST /fork?name=&to=          handle.fork → { remote, token, objects }
 *   POST /revoke?name=&token=     handle.revokeToken → boolean, then listTokens
 *   GET  /error?name=             get of a missing repository → the error's name, code, numericCode
 *   GET  /list                    list → names
 *   POST /delete?name=            delete → boolean, then get's error code
 *   POST /default?name=           create through ARTIFACTS_DEFAULT
 */
import type { Artifacts } from "../../src/api/binding.ts";

interface Env {
  readonly ARTIFACTS: Artifacts;
  readonly ARTIFACTS_DEFAULT: Artifacts;
}

/** Blob over RPC where the runtime supports it, else a Response: both have text() and a type. */
async function describeBody(body: Blob | Response | null) {
  if (body === null) return null;
  const type = body instanceof Response ? body.headers.get("Content-Type") : body.type;
  return { kind: body instanceof Response ? "Response" : "Blob", type, text: await body.text() };
}

function errorShape(error: unknown) {
  const e = error as { name?: string; message?: string; code?: string; numericCode?: number };
  return { name: e.name, message: e.message, code: e.code, numericCode: e.numericCode };
}

async function inspect(env: Env, name: string, path: string) {
  using repo = await env.ARTIFACTS.get(name);
  const info = await repo.info();
  const read = await repo.createToken("read", 3600);
  const tokens = await repo.listTokens();
  const log = await repo.log({ limit: 5 });
  const head = log[0]!;
  const tree = await repo.readTree(head.treeHash);
  const entry = tree?.find((e) => e.name === path) ?? null;
  return {
    info,
    properties: { remote: await repo.remote, name: await repo.name, defaultBranch: await repo.defaultBranch },
    read,
    tokens,
    log: log.map((c) => c.hash),
    file: await describeBody(await repo.readFile({ ref: info.defaultBranch, path })),
    missingFile: await repo.readFile({ ref: info.defaultBranch, path: "no/such/file" }),
    blob: entry === null ? null : await describeBody(await repo.readBlob(entry.hash)),
  };
}

async function route(env: Env, url: URL): Promise<unknown> {
  const q = (key: string) => url.searchParams.get(key) ?? "";
  switch (url.pathname) {
    case "/create":
      return env.ARTIFACTS.create(q("name"), { description: "made through the binding" });
    case "/default":
      return env.ARTIFACTS_DEFAULT.create(q("name"));
    case "/inspect":
      return inspect(env, q("name"), q("path"));
    case "/fork": {
      using repo = await env.ARTIFACTS.get(q("name"));
      return repo.fork(q("to"), { defaultBranchOnly: false });
    }
    case "/revoke": {
      using repo = await env.ARTIFACTS.get(q("name"));
      const revoked = await repo.revokeToken(q("token"));
      return { revoked, tokens: await repo.listTokens() };
    }
    case "/error":
      try {
        await env.ARTIFACTS.get(q("name"));
        return { error: null };
      } catch (error) {
        return { error: errorShape(error) };
      }
    case "/list":
      return (await env.ARTIFACTS.list({ limit: 200 })).repos.map((r) => r.name).sort();
    case "/delete": {
      const deleted = await env.ARTIFACTS.delete(q("name"));
      const after = await env.ARTIFACTS.get(q("name")).then(() => null, errorShape);
      return { deleted, after };
    }
    default:
      throw new Error(`Unknown route ${url.pathname}`);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return Response.json(await route(env, new URL(request.url)));
    } catch (error) {
      return Response.json(errorShape(error), { status: 500 });
    }
  },
};
