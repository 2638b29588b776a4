/**
 * @module repo/write-lease
 * One writer per repository. A push (and maintenance that rewrites a pool) holds the repository's
 * lease, a key `repo/<id>/lease` taken with compare-and-swap, from before it reads the pack until its
 * refs have moved. Other writers wait their turn — first in this process (a promise queue, no
 * polling), then across processes by retrying the CAS with backoff — and give up with a clear,
 * retryable error after `waitMs`. A lease expires after `ttlMs` unless renewed, so a crashed writer
 * never blocks a repository for long. Readers never take it.
 */
import type { KvStore } from "../storage/types.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import { ReposError } from "../errors.ts";

export interface LeaseOptions {
  /** How long to wait for the lease before giving up (default 60 s). */
  readonly waitMs?: number;
  /** How long a lease lives without renewal (default 60 s; renewed every third of it). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** Thrown when a writer waited too long: the client should retry. */
export class BusyError extends ReposError {
  constructor(message: string) {
    super("ERR_STORAGE", message);
  }
}

const leaseKey = (repoId: string) => `repo/${repoId}/lease`;
const queues = new Map<string, Promise<void>>();

/** Runs `work` holding the write lease of every repository in `repoIds` (taken in sorted order). */
export async function withWriteLease<T>(store: KvStore, repoIds: readonly string[], work: () => Promise<T>, options: LeaseOptions = {}): Promise<T> {
  const ids = [...new Set(repoIds)].sort();
  const releases: (() => Promise<void>)[] = [];
  try {
    for (const id of ids) releases.push(await acquire(store, id, options));
    return await work();
  } finally {
    for (const release of releases.reverse()) await release();
  }
}

async function acquire(store: KvStore, repoId: string, options: LeaseOptions): Promise<() => Promise<void>> {
  const now = options.now ?? Date.now;
  const waitMs = options.waitMs ?? 60_000;
  const ttlMs = options.ttlMs ?? 60_000;
  const deadline = now() + waitMs;
  // In-process queue first: writers of this process go one after another without touching storage.
  const previous = queues.get(repoId) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const chained = previous.then(() => mine);
  queues.set(repoId, chained);
  const leaveQueue = () => {
    done();
    if (queues.get(repoId) === chained) queues.delete(repoId);
  };
  let waitTimer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (waitTimer = setTimeout(() => resolve(false), Math.max(0, deadline - now()))));
  const waited = await Promise.race([previous.then(() => true), timeout]);
  clearTimeout(waitTimer); // a pending timer would keep an embedding process alive for waitMs
  if (!waited) {
    leaveQueue();
    throw new BusyError(`Repository is busy: another push has been running for over ${Math.round(waitMs / 1000)} s; retry`);
  }
  const owner = crypto.randomUUID();
  let version: string;
  try {
    version = await take(store, repoId, owner, ttlMs, deadline, now, waitMs);
  } catch (error) {
    leaveQueue();
    throw error;
  }
  // Renew while the work runs, so a long push keeps its lease and a crashed one loses it quickly.
  let renewing = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      const value = utf8Encode(JSON.stringify({ owner, expiresAt: now() + ttlMs }));
      const ok = await store.commit([{ key: leaseKey(repoId), version }], [{ type: "set", key: leaseKey(repoId), value }]).catch(() => false);
      if (ok) version = (await store.get(leaseKey(repoId)))?.version ?? version;
    });
  }, Math.max(1000, Math.floor(ttlMs / 3)));
  return async () => {
    clearInterval(timer);
    await renewing;
    await store.commit([{ key: leaseKey(repoId), version }], [{ type: "delete", key: leaseKey(repoId) }]).catch(() => false);
    leaveQueue();
  };
}

async function take(store: KvStore, repoId: string, owner: string, ttlMs: number, deadline: number, now: () => number, waitMs: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const entry = await store.get(leaseKey(repoId));
    const held = entry ? (JSON.parse(utf8Decode(entry.value)) as { expiresAt: number }) : null;
    if (!held || held.expiresAt <= now()) {
      const value = utf8Encode(JSON.stringify({ owner, expiresAt: now() + ttlMs }));
      if (await store.commit([{ key: leaseKey(repoId), version: entry?.version ?? null }], [{ type: "set", key: leaseKey(repoId), value }])) {
        const mine = await store.get(leaseKey(repoId));
        if (mine && (JSON.parse(utf8Decode(mine.value)) as { owner: string }).owner === owner) return mine.version;
      }
      continue;
    }
    if (now() >= deadline) throw new BusyError(`Repository is busy: another push has been running for over ${Math.round(waitMs / 1000)} s; retry`);
    await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
