// Heroku's `log-runtime-metrics` lab: every sample (about every 20 s, the R14 sampler's beat), a dyno whose app has
// it on writes two `heroku[web.1]` lines, its load averages and its memory (DC: log-runtime-metrics):
//   source=web.1 dyno=heroku.<app id>.<dyno id> sample#load_avg_1m=0.02 sample#load_avg_5m=0.01 sample#load_avg_15m=0.00
//   source=web.1 dyno=heroku.<app id>.<dyno id> sample#memory_total=21.00MB sample#memory_rss=21.00MB ...
// The memory figures are the engine's stats of the dyno's container. A container has no load average of its own: the
// load here is the CPU it kept busy (CPU seconds per second) averaged over 1, 5 and 15 minutes the way the kernel
// averages its run queue (exponential decay), which is what load means for a dyno's CPU-bound work.
import { DYNO_LINES } from '../logs/index.js';
import type { ContainerUsage } from '../runtime/index.js';

const MB = 1024 * 1024;
const WINDOWS_SECONDS = [60, 300, 900] as const;

/** One container's load averages, fed its cumulative CPU time at each sample. */
export class LoadAverage {
  #last: { atMs: number; cpuSeconds: number } | undefined;
  #averages = [0, 0, 0];

  /** Takes a reading; answers the 1, 5 and 15 minute averages. */
  sample(cpuSeconds: number, atMs: number): readonly [number, number, number] {
    const last = this.#last;
    this.#last = { atMs, cpuSeconds };
    if (last !== undefined && atMs > last.atMs) {
      const elapsed = (atMs - last.atMs) / 1000;
      const busy = Math.max(0, cpuSeconds - last.cpuSeconds) / elapsed;
      this.#averages = WINDOWS_SECONDS.map((window, i) => {
        const decay = Math.exp(-elapsed / window);
        return (this.#averages[i] ?? 0) * decay + busy * (1 - decay);
      });
    }
    const [a1 = 0, a5 = 0, a15 = 0] = this.#averages;
    return [a1, a5, a15];
  }
}

/** The two lines of one sample of dyno `source` (`web.1`) with id `dynoId` of app `appId`. */
export function runtimeMetricsLines(appId: string, source: string, dynoId: string, usage: ContainerUsage, load: readonly [number, number, number], quotaMb: number): [string, string] {
  const dyno = `heroku.${appId}.${dynoId}`;
  return [
    DYNO_LINES.loadSample(source, dyno, ...load),
    DYNO_LINES.memorySample(source, dyno, {
      totalMb: usage.memoryBytes / MB,
      rssMb: usage.rssBytes / MB,
      cacheMb: usage.cacheBytes / MB,
      swapMb: usage.swapBytes / MB,
      pagesIn: usage.pagesIn,
      pagesOut: usage.pagesOut,
      quotaMb,
    }),
  ];
}
