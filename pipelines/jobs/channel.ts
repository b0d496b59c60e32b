/**
 * A one-consumer async channel with a hand-over: `push()` resolves only once the consumer has
 * taken the item, so a producer feeding several consumers never runs ahead of the slowest.
 * @module
 */

export interface Channel<T> extends AsyncIterable<T> {
  /** Resolves when the consumer takes `item`; rejects if the channel has failed. */
  push(item: T): Promise<void>;
  /** No more items: the consumer's loop ends after the last one. */
  close(): void;
  /** End both sides with `error`: pending and later pushes reject, and so does the consumer's next read. */
  fail(error: unknown): void;
}

export function channel<T>(): Channel<T> {
  const items: { item: T; taken: () => void; refused: (e: unknown) => void }[] = [];
  let closed = false, failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const nudge = () => (wake?.(), wake = undefined);
  return {
    push(item) {
      if (failure) return Promise.reject(failure.error);
      if (closed) return Promise.reject(new Error("Cannot push: the channel is closed"));
      return new Promise<void>((taken, refused) => {
        items.push({ item, taken, refused });
        nudge();
      });
    },
    close() {
      closed = true;
      nudge();
    },
    fail(error) {
      failure ??= { error };
      for (const { refused } of items.splice(0)) refused(error);
      nudge();
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        if (failure) throw failure.error;
        const next = items.shift();
        if (next) {
          next.taken();
          yield next.item;
        } else if (closed) return;
        else await new Promise<void>((r) => wake = r);
      }
    },
  };
}
