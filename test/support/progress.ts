// A Progress that prints each step with its duration, for the test setup's output.
import type { Progress } from '../../src/contracts/progress.js';

export function consoleProgress(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Progress {
  return {
    step(title) {
      const started = Date.now();
      write(`-----> ${title}`);
      return (outcome) => write(`       ${outcome ?? 'done'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    },
    info(message) {
      write(`       ${message}`);
    },
  };
}
