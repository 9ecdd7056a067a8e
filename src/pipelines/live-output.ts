// The output of a test run's phase while it runs: followers get what is there, then each new chunk, until it ends.
// The run's record gets the whole output when the phase ends (before the live copy goes), so a follower that comes
// later reads it from the store instead.

export class LiveOutput {
  #text = '';
  #ended = false;
  readonly #limit: number;
  readonly #waiters = new Set<() => void>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get text(): string {
    return this.#text;
  }

  /** Keeps up to the limit (the first bytes, as the stored output does) and wakes the followers. */
  push(chunk: string): void {
    if (this.#text.length < this.#limit) this.#text = (this.#text + chunk).slice(0, this.#limit);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  async *follow(signal: AbortSignal): AsyncGenerator<string> {
    let sent = 0;
    for (;;) {
      if (this.#text.length > sent) {
        const next = this.#text.slice(sent);
        sent = this.#text.length;
        yield next;
        continue;
      }
      if (this.#ended || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
