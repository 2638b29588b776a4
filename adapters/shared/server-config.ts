/**
 * @module adapters/shared/server-config
 * Server configuration from the environment, shared by the Bun, Node and Deno entry points:
 *
 *   PORT (8787)  HOST (127.0.0.1)  REPOSIT_DATA (./.reposit)  REPOSIT_PUBLIC_URL  REPOSIT_ACCOUNT_ID
 *   REPOSIT_API_TOKEN   control-plane bearer; generated on first start into <data>/api-token (0600)
 *   REPOSIT_SIGNING_KEY token signing key; generated on first start into <data>/signing-key (0600)
 *   REPOSIT_IMPORT_ALLOW_HTTP  comma-separated hosts (host or host:port) whose plain-http URLs may be
 *                       imported (tests and private networks; https is always allowed)
 *   REPOSIT_MAX_PUSH_BYTES, REPOSIT_MAX_OBJECT_BYTES
 *                       optional overrides of limits.maxPushBytes and limits.maxObjectBytes
 *                       (src/limits.ts), in bytes; end-to-end tests lower them to exercise the limits
 *   REPOSIT_IMPORT_ALLOW_PRIVATE  comma-separated hosts (host or host:port) that may be imported from
 *                       although they are loopback, private or link-local (refused by default: SSRF)
 *   REPOSIT_RATE_LIMIT  "<requests>/<seconds>" per namespace (REST) and per repository (git), or "off";
 *                       default 2000/10 as Artifacts
 *   REPOSIT_CORS_ORIGINS  comma-separated origins (scheme://host[:port]) whose pages may call the git
 *                       and REST routes from a browser; "*" = any origin. Default: none
 *   REPOSIT_CONSOLE     1 or 0: serve the web console at /console. Default: on when HOST is a
 *                       loopback address (127.0.0.0/8, ::1, localhost), off otherwise
 *
 * Where there is no data directory (Deno Deploy), loadEnvironmentConfig requires both secrets.
 * Generated secrets are written with mode 0600 and never logged except the API token, which the
 * start-up banner prints once so the operator can use it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateSigningKey, parseSigningKey } from "../../src/auth/signing-key.ts";
import type { Limits } from "../../src/limits.ts";
import type { KvStore } from "../../src/storage/types.ts";
import type { Platform } from "../../src/platform.ts";
import type { HandlerOptions } from "../../src/http/handler.ts";
import { parseCorsOrigins } from "../../src/http/cors.ts";
import { dnsTargetCheck } from "./dns-target-check.ts";
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from "../../src/http/rate-limit.ts";

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly apiToken: string;
  /** True when the API token was generated (or read from the data directory) rather than given. */
  readonly apiTokenFromFile: boolean;
  readonly signingKey: Uint8Array;
  readonly publicUrl?: string;
  readonly accountId?: string;
  /** Overrides of the default limits (empty unless set in the environment). */
  readonly limits: Partial<Limits>;
  /** Hosts whose plain-http URLs may be imported. */
  readonly importAllowHttp: string[];
  /** Non-public hosts that may be imported from. */
  readonly importAllowPrivate: string[];
  /** Rate limit per namespace / repository, or false. */
  readonly rateLimit: RateLimitOptions | false;
  /** Origins allowed to use the git and REST routes from a browser (REPOSIT_CORS_ORIGINS). */
  readonly corsOrigins: string[];
  /** Serve the web console at /console (REPOSIT_CONSOLE; default on for loopback hosts). */
  readonly console: boolean;
}

function rateLimitFrom(text: string | undefined): RateLimitOptions | false {
  if (!text) return DEFAULT_RATE_LIMIT;
  if (text === "off" || text === "0") return false;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`Invalid REPOSIT_RATE_LIMIT "${text}": expected <requests>/<seconds> or off`);
  return { requests: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

function listFrom(text: string | undefined): string[] {
  return (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** Environment variables that override a limit, and the limit each one sets. */
const LIMIT_VARIABLES: readonly (readonly [string, keyof Limits])[] = [
  ["REPOSIT_MAX_PUSH_BYTES", "maxPushBytes"],
  ["REPOSIT_MAX_OBJECT_BYTES", "maxObjectBytes"],
];

function limitsFrom(env: Record<string, string | undefined>): Partial<Limits> {
  const limits: Partial<Limits> = {};
  for (const [name, field] of LIMIT_VARIABLES) {
    const text = env[name];
    if (!text) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`Invalid ${name} "${text}": expected a positive whole number of bytes`);
    limits[field] = value;
  }
  return limits;
}

/** True for hosts only this machine can reach: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

function consoleEnabled(value: string | undefined, host: string): boolean {
  if (value === undefined || value === "") return isLoopbackHost(host);
  if (value === "1") return true;
  if (value === "0") return false;
  throw new Error(`Invalid REPOSIT_CONSOLE "${value}": expected 1 or 0`);
}

function secretFile(path: string, generate: () => string): string {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const value = generate();
  writeFileSync(path, value + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return value;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return `rpt_${out}`;
}

/** Reads the configuration, creating the data directory and missing secrets. */
export function loadServerConfig(env: Record<string, string | undefined>): ServerConfig {
  const dataDir = resolve(env["REPOSIT_DATA"] || "./.reposit");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const port = Number(env["PORT"] || 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid PORT "${env["PORT"]}": expected 0-65535`);
  const givenToken = env["REPOSIT_API_TOKEN"];
  const apiToken = givenToken || secretFile(join(dataDir, "api-token"), randomToken);
  const keyText = env["REPOSIT_SIGNING_KEY"] || secretFile(join(dataDir, "signing-key"), generateSigningKey);
  const publicUrl = env["REPOSIT_PUBLIC_URL"];
  const accountId = env["REPOSIT_ACCOUNT_ID"];
  const host = env["HOST"] || "127.0.0.1";
  return {
    port,
    host,
    dataDir,
    apiToken,
    apiTokenFromFile: !givenToken,
    signingKey: parseSigningKey(keyText),
    limits: limitsFrom(env),
    importAllowHttp: listFrom(env["REPOSIT_IMPORT_ALLOW_HTTP"]),
    importAllowPrivate: listFrom(env["REPOSIT_IMPORT_ALLOW_PRIVATE"]),
    rateLimit: rateLimitFrom(env["REPOSIT_RATE_LIMIT"]),
    corsOrigins: parseCorsOrigins(env["REPOSIT_CORS_ORIGINS"]),
    console: consoleEnabled(env["REPOSIT_CONSOLE"], host),
    ...(publicUrl ? { publicUrl } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

/**
 * Reads the configuration of a host without a data directory (Deno Deploy: no writable disk, so
 * nothing can be generated and kept): both secrets must be given in the environment.
 */
export function loadEnvironmentConfig(env: Record<string, string | undefined>): ServerConfig {
  const apiToken = env["REPOSIT_API_TOKEN"];
  const keyText = env["REPOSIT_SIGNING_KEY"];
  for (const [name, value] of [["REPOSIT_API_TOKEN", apiToken], ["REPOSIT_SIGNING_KEY", keyText]] as const) {
    if (!value) throw new Error(`Missing ${name}: it must be set in the environment where there is no data directory to keep a generated one`);
  }
  const publicUrl = env["REPOSIT_PUBLIC_URL"];
  const accountId = env["REPOSIT_ACCOUNT_ID"];
  return {
    port: Number(env["PORT"] || 8000),
    host: env["HOST"] || "0.0.0.0",
    dataDir: "",
    apiToken: apiToken!,
    apiTokenFromFile: false,
    signingKey: parseSigningKey(keyText!),
    limits: limitsFrom(env),
    importAllowHttp: listFrom(env["REPOSIT_IMPORT_ALLOW_HTTP"]),
    importAllowPrivate: listFrom(env["REPOSIT_IMPORT_ALLOW_PRIVATE"]),
    rateLimit: rateLimitFrom(env["REPOSIT_RATE_LIMIT"]),
    corsOrigins: parseCorsOrigins(env["REPOSIT_CORS_ORIGINS"]),
    console: env["REPOSIT_CONSOLE"] === "1",
    ...(publicUrl ? { publicUrl } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

/** The start-up banner every entry point prints. */
export function banner(runtime: string, url: string, config: ServerConfig, storage: string): string {
  return [
    `Reposit (${runtime}) listening on ${url}`,
    `  data:      ${config.dataDir} (${storage})`,
    `  API token: ${config.apiToken}${config.apiTokenFromFile ? `  (stored in ${join(config.dataDir, "api-token")})` : ""}`,
    `  REST:      ${url}/client/v4/accounts/<account>/artifacts/namespaces/<namespace>/repos`,
    ...(config.console ? [`  console:   ${url}/console`] : []),
    ...(config.corsOrigins.length > 0 ? [`  CORS:      ${config.corsOrigins.join(", ")}`] : []),
  ].join("\n");
}

/** The createHandler options every server entry point derives from its configuration. */
export function handlerOptions(config: ServerConfig, store: KvStore, platform: Platform): HandlerOptions {
  return {
    store,
    platform,
    signingKey: config.signingKey,
    apiToken: config.apiToken,
    limits: config.limits,
    import: {
      allowHttpHosts: config.importAllowHttp,
      allowPrivateHosts: config.importAllowPrivate,
      checkTarget: dnsTargetCheck([...config.importAllowHttp, ...config.importAllowPrivate]),
    },
    rateLimit: config.rateLimit,
    corsOrigins: config.corsOrigins,
    console: config.console,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(config.accountId ? { accountId: config.accountId } : {}),
  };
}
