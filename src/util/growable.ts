/**
 * @module util/growable
 * Typed-array columns that grow by doubling: per-object tables whose final size is not known up
 * front (a pack's declared object count is not trusted for allocation: it could be a bomb).
 */

type NumericArray = Float64Array | Int32Array | Uint32Array | Uint8Array;
type Ctor<T extends NumericArray> = { new (length: number): T };

/** A growable column of numbers. `data` may be replaced on growth: re-read it after `ensure`. */
export class Column<T extends NumericArray> {
  data: T;
  readonly #ctor: Ctor<T>;
  constructor(ctor: Ctor<T>, initial = 1024) {
    this.#ctor = ctor;
    this.data = new ctor(initial);
  }
  /** Makes index `i` (and `i + span - 1`) addressable. */
  ensure(i: number, span = 1): void {
    if (i + span <= this.data.length) return;
    let length = this.data.length * 2;
    while (length < i + span) length *= 2;
    const next = new this.#ctor(length);
    next.set(this.data as never);
    this.data = next;
  }
}
