/**
 * @module util/pacer
 * Long CPU-bound loops (indexing a push, searching deltas) share one event loop with every other
 * request. A Pacer hands the loop back after a slice of work, so one heavy request delays the
 * others by about a slice, not by its whole duration. A slice ends after `sliceMs` of wall time or
 * `sliceBytes` of work, whichever comes first: a Worker's clock stands still while it computes, so
 * time alone would never end a slice there.
 *
 * @example
 * const pacer = new Pacer();
 * for (const entry of entries) { work(entry); await pacer.pace(entry.length); }
 */
/**
 * One turn of the event loop: setImmediate where the runtime has it (Bun, Node, Deno; it lets
 * pending I/O run without setTimeout's 1 ms clamp, measured 15% of a push's indexing time),
 * setTimeout elsewhere.
 */
const turn: (run: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === "function"
    ? (run) => (globalThis as unknown as { setImmediate(run: () => void): void }).setImmediate(run)
    : (run) => void setTimeout(run, 0);

/** Work to count per request line parsed or answered (pkt-lines are cheap): a slice is a few thousand lines. */
export const LINE_WORK = 1024;

export class Pacer {
  readonly #sliceMs: number;
  readonly #sliceBytes: number;
  #since = Date.now();
  #bytes = 0;

  constructor(sliceMs = 20, sliceBytes = 4 * 1024 * 1024) {
    this.#sliceMs = sliceMs;
    this.#sliceBytes = sliceBytes;
  }

  /**
   * Counts `bytes` of work; returns undefined while the slice lasts (`await` of it costs almost
   * nothing, and this runs once per pack entry or pkt-line), otherwise a promise of the next turn.
   */
  pace(bytes = 0): Promise<void> | undefined {
    this.#bytes += bytes;
    if (this.#bytes < this.#sliceBytes && Date.now() - this.#since < this.#sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      turn(() => {
        this.#since = Date.now();
        this.#bytes = 0;
        resolve();
      }));
  }
}
