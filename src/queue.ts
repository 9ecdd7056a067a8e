// One queue per app (DESIGN.md "Wiring"): builds, releases, config and formation changes and pushes of one app run
// one at a time, in order; other apps never wait. The queue lives in memory, so a restarted daemon starts with all free.

/**
 * The turn of a piece of work in its app's queue. Work may start more work of the same app inside its own turn (a push
 * runs its build in its turn: queueing the build behind the push would wait forever); the turn lasts until all of it
 * has finished.
 */
export interface QueueTurn {
  readonly appId: string;
}

interface HeldTurn extends QueueTurn {
  readonly inner: Set<Promise<unknown>>;
}

export class AppQueues {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #running = new Map<string, string>();
  readonly #held = new WeakSet<QueueTurn>();

  /**
   * Runs `work` after everything queued before it for `appId`. When it has to wait, `onWait` hears what is running,
   * so a push or build can say why it is not starting yet. Given the caller's own turn of the same app (`within`),
   * the work runs now, as part of that turn.
   */
  run<T>(appId: string, what: string, work: (turn: QueueTurn) => Promise<T>, onWait?: (running: string) => void, within?: QueueTurn): Promise<T> {
    if (within !== undefined && within.appId === appId && this.#held.has(within)) {
      const result = work(within);
      (within as HeldTurn).inner.add(result);
      return result;
    }
    const previous = this.#tails.get(appId);
    const running = this.#running.get(appId);
    if (previous !== undefined && running !== undefined) onWait?.(running);
    const start = async (): Promise<T> => {
      this.#running.set(appId, what);
      const turn: HeldTurn = { appId, inner: new Set() };
      this.#held.add(turn);
      try {
        return await work(turn);
      } finally {
        while (turn.inner.size > 0) {
          const inner = [...turn.inner];
          turn.inner.clear();
          await Promise.allSettled(inner);
        }
        this.#held.delete(turn);
      }
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
