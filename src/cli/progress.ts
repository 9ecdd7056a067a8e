// Setup progress for a person at a terminal, in the buildpack arrow style Heroku users know.
import type { Progress } from '../contracts/progress.js';

export function terminalProgress(out: NodeJS.WritableStream = process.stderr): Progress {
  return {
    step(title) {
      const started = performance.now();
      out.write(`-----> ${title}\n`);
      return (outcome = 'done') => {
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        out.write(`       ${outcome} (${seconds}s)\n`);
      };
    },
    info(message) {
      out.write(`       ${message}\n`);
    },
  };
}
