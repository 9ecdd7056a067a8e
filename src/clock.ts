/** A timestamp as the Platform API writes them: ISO-8601 UTC to the second (`2026-11-26T06:33:52Z`). */
export function apiTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The lesson clock (`berth clock --speed 60`): the dyno manager's waits (crash cool-off, daily cycling, the boot timeout,
 * the stop grace, memory samples) pass `speed` times faster than the wall clock, so a lesson shows in a minute what takes
 * an hour on Heroku. Log lines keep Heroku's durations (R10 still says 60 seconds): only the waiting is shorter.
 */
export class LessonClock {
  #speed = 1;
  readonly #listeners = new Set<(previous: number, speed: number) => void>();

  get speed(): number {
    return this.#speed;
  }

  /** Wall-clock milliseconds for `seconds` of lesson time. */
  ms(seconds: number): number {
    return (seconds * 1000) / this.#speed;
  }

  /** Timers already running are told, so a 20-minute cool-off under way shortens too. */
  setSpeed(speed: number): void {
    const previous = this.#speed;
    this.#speed = speed;
    if (previous !== speed) for (const listener of this.#listeners) listener(previous, speed);
  }

  onChange(listener: (previous: number, speed: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
