/**
 * @module adapters/cloudflare/cloudflare-workers
 * The few declarations of workerd's built-in `cloudflare:workers` module that the adapter uses,
 * written to match @cloudflare/workers-types. We declare them here instead of loading that package
 * because its global types replace the DOM library the rest of the code base is checked against
 * (its TextDecoder options, for one, make both fields required and break src/), so the adapter type
 * checks with the same settings as everything else.
 */
declare module "cloudflare:workers" {
  /** `ctx.storage` of a SQLite-backed Durable Object (only what the adapter uses). */
  export interface DurableObjectStorage {
    readonly sql: {
      exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> & { toArray(): Record<string, unknown>[] };
    };
    transactionSync<T>(closure: () => T): T;
  }

  export interface DurableObjectState {
    readonly storage: DurableObjectStorage;
    blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  }

  /** The base class of Durable Objects; public methods are callable over RPC. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }

  /** What an entry point sees of its invocation; `props` come from the service binding. */
  export interface EntrypointContext {
    readonly props?: unknown;
    waitUntil(promise: Promise<unknown>): void;
  }

  /** The base class of named entry points; public methods are callable over RPC. */
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected ctx: EntrypointContext;
    protected env: Env;
    constructor(ctx: EntrypointContext, env: Env);
  }

  /** Instances cross RPC as stubs: the receiver calls back into the sender's object. */
  export abstract class RpcTarget {
    constructor();
  }
}
