// Build slots: how many builds run at once across all apps (BERTH_BUILDS_CONCURRENCY). Each app's queue already runs
// its builds one at a time; this bounds the sum, so a burst of pushes to many apps cannot run a build container per
// app at once on one machine. Builds beyond the limit wait in order of arrival, holding no container and no file.

export class BuildSlots {
  readonly #limit: number;
  #running = 0;
  /** Builds waiting for a slot, first come first served: each resolves its wait when handed a slot. */
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /**
   * Takes a slot, waiting for one if all are in use (`onWait` then hears how many builds run); resolves with the
   * slot's release, which is safe to call more than once. Aborting `signal` while waiting rejects with its reason.
   */
  async acquire(signal: AbortSignal, onWait: (running: number) => void): Promise<() => void> {
    signal.throwIfAborted();
    if (this.#running < this.#limit && this.#waiting.length === 0) {
      this.#running += 1;
      return this.#release();
    }
    onWait(this.#running);
    await new Promise<void>((resolve, reject) => {
      const handed = () => {
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        const index = this.#waiting.indexOf(handed);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal.reason);
      };
      this.#waiting.push(handed);
      signal.addEventListener('abort', aborted, { once: true });
    });
    return this.#release();
  }

  #release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the first waiting build: the count of running builds stays as it is.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    };
  }
}
