// The dyno manager: the dynos room's front door for the API and the composition root. It wires the parts, each with
// one job: the formation and its dynos (formation.ts), each dyno's state machine and executor (lifecycle.ts,
// executor.ts), one-off and release-phase dynos (one-offs.ts), the routing snapshot (routing.ts) and recovery on start
// (recovery.ts).
import type { LessonClock } from '../clock.js';
import type { Account, AppRecord, DynoRecord, FormationRecord, ReleaseRecord } from '../contracts/records.js';
import type { RoutingSource, RoutingTable } from '../contracts/routing.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logplex } from '../logs/index.js';
import type { AppQueues } from '../queue.js';
import type { ContainerTrust, Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { DynoSet } from './dyno-set.js';
import type { DiskWrites, DynoVitals, ExecutorDeps, TeachableDyno } from './executor.js';
import { Formation, type FormationUpdate, type PrebootSource } from './formation.js';
import type { LifecycleTimings } from './lifecycle.js';
import { attachInside, type InsideRequest } from './inside.js';
import { dynoMetadataEnv, type DynoMetadataSource } from './metadata.js';
import { OneOffDynos, type OneOffRequest } from './one-offs.js';
import { PortPool } from './ports.js';
import { recoverDynos } from './recovery.js';
import type { Rendezvous } from './rendezvous.js';
import { RoutingPublisher } from './routing.js';

export interface DynoManagerDeps {
  readonly runtime: Runtime;
  readonly store: Store;
  readonly logplex: Logplex;
  readonly events: EventBus;
  readonly queues: AppQueues;
  readonly trust: ContainerTrust;
  readonly account: () => Account;
  readonly timings: LifecycleTimings;
  readonly ports: { min: number; max: number };
  readonly releasePhaseTimeoutSeconds: number;
  /** Where `heroku run` attaches; without it, attached runs are refused. */
  readonly rendezvous?: Rendezvous;
  /** Host names of an app beyond `<app>.localhost` (custom domains). */
  readonly extraHosts?: (appId: string) => readonly string[];
  /** Which apps have `http-session-affinity` on (features/, through the composition root). */
  readonly sessionAffinity?: (appId: string) => boolean;
  /** Which apps have `preboot` on, and the overlap (features/ and settings, through the composition root). */
  readonly preboot?: PrebootSource;
  /** Which apps have `runtime-dyno-metadata` on (features/, through the composition root). */
  readonly metadata?: DynoMetadataSource;
  /** Which apps have `log-runtime-metrics` on (features/, through the composition root). */
  readonly runtimeMetrics?: (appId: string) => boolean;
  /** Engine failures a dyno carried on through (for the daemon's log). */
  readonly report?: (error: unknown, what: string) => void;
  /** The lesson clock (`berth clock --speed`): the dynos' timers follow its speed. */
  readonly clock?: LessonClock;
  /** Each memory reading of a formation dyno (the dashboard's live cards). */
  readonly memorySampled?: ExecutorDeps['memorySampled'];
}

export class DynoManager implements RoutingSource {
  readonly #deps: DynoManagerDeps;
  readonly #dynos = new DynoSet();
  readonly #executor: ExecutorDeps;
  readonly #routing: RoutingPublisher;
  readonly #formation: Formation;
  readonly #oneOffs: OneOffDynos;

  constructor(deps: DynoManagerDeps) {
    this.#deps = deps;
    const ports = new PortPool(deps.ports.min, deps.ports.max);
    // Formation and one-off dynos alike announce their state changes (app webhooks' `dyno` events).
    const dynoChanged = (dyno: DynoRecord, previous: DynoRecord['state'] | null, gone?: boolean): void =>
      deps.events.emit('resource.changed', {
        appId: dyno.appId,
        resource: 'dyno',
        dyno,
        action: gone === true ? 'destroy' : previous === null ? 'create' : 'update',
        previous: previous === null || gone === true ? {} : { state: previous },
      });
    this.#routing = new RoutingPublisher({
      store: deps.store,
      dynos: this.#dynos,
      ...(deps.extraHosts ? { extraHosts: deps.extraHosts } : {}),
      ...(deps.sessionAffinity ? { sessionAffinity: deps.sessionAffinity } : {}),
    });
    this.#executor = {
      runtime: deps.runtime,
      store: deps.store,
      logplex: deps.logplex,
      ports,
      trust: deps.trust,
      timings: deps.timings,
      changed: (appId) => this.#routing.dynoChanged(appId),
      ...(deps.metadata ? { extraEnv: dynoMetadataEnv(deps.store, deps.metadata) } : {}),
      stateChanged: dynoChanged,
      ...(deps.runtimeMetrics ? { runtimeMetrics: deps.runtimeMetrics } : {}),
      ...(deps.report ? { report: deps.report } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.memorySampled ? { memorySampled: deps.memorySampled } : {}),
    };
    // Every dyno with timers hears it, a preboot's new dyno (still outside the set, booting) included.
    deps.clock?.onChange((previous, speed) => {
      for (const dyno of new Set([...this.#dynos.all(), ...this.#formation.prebooting()])) dyno.clockChanged(previous, speed);
    });
    this.#formation = new Formation({
      store: deps.store,
      logplex: deps.logplex,
      account: deps.account,
      dynos: this.#dynos,
      executor: this.#executor,
      events: deps.events,
      ...(deps.preboot ? { preboot: deps.preboot } : {}),
    });
    this.#oneOffs = new OneOffDynos({
      runtime: deps.runtime,
      store: deps.store,
      logplex: deps.logplex,
      ports,
      trust: deps.trust,
      account: deps.account,
      releasePhaseTimeoutSeconds: deps.releasePhaseTimeoutSeconds,
      ...(deps.rendezvous ? { rendezvous: deps.rendezvous } : {}),
      ...(deps.metadata ? { extraEnv: dynoMetadataEnv(deps.store, deps.metadata) } : {}),
      stateChanged: dynoChanged,
    });
    deps.events.on('release.current', ({ appId, releaseId }) => {
      // A new app's first releases (and every deploy) make the app routable at once: until its web dyno is up the
      // router holds requests (H20 after the boot timeout) rather than answer "no such app".
      this.#routing.republish();
      return this.#formation.followRelease(appId, releaseId);
    });
    deps.events.on('app.destroyed', ({ appId }) => this.removeApp(appId));
  }

  // ---- routing snapshot -------------------------------------------------------------------------------------------

  current(): RoutingTable {
    return this.#routing.current();
  }

  subscribe(listener: (table: RoutingTable) => void): () => void {
    return this.#routing.subscribe(listener);
  }

  /** Rebuilds the table soon (a domain or maintenance change). */
  republish(): void {
    this.#routing.republish();
  }

  // ---- formation --------------------------------------------------------------------------------------------------

  formation(app: AppRecord): FormationRecord[] {
    return this.#formation.list(app);
  }

  formationOf(app: AppRecord, type: string): FormationRecord {
    return this.#formation.get(app, type);
  }

  /** `PATCH /formation`: absolute or relative (`+1`, `-1`) quantities, sizes; `Scaled to ...` in the log. */
  scale(app: AppRecord, updates: readonly FormationUpdate[]): Promise<FormationRecord[]> {
    return this.#formation.scale(app, updates);
  }

  // ---- dynos ------------------------------------------------------------------------------------------------------

  dynos(app: AppRecord): DynoRecord[] {
    const formation = this.#dynos.list(app.id).map((dyno) => dyno.record);
    return [...formation, ...this.#oneOffs.list(app.id)].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  dyno(app: AppRecord, name: string): DynoRecord {
    const found = this.dynos(app).find((d) => d.name === name || d.id === name);
    if (!found) raise('dyno_not_found');
    return found;
  }

  /**
   * What `/apps/{app}/dynos/{dyno}` names: a dyno (by name or id), or, as Heroku accepts there, a process type of the
   * formation (`heroku ps:restart web` sends `DELETE /apps/{app}/dynos/web`), meaning all of its dynos.
   */
  which(app: AppRecord, dynoOrType: string): { name: string } | { type: string } {
    const dyno = this.dynos(app).find((d) => d.name === dynoOrType || d.id === dynoOrType);
    if (dyno) return { name: dyno.name };
    if (this.#formation.list(app).some((f) => f.type === dynoOrType)) return { type: dynoOrType };
    raise('dyno_not_found');
  }

  /** `ps:restart` for all dynos, one type, or one dyno. The API does not wait (Heroku answers at once). */
  restart(app: AppRecord, which: { type?: string; name?: string } = {}): Promise<void> {
    return this.#formation.restart(app, which);
  }

  /**
   * A formation dyno for the teaching controls (chaos/): the one named, else `web.1`, else the app's first. Raises
   * dyno_not_found for a one-off or an unknown name.
   */
  teachable(app: AppRecord, name?: string): TeachableDyno {
    const dynos = this.#dynos.list(app.id).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const found = name === undefined ? (dynos.find((d) => d.name === 'web.1') ?? dynos[0]) : dynos.find((d) => d.name === name);
    if (!found) raise('dyno_not_found');
    return found;
  }

  /** The dashboard's dyno cards: each formation dyno's memory against its quota and cool-off, in name order. */
  vitals(app: AppRecord): DynoVitals[] {
    return this.#dynos
      .list(app.id)
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
      .map((dyno) => dyno.vitals);
  }

  /** `berth doctor -a`: what each formation dyno's last stopped instance wrote to its filesystem, in name order. */
  diskWrites(app: AppRecord): DiskWrites[] {
    return this.#dynos
      .list(app.id)
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
      .flatMap((dyno) => (dyno.written === undefined ? [] : [dyno.written]));
  }

  /** `ps:stop`: in the Common Runtime the dyno manager starts a stopped formation dyno again. */
  async stop(app: AppRecord, which: { type?: string; name?: string }): Promise<void> {
    const oneOff = which.name === undefined ? undefined : this.#oneOffs.get(app.id, which.name);
    if (oneOff) return this.#oneOffs.stop(oneOff);
    await this.restart(app, which);
  }

  /** `POST /apps/{app}/dynos`: a one-off dyno of the current release; its lines go to the app's log. */
  runOneOff(app: AppRecord, request: OneOffRequest): DynoRecord {
    const dyno = this.#oneOffs.run(app, request);
    // Heroku's `api:dyno` webhooks hear of dynos the API created, once (their life is the `dyno` include's).
    this.#deps.events.emit('resource.changed', { appId: app.id, resource: 'dyno', include: 'api:dyno', dyno, action: 'create', previous: {} });
    return dyno;
  }

  /**
   * `POST /apps/{app}/dynos/{dyno}` (`heroku run:inside`): a command in the running dyno, attached through the
   * rendezvous; answers the dyno with the secret of its `attach_url`.
   */
  runInside(app: AppRecord, name: string, request: InsideRequest): DynoRecord {
    const { runtime, store, logplex, rendezvous, account } = this.#deps;
    return attachInside({ runtime, store, logplex, account, ...(rendezvous ? { rendezvous } : {}) }, app, this.dyno(app, name), request);
  }

  /** A one-off run to completion (an app setup's postdeploy script); resolves with its exit status. */
  runScript(app: AppRecord, command: string, sink: (text: string) => void, size?: string): Promise<number> {
    return this.#oneOffs.runScript(app, command, sink, size);
  }

  /** The release phase of `release`: resolves with whether it succeeded; its output goes to `sink` and the log. */
  runReleasePhase(release: ReleaseRecord, command: string, sink: (text: string) => void): Promise<boolean> {
    return this.#oneOffs.runReleasePhase(release, command, sink);
  }

  // ---- lifecycle --------------------------------------------------------------------------------------------------

  /** On daemon start: adopt or replace the dynos of before (recovery.ts). */
  async recover(): Promise<void> {
    await recoverDynos({
      runtime: this.#deps.runtime,
      store: this.#deps.store,
      dynos: this.#dynos,
      formation: this.#formation,
      executor: this.#executor,
    });
    this.#routing.republish();
  }

  /** app.destroyed: every dyno of the app stops and its containers go. */
  async removeApp(appId: string): Promise<void> {
    const dynos = this.#dynos.remove(appId);
    this.#oneOffs.forget(appId);
    await Promise.all(dynos.map((dyno) => dyno.retire()));
    for (const container of await this.#deps.runtime.listByLabel({ app: appId })) {
      if (container.labels.role !== 'build') await this.#deps.runtime.remove(container.id);
    }
    this.#routing.republish();
  }

  /** Daemon shutdown: dynos keep running for the next daemon to adopt. */
  detachAll(): void {
    for (const dyno of this.#dynos.all()) dyno.detach();
    this.#formation.detach();
  }
}
