// The teaching controls (`POST /berth/apps/{app}/chaos/{kind}`, `berth chaos <kind>`) and the lesson clock
// (`berth clock --speed 60`). Each control is one real event on a running formation dyno; the dyno manager's state
// machine hears of it as it hears of any misbehaving app and writes Heroku's lines.
import type { LessonClock } from '../clock.js';
import type { AppRecord } from '../contracts/records.js';
import type { TeachableDyno } from '../dynos/index.js';
import { raise } from '../errors.js';
import { CHAOS_KINDS, CRASH_SIGNALS, type ChaosKind, type CrashSignal } from './kinds.js';
import { killAll, memoryHog } from './in-dyno.js';

/** What of the dyno manager the controls use. */
export interface ChaosDynos {
  teachable(app: AppRecord, name?: string): TeachableDyno;
}

export interface ChaosDeps {
  readonly dynos: ChaosDynos;
  readonly clock: LessonClock;
  /** The dyno manager's memory sample interval (BERTH_MEMORY_SAMPLE_SECONDS): R14 needs a few samples to show. */
  readonly memorySampleSeconds: number;
  /** A control's process inside the dyno failed after the answer was sent (for the daemon's log). */
  readonly report: (error: unknown, what: string) => void;
}

export interface ChaosRequest {
  readonly kind: ChaosKind;
  /** `web.1`; default `web.1`, else the app's first formation dyno. */
  readonly dyno?: string;
  /** For `crash`: the signal (default SIGKILL), or the exit status it should leave (129, 130, 137, 143). */
  readonly signal?: CrashSignal;
  readonly exitCode?: number;
}

export interface ChaosAnswer {
  readonly kind: ChaosKind;
  readonly dyno: string;
  readonly description: string;
}

/** The fastest lesson: a 20-minute cool-off in a second and a bit. */
export const MAX_CLOCK_SPEED = 1000;

export class ChaosService {
  readonly #deps: ChaosDeps;

  constructor(deps: ChaosDeps) {
    this.#deps = deps;
  }

  /** Answers once the event is under way; what follows is in the app's log (`heroku logs --tail`). */
  async run(app: AppRecord, request: ChaosRequest): Promise<ChaosAnswer> {
    const signal = request.kind === 'crash' ? crashSignal(request) : undefined;
    const dyno = this.#deps.dynos.teachable(app, request.dyno);
    if (dyno.containerId === undefined || dyno.state === 'crashed' || dyno.state === 'down') {
      raise('chaos_dyno_not_running', { dyno: dyno.name, state: dyno.state });
    }
    const background = (work: Promise<unknown>, what: string) =>
      void work.catch((error: unknown) => this.#deps.report(error, `chaos ${what} on ${dyno.name}`));
    switch (request.kind) {
      case 'crash':
        await dyno.exec(killAll(signal?.slice(3) as 'HUP' | 'INT' | 'KILL' | 'TERM'));
        break;
      case 'ignore-sigterm':
        await dyno.exec(killAll('STOP'));
        background(dyno.restart(), 'restart');
        break;
      case 'hang':
        await dyno.exec(killAll('STOP'));
        break;
      case 'memory': {
        const size = dyno.quota;
        const hold = this.#deps.clock.ms(this.#deps.memorySampleSeconds * 2.5) / 1000;
        // Runs until the container ends: not awaited.
        background(dyno.exec(memoryHog(size.memoryMb * 1024 * 1024, size.r15Mb * 1024 * 1024, hold)), 'memory');
        break;
      }
      case 'no-bind':
        background(dyno.restartUnbound(), 'no-bind');
        break;
      case 'cycle':
        background(dyno.cycle(), 'cycle');
        break;
    }
    return { kind: request.kind, dyno: dyno.name, description: CHAOS_KINDS[request.kind] };
  }

  get clockSpeed(): number {
    return this.#deps.clock.speed;
  }

  /** The router's timeouts follow the lesson clock too (H12, H20): the daemon tells the router of each change. */
  onClockChange(listener: (speed: number) => void): () => void {
    return this.#deps.clock.onChange((_previous, speed) => listener(speed));
  }

  setClockSpeed(speed: number): number {
    if (!Number.isFinite(speed) || speed < 1 || speed > MAX_CLOCK_SPEED) raise('clock_speed_invalid', { speed: String(speed), max: String(MAX_CLOCK_SPEED) });
    this.#deps.clock.setSpeed(speed);
    return speed;
  }
}

function crashSignal(request: ChaosRequest): CrashSignal {
  if (request.exitCode === undefined) return request.signal ?? 'SIGKILL';
  const found = (Object.keys(CRASH_SIGNALS) as CrashSignal[]).find((name) => CRASH_SIGNALS[name] === request.exitCode);
  if (found === undefined || (request.signal !== undefined && request.signal !== found)) {
    raise('chaos_exit_code_invalid', {
      code: String(request.exitCode),
      codes: Object.entries(CRASH_SIGNALS).map(([name, code]) => `${code} (${name})`).join(', '),
    });
  }
  return found;
}
