// The teaching controls (`POST /berth/apps/{app}/chaos/{kind}`, `berth chaos <kind>`) and the lesson clock
// (`berth clock --speed 60`). Each control is one real event on a running formation dyno; the dyno manager's state
// machine hears of it as it hears of any misbehaving app and writes Heroku's lines.
import { Readable } from 'node:stream';
import type { LessonClock } from '../clock.js';
import type { AppRecord } from '../contracts/records.js';
import type { TeachableDyno } from '../dynos/index.js';
import { raise } from '../errors.js';
import { CHAOS_KINDS, type ChaosKind, type CrashSignal } from './kinds.js';
import { exitWith, killAll, memoryHog } from './in-dyno.js';

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
  /** For `crash`: the signal (default SIGKILL), or the exit status (0 to 255) the dyno's main process exits with. */
  readonly signal?: CrashSignal;
  readonly exitCode?: number;
  /** For `slow-router`: the delay the router adds before forwarding each request to the app (Heroku seconds; 0 ends it). */
  readonly seconds?: number;
}

export interface ChaosAnswer {
  readonly kind: ChaosKind;
  readonly dyno: string;
  readonly description: string;
}

/** The fastest lesson: a 20-minute cool-off in a second and a bit. */
export const MAX_CLOCK_SPEED = 1000;

/** The longest delay `slow-router` adds: past the router's 30 s, so H12 comes for every request. */
export const MAX_ROUTER_DELAY_SECONDS = 120;

export class ChaosService {
  readonly #deps: ChaosDeps;
  /** `slow-router`: each app's delay before forwarding, in Heroku milliseconds (the router applies the lesson clock). */
  readonly #routerDelays = new Map<string, number>();

  constructor(deps: ChaosDeps) {
    this.#deps = deps;
  }

  /** Answers once the event is under way; what follows is in the app's log (`heroku logs --tail`). */
  async run(app: AppRecord, request: ChaosRequest): Promise<ChaosAnswer> {
    if (request.kind === 'slow-router') return this.#slowRouter(app, request.seconds ?? 35);
    const crash = request.kind === 'crash' ? crashHow(request) : undefined;
    const dyno = this.#deps.dynos.teachable(app, request.dyno);
    if (dyno.containerId === undefined || dyno.state === 'crashed' || dyno.state === 'down') {
      raise('chaos_dyno_not_running', { dyno: dyno.name, state: dyno.state });
    }
    const background = (work: Promise<unknown>, what: string) =>
      void work.catch((error: unknown) => this.#deps.report(error, `chaos ${what} on ${dyno.name}`));
    switch (request.kind) {
      case 'crash':
        if (crash?.exitCode !== undefined) {
          const { cmd, program } = exitWith(crash.exitCode);
          // Answers once the main process was told to exit (its status then reaches the dyno manager as any exit does).
          // The container may end before the helper does, taking it along (137) or its exec with it (an engine
          // error): both mean the main process exited. 1 to 127 are the helper's or the shell's own failures.
          const told = await dyno.exec(cmd, { stdin: Readable.from([program]) }).catch(() => -1);
          if (told > 0 && told < 128) raise('chaos_exit_failed', { dyno: dyno.name, status: String(told) });
        } else {
          await dyno.exec(killAll((crash?.signal ?? 'SIGKILL').slice(3) as 'HUP' | 'INT' | 'KILL' | 'TERM'));
        }
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

  #slowRouter(app: AppRecord, seconds: number): ChaosAnswer {
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ROUTER_DELAY_SECONDS) {
      raise('params_invalid', { field: 'seconds', problem: `must be a number from 0 to ${MAX_ROUTER_DELAY_SECONDS}` });
    }
    if (seconds === 0) this.#routerDelays.delete(app.id);
    else this.#routerDelays.set(app.id, Math.round(seconds * 1000));
    return { kind: 'slow-router', dyno: 'router', description: CHAOS_KINDS['slow-router'] };
  }

  /** A destroyed app's `slow-router` delay goes with it. */
  removeApp(appId: string): void {
    this.#routerDelays.delete(appId);
  }

  /** The delay the router adds before forwarding a request to the app (Heroku milliseconds; 0: none). */
  routerDelayMs(appId: string): number {
    return this.#routerDelays.get(appId) ?? 0;
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

/** A signal (its status is 128 + its number), or an exit status the main process itself exits with. */
function crashHow(request: ChaosRequest): { signal?: CrashSignal; exitCode?: number } {
  if (request.exitCode === undefined) return { signal: request.signal ?? 'SIGKILL' };
  if (!Number.isInteger(request.exitCode) || request.exitCode < 0 || request.exitCode > 255) {
    raise('chaos_exit_code_invalid', { code: String(request.exitCode) });
  }
  if (request.signal !== undefined) raise('params_invalid', { field: 'exit_code', problem: 'and signal cannot both be given: a signal leaves its own status' });
  if (process.arch !== 'x64') raise('chaos_exit_code_unsupported', { arch: process.arch });
  return { exitCode: request.exitCode };
}
