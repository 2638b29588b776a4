/**
 * @module util/lru
 * A least-recently-used cache bounded by a byte budget (Map keeps insertion order, so re-inserting
 * on access makes the first key the least recently used).
 */
export class ByteLru<K, V> {
  readonly #map = new Map<K, { value: V; bytes: number }>();
  readonly #budget: number;
  #bytes = 0;

  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  /** Stores `value`; values larger than the whole budget are not cached. */
  set(key: K, value: V, bytes: number): void {
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#bytes -= old.bytes;
      this.#map.delete(key);
    }
    if (bytes > this.#budget) return;
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#bytes > this.#budget) {
      const first = this.#map.keys().next();
      if (first.done) break;
      this.delete(first.value);
    }
  }

  delete(key: K): void {
    const old = this.#map.get(key);
    if (old === undefined) return;
    this.#bytes -= old.bytes;
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  get bytes(): number {
    return this.#bytes;
  }
}
