/**
 * @module util/channel
 * Turns a producer that pushes chunks (`emit`) into an async iterable a consumer pulls, holding at
 * most one chunk in between: the producer's `emit` resolves only when the consumer has taken the
 * chunk. Errors on either side reach the other (a failing consumer stops the producer).
 */

export function produce(run: (emit: (chunk: Uint8Array) => Promise<void>) => Promise<void>): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      let pending: { chunk: Uint8Array; taken: () => void } | null = null;
      let waiting: ((value: IteratorResult<Uint8Array>) => void) | null = null;
      let failed: ((error: unknown) => void) | null = null;
      let done = false;
      let error: unknown = null;
      let stopped = false;
      const emit = (chunk: Uint8Array) =>
        new Promise<void>((resolve, reject) => {
          if (stopped) return reject(new Error("Consumer stopped reading"));
          if (waiting) {
            const w = waiting;
            waiting = failed = null;
            w({ value: chunk, done: false });
            resolve();
          } else {
            pending = { chunk, taken: resolve };
          }
        });
      run(emit).then(
        () => {
          done = true;
          waiting?.({ value: undefined, done: true });
        },
        (e) => {
          done = true;
          error = e;
          failed?.(e);
        },
      );
      return {
        next() {
          if (pending) {
            const p: { chunk: Uint8Array; taken: () => void } = pending;
            pending = null;
            p.taken();
            return Promise.resolve({ value: p.chunk, done: false });
          }
          if (error !== null) return Promise.reject(error);
          if (done) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve, reject) => {
            waiting = resolve;
            failed = reject;
          });
        },
        return() {
          stopped = true;
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
