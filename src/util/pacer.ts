/**
 * @module util/pacer
 * Long CPU-bound loops (indexing a push, resolving deltas) share one event loop with every other
 * request. A Pacer hands the loop back once a slice of work has run without a break, so one heavy
 * request delays the others by about a slice, not by its whole duration.
 *
 * @example
 * const pacer = new Pacer();
 * for (const entry of entries) { work(entry); await pacer.pace(); }
 */
export class Pacer {
  readonly #sliceMs: number;
  #since = Date.now();

  constructor(sliceMs = 20) {
    this.#sliceMs = sliceMs;
  }

  /** Returns at once while the slice lasts; otherwise yields one macrotask first. */
  async pace(): Promise<void> {
    if (Date.now() - this.#since < this.#sliceMs) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#since = Date.now();
  }
}
