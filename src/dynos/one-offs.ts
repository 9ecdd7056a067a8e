// The app's one-off dynos (`heroku run`, `run:detached`) and its release-phase dynos: each runs the current release's
// artifact once, never restarts, and is listed while it runs.
import { randomBytes, randomUUID } from 'node:crypto';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord, DynoRecord, ReleaseRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import { API_LINES, DYNO_LINES, type Logplex } from '../logs/index.js';
import type { ContainerTrust, Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { artifactOf, processLaunch } from './artifact.js';
import type { Workload } from './lifecycle.js';
import { oneOffName, runAttached, runOneOff, type OneOffDeps } from './one-off.js';
import type { PortPool } from './ports.js';
import type { Rendezvous } from './rendezvous.js';
import { DEFAULT_SIZE, dynoSize } from './sizes.js';

export interface OneOffRequest {
  readonly command: string;
  readonly attach: boolean;
  readonly forceNoTty?: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly size?: string;
}

export interface OneOffDynosDeps {
  readonly runtime: Runtime;
  readonly store: Pick<Store, 'releases' | 'builds' | 'images' | 'apps'>;
  readonly logplex: Logplex;
  readonly ports: PortPool;
  readonly trust: ContainerTrust;
  readonly account: () => Account;
  readonly releasePhaseTimeoutSeconds: number;
  /** Where `heroku run` attaches; without it, attached runs are refused. */
  readonly rendezvous?: Rendezvous;
  /** Variables beyond the config vars a one-off starts with (dyno metadata, when the app has it on). */
  readonly extraEnv?: (dyno: DynoRecord, workload: Workload) => Readonly<Record<string, string>>;
  /** A one-off was made (`previous` null), came up, or ended (`gone`): app webhooks' `dyno` events. */
  readonly stateChanged?: (dyno: DynoRecord, previous: DynoRecord['state'] | null, gone?: boolean) => void;
}

/** How long an attached run waits for its client before R13. */
const ATTACH_WAIT_SECONDS = 60;

export class OneOffDynos {
  readonly #deps: OneOffDynosDeps;
  readonly #running = new Map<string, Map<string, DynoRecord>>();

  constructor(deps: OneOffDynosDeps) {
    this.#deps = deps;
  }

  list(appId: string): DynoRecord[] {
    return [...(this.#running.get(appId)?.values() ?? [])];
  }

  get(appId: string, name: string): DynoRecord | undefined {
    return this.#running.get(appId)?.get(name);
  }

  /** The app is gone: its one-offs are no longer listed (their containers are removed with the app's). */
  forget(appId: string): void {
    this.#running.delete(appId);
  }

  /** `ps:stop run.N`: SIGTERM to the one-off's process. */
  async stop(record: DynoRecord): Promise<void> {
    if (record.containerId) await this.#deps.runtime.signal(record.containerId, 'SIGTERM');
  }

  #runDeps(): OneOffDeps {
    const { runtime, logplex, ports, trust } = this.#deps;
    return { runtime, logplex, ports, trust };
  }

  /** `POST /apps/{app}/dynos`: a one-off dyno of the current release; its lines go to the app's log. */
  run(app: AppRecord, request: OneOffRequest): DynoRecord {
    const { store, logplex } = this.#deps;
    const release = store.releases.current(app.id);
    const artifact = artifactOf(store, release);
    if (!release || !artifact) raise('app_not_released');
    const size = dynoSize(request.size ?? DEFAULT_SIZE).name;
    const name = oneOffName('run');
    const now = apiTimestamp();
    const record: DynoRecord = {
      id: randomUUID(),
      appId: app.id,
      name,
      type: 'run',
      command: request.command,
      size,
      state: 'starting',
      releaseId: release.id,
      releaseVersion: release.version,
      containerId: null,
      port: null,
      attachSecret: request.attach ? randomBytes(24).toString('hex') : null,
      createdAt: now,
      updatedAt: now,
    };
    const running = this.#of(app.id);
    running.set(name, record);
    this.#deps.stateChanged?.(record, null);
    logplex.write(app.id, 'app', 'api', API_LINES.oneOffStarted(request.command, this.#deps.account().email));
    const spec = {
      appId: app.id,
      appName: app.name,
      releaseId: release.id,
      ...processLaunch(artifact, 'run'),
      config: release.config,
      command: request.command,
      size,
      kind: 'run' as const,
      name,
      extraEnv: {
        ...this.#deps.extraEnv?.(record, { releaseId: release.id, version: release.version, artifact, config: release.config, command: request.command, size }),
        ...request.env,
      },
      onUp: (containerId?: string) => {
        const up: DynoRecord = { ...record, state: 'up', containerId: containerId ?? null, updatedAt: apiTimestamp() };
        running.set(name, up);
        this.#deps.stateChanged?.(up, 'starting');
      },
    };
    const done = () => {
      const last = running.get(name) ?? record;
      running.delete(name);
      this.#deps.stateChanged?.(last, last.state, true);
    };
    const rendezvous = this.#deps.rendezvous;
    if (request.attach && record.attachSecret !== null && rendezvous) {
      const secret = record.attachSecret;
      logplex.write(app.id, 'heroku', name, DYNO_LINES.awaitingClient);
      rendezvous
        .expect(secret, ATTACH_WAIT_SECONDS)
        .then(async (socket) => {
          if (!socket) {
            logplex.write(app.id, 'heroku', name, DYNO_LINES.r13);
            logplex.write(app.id, 'heroku', name, DYNO_LINES.stateChanged('starting', 'complete'));
            return;
          }
          const columns = Number(request.env['COLUMNS']);
          const lines = Number(request.env['LINES']);
          await runAttached(this.#runDeps(), {
            ...spec,
            socket,
            tty: request.forceNoTty !== true,
            ...(Number.isInteger(columns) && columns > 0 ? { columns } : {}),
            ...(Number.isInteger(lines) && lines > 0 ? { lines } : {}),
          });
        })
        .catch((error: unknown) => logplex.write(app.id, 'heroku', name, DYNO_LINES.launchFailed(messageOf(error))))
        .finally(done);
      return record;
    }
    runOneOff(this.#runDeps(), spec)
      .catch((error: unknown) => logplex.write(app.id, 'heroku', name, DYNO_LINES.launchFailed(messageOf(error))))
      .finally(done);
    return record;
  }

  /**
   * A script run to completion in a one-off dyno of the current release (an app setup's `scripts.postdeploy`): logged
   * as `heroku run` is, its output also to `sink`. Resolves with its exit status.
   */
  async runScript(app: AppRecord, command: string, sink: (text: string) => void, size?: string): Promise<number> {
    const { store, logplex } = this.#deps;
    const release = store.releases.current(app.id);
    const artifact = artifactOf(store, release);
    if (!release || !artifact) raise('app_not_released');
    logplex.write(app.id, 'app', 'api', API_LINES.oneOffStarted(command, this.#deps.account().email));
    const result = await runOneOff(this.#runDeps(), {
      appId: app.id,
      appName: app.name,
      releaseId: release.id,
      ...processLaunch(artifact, 'run'),
      config: release.config,
      command,
      size: dynoSize(size ?? DEFAULT_SIZE).name,
      kind: 'run',
      sink,
    });
    return result.exitCode;
  }

  /**
   * The release phase: the `release` process of the release's artifact, in a `release.N` dyno with the release's
   * config. Resolves with whether it succeeded; its output goes to `sink` and to the app's log.
   */
  async runReleasePhase(release: ReleaseRecord, command: string, sink: (text: string) => void): Promise<boolean> {
    const artifact = artifactOf(this.#deps.store, release);
    if (!artifact) return false;
    const result = await runOneOff(this.#runDeps(), {
      appId: release.appId,
      appName: this.#deps.store.apps.getById(release.appId)?.name ?? release.appId,
      releaseId: release.id,
      ...processLaunch(artifact, 'release'),
      config: release.config,
      command,
      size: DEFAULT_SIZE,
      kind: 'release',
      sink,
      timeoutSeconds: this.#deps.releasePhaseTimeoutSeconds,
    });
    return result.exitCode === 0 && !result.timedOut;
  }

  #of(appId: string): Map<string, DynoRecord> {
    let map = this.#running.get(appId);
    if (!map) {
      map = new Map();
      this.#running.set(appId, map);
    }
    return map;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
