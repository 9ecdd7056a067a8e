// One queue per app (DESIGN.md "Wiring"): builds, releases, config and formation changes of one app run one at a
// time, in order; other apps never wait. The queue lives in memory, so a restarted daemon starts with all free.

export class AppQueues {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #running = new Map<string, string>();

  /**
   * Runs `work` after everything queued before it for `appId`. When it has to wait, `onWait` hears what is running,
   * so a push or build can say why it is not starting yet.
   */
  run<T>(appId: string, what: string, work: () => Promise<T>, onWait?: (running: string) => void): Promise<T> {
    const previous = this.#tails.get(appId);
    const running = this.#running.get(appId);
    if (previous !== undefined && running !== undefined) onWait?.(running);
    const start = async (): Promise<T> => {
      this.#running.set(appId, what);
      return work();
    };
    const result = previous === undefined ? start() : previous.then(start, start);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(appId, tail);
    void tail.then(() => {
      if (this.#tails.get(appId) === tail) {
        this.#tails.delete(appId);
        this.#running.delete(appId);
      }
    });
    return result;
  }

  /** What the app's queue is running now, if anything. */
  busy(appId: string): string | undefined {
    return this.#running.get(appId);
  }

  /** Resolves when every queued piece of work of every app has finished (shutdown). */
  async drain(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails.values()]);
  }
}
