// Dyno sizes and their memory: the container limit sits at the R15 threshold, R14 fires above the quota.
import { raise } from '../errors.js';

export interface DynoSize {
  readonly name: string;
  readonly memoryMb: number;
  /** RSS above this kills the dyno (R15): 2× the quota for these sizes (Dev Center, Oct 2024). */
  readonly r15Mb: number;
  /** Processes and threads at once (Heroku's process/thread limit). */
  readonly pidsLimit: number;
  /** What `GET /dyno-sizes` reports: minimum vCPUs and Heroku's dyno units (Dev Center "Dyno Types"). */
  readonly compute: number;
  readonly dynoUnits: number;
}

const SIZES: readonly DynoSize[] = [
  { name: 'Eco', memoryMb: 512, r15Mb: 1024, pidsLimit: 256, compute: 1, dynoUnits: 0 },
  { name: 'Basic', memoryMb: 512, r15Mb: 1024, pidsLimit: 256, compute: 1, dynoUnits: 0.28 },
  { name: 'Standard-1X', memoryMb: 512, r15Mb: 1024, pidsLimit: 256, compute: 1, dynoUnits: 1 },
  { name: 'Standard-2X', memoryMb: 1024, r15Mb: 2048, pidsLimit: 512, compute: 1, dynoUnits: 2 },
  { name: 'Performance-M', memoryMb: 2560, r15Mb: 5120, pidsLimit: 16384, compute: 2, dynoUnits: 8 },
  { name: 'Performance-L', memoryMb: 14336, r15Mb: 28672, pidsLimit: 32768, compute: 8, dynoUnits: 16 },
];

/** Every size Berth runs, in Heroku's order (the dyno-sizes catalogue). */
export function dynoSizes(): readonly DynoSize[] {
  return SIZES;
}

export const DEFAULT_SIZE = 'Basic';

/** Case-insensitive, as the CLI passes `standard-1x` or `Standard-1X`; `1X`/`2X` are old aliases. */
export function dynoSize(name: string): DynoSize {
  const wanted = name.toLowerCase().replace(/^(\d)x$/, 'standard-$1x');
  const size = SIZES.find((s) => s.name.toLowerCase() === wanted);
  if (!size) raise('dyno_size_invalid', { size: name, sizes: SIZES.map((s) => s.name).join(', ') });
  return size;
}
