/**
 * How long-running setup steps report to the person at the terminal.
 * `step` opens a named step; the returned function closes it, and the caller prints its duration.
 */
export interface Progress {
  step(title: string): (outcome?: string) => void;
  info(message: string): void;
}
