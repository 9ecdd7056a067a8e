// The dyno manager: the formation (how many of each process type, what size), the dynos that run it, one-off and
// release-phase dynos, and the routing snapshot the router reads. It restarts the formation when a release becomes
// current, and adopts its running containers when the daemon restarts.
import { randomBytes, randomUUID } from 'node:crypto';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord, DynoRecord, FormationRecord, ReleaseRecord } from '../contracts/records.js';
import type { AppRoute, RoutingSource, RoutingTable } from '../contracts/routing.js';
import { berthError, raise } from '../errors.js';
import type { EventBus } from '../events.js';
import { API_LINES, type Logplex } from '../logs/index.js';
import type { AppQueues } from '../queue.js';
import type { ContainerTrust, Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { oneOffName, runAttached, runOneOff } from './one-off.js';
import type { Rendezvous } from './rendezvous.js';
import { PortPool } from './ports.js';
import { DEFAULT_SIZE, dynoSize } from './sizes.js';
import { DynoSlot, type SlotRelease, type SlotTimings } from './slot.js';

export interface DynoManagerDeps {
  readonly runtime: Runtime;
  readonly store: Store;
  readonly logplex: Logplex;
  readonly events: EventBus;
  readonly queues: AppQueues;
  readonly trust: ContainerTrust;
  readonly account: () => Account;
  readonly timings: SlotTimings;
  readonly ports: { min: number; max: number };
  readonly releasePhaseTimeoutSeconds: number;
  /** Where `heroku run` attaches; without it, attached runs are refused. */
  readonly rendezvous?: Rendezvous;
  /** Host names of an app beyond `<app>.localhost` (custom domains). */
  readonly extraHosts?: (appId: string) => readonly string[];
}

export interface FormationUpdate {
  readonly type: string;
  readonly quantity?: string | number;
  readonly size?: string;
}

export interface OneOffRequest {
  readonly command: string;
  readonly attach: boolean;
  readonly forceNoTty?: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly size?: string;
}

export class DynoManager implements RoutingSource {
  readonly #deps: DynoManagerDeps;
  readonly #ports: PortPool;
  readonly #slots = new Map<string, Map<string, DynoSlot>>();
  readonly #oneOffs = new Map<string, Map<string, DynoRecord>>();
  #table: RoutingTable = { byHost: new Map() };
  readonly #listeners = new Set<(table: RoutingTable) => void>();
  #publishQueued = false;

  constructor(deps: DynoManagerDeps) {
    this.#deps = deps;
    this.#ports = new PortPool(deps.ports.min, deps.ports.max);
    deps.events.on('release.current', ({ appId, releaseId }) => this.onReleaseCurrent(appId, releaseId));
    deps.events.on('app.destroyed', ({ appId }) => this.removeApp(appId));
  }

  // ---- routing snapshot -------------------------------------------------------------------------------------

  current(): RoutingTable {
    return this.#table;
  }

  subscribe(listener: (table: RoutingTable) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Rebuilds the table soon; many changes in one tick make one table. */
  republish(): void {
    if (this.#publishQueued) return;
    this.#publishQueued = true;
    queueMicrotask(() => {
      this.#publishQueued = false;
      const byHost = new Map<string, AppRoute>();
      for (const app of this.#deps.store.apps.list()) {
        const web = this.#deps.store.dynos.formation(app.id).find((f) => f.type === 'web');
        const slots = [...(this.#slots.get(app.id)?.values() ?? [])].filter((slot) => slot.type === 'web');
        const hosts = [`${app.name}.localhost`, ...(this.#deps.extraHosts?.(app.id) ?? [])].map((h) => h.toLowerCase());
        const route: AppRoute = {
          appId: app.id,
          appName: app.name,
          hosts,
          maintenance: app.maintenance,
          webQuantity: web?.quantity ?? 0,
          dynos: slots.map((slot) => ({ name: slot.name, state: slot.record.state, port: slot.record.port ?? 0 })),
        };
        for (const host of hosts) byHost.set(host, route);
      }
      this.#table = { byHost };
      for (const listener of this.#listeners) listener(this.#table);
    });
  }

  #changed = (_appId: string): void => {
    this.republish();
  };

  // ---- formation ------------------------------------------------------------------------------------------------

  formation(app: AppRecord): FormationRecord[] {
    return this.#deps.store.dynos.formation(app.id);
  }

  formationOf(app: AppRecord, type: string): FormationRecord {
    const found = this.formation(app).find((f) => f.type === type);
    if (!found) throw notFoundType(type);
    return found;
  }

  /** `PATCH /formation`: absolute or relative (`+1`, `-1`) quantities, sizes; `Scaled to ...` in the log. */
  async scale(app: AppRecord, updates: readonly FormationUpdate[]): Promise<FormationRecord[]> {
    const store = this.#deps.store;
    const changed = store.transaction(() => {
      const formation = new Map(this.formation(app).map((f) => [f.type, f]));
      const touched: FormationRecord[] = [];
      for (const update of updates) {
        const current = formation.get(update.type);
        if (!current) throw notFoundType(update.type);
        const quantity = update.quantity === undefined ? current.quantity : parseQuantity(update.quantity, current.quantity);
        const size = update.size === undefined ? current.size : dynoSize(update.size).name;
        const next = { ...current, quantity, size, updatedAt: apiTimestamp() };
        store.dynos.upsertFormation(next);
        formation.set(update.type, next);
        touched.push(next);
      }
      const all = [...formation.values()].sort(byWebFirst);
      this.#deps.logplex.write(app.id, 'app', 'api', API_LINES.scaled(all, this.#deps.account().email));
      return touched;
    });
    // Not in the app's queue: a build and its release phase hold that queue for minutes, and Heroku scales at once.
    // converge() is safe to run concurrently (slots are created and retired synchronously before any await).
    // The answer waits for the new dynos to boot and removed ones to stop, so a scripted `ps:scale` can rely on it.
    await this.converge(app.id);
    return changed.map((f) => this.formationOf(app, f.type));
  }

  /** Makes the running dynos match the formation: starts missing ones, retires extra ones (highest numbers first). */
  async converge(appId: string, options: { restartSizeChanges?: boolean } = {}): Promise<void> {
    const release = this.#deps.store.releases.current(appId);
    const slug = release?.artifact?.type === 'slug' ? this.#deps.store.builds.getSlug(release.artifact.id) : undefined;
    const slots = this.#slotsOf(appId);
    const work: Promise<void>[] = [];
    const formation = this.#deps.store.dynos.formation(appId);
    for (const f of formation) {
      for (let n = 1; n <= f.quantity; n++) {
        const name = `${f.type}.${n}`;
        const existing = slots.get(name);
        if (existing) {
          if (options.restartSizeChanges && existing.record.size !== f.size && release && slug?.image) {
            work.push(existing.restart('Restarting', this.#slotRelease(release, slug.image, f)));
          }
          continue;
        }
        if (!release || !slug?.image) continue;
        const slot = new DynoSlot(this.#slotDeps(), appId, name, this.#slotRelease(release, slug.image, f));
        slots.set(name, slot);
        work.push(slot.boot());
      }
    }
    for (const [name, slot] of slots) {
      const f = formation.find((x) => x.type === slot.type);
      const index = Number(name.slice(name.lastIndexOf('.') + 1));
      if (!f || index > f.quantity) {
        slots.delete(name);
        work.push(slot.retire());
      }
    }
    await Promise.all(work);
  }

  #slotRelease(release: ReleaseRecord, image: string, f: FormationRecord): SlotRelease {
    return { releaseId: release.id, version: release.version, image, config: release.config, command: f.command, size: f.size };
  }

  #slotDeps() {
    return {
      runtime: this.#deps.runtime,
      store: this.#deps.store,
      logplex: this.#deps.logplex,
      ports: this.#ports,
      trust: this.#deps.trust,
      timings: this.#deps.timings,
      changed: this.#changed,
    };
  }

  #slotsOf(appId: string): Map<string, DynoSlot> {
    let slots = this.#slots.get(appId);
    if (!slots) {
      slots = new Map();
      this.#slots.set(appId, slots);
    }
    return slots;
  }

  /**
   * A release became current: the formation follows the slug's process types (first deploy: web=1, others 0;
   * new types at 0; types gone from the Procfile are scaled away), and every dyno restarts onto the release.
   */
  async onReleaseCurrent(appId: string, releaseId: string): Promise<void> {
    const { store } = this.#deps;
    const release = store.releases.getById(appId, releaseId);
    if (!release || release.artifact?.type !== 'slug') return;
    const slug = store.builds.getSlug(release.artifact.id);
    if (!slug?.image) return;
    const image = slug.image;
    store.transaction(() => {
      const formation = new Map(store.dynos.formation(appId).map((f) => [f.type, f]));
      const first = formation.size === 0;
      const created = first && Object.keys(slug.processTypes).some((type) => type !== 'release');
      const now = apiTimestamp();
      for (const [type, command] of Object.entries(slug.processTypes)) {
        if (type === 'release') continue;
        const existing = formation.get(type);
        store.dynos.upsertFormation({
          id: existing?.id ?? randomUUID(),
          appId,
          type,
          quantity: existing?.quantity ?? (first && type === 'web' ? 1 : 0),
          size: existing?.size ?? DEFAULT_SIZE,
          command,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        });
      }
      for (const type of formation.keys()) if (!(type in slug.processTypes) || type === 'release') store.dynos.deleteFormation(appId, type);
      // The first formation is a scale too: Heroku logs `Scaled to web@1:Basic worker@0:Basic by user ...`.
      if (created) {
        const all = store.dynos.formation(appId).sort(byWebFirst);
        this.#deps.logplex.write(appId, 'app', 'api', API_LINES.scaled(all, this.#deps.account().email));
      }
    });
    const formation = store.dynos.formation(appId);
    const slots = this.#slotsOf(appId);
    const restarts: Promise<void>[] = [];
    for (const slot of slots.values()) {
      const f = formation.find((x) => x.type === slot.type);
      if (f) restarts.push(slot.restart('Restarting', this.#slotRelease(release, image, f)));
    }
    await Promise.all(restarts);
    await this.converge(appId);
  }

  // ---- dynos ------------------------------------------------------------------------------------------------------

  dynos(app: AppRecord): DynoRecord[] {
    const formation = [...(this.#slots.get(app.id)?.values() ?? [])].map((slot) => slot.record);
    const oneOffs = [...(this.#oneOffs.get(app.id)?.values() ?? [])];
    return [...formation, ...oneOffs].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  dyno(app: AppRecord, name: string): DynoRecord {
    const found = this.dynos(app).find((d) => d.name === name || d.id === name);
    if (!found) raise('dyno_not_found');
    return found;
  }

  /** `ps:restart` for all dynos, one type, or one dyno. */
  async restart(app: AppRecord, which: { type?: string; name?: string } = {}): Promise<void> {
    const slots = [...(this.#slots.get(app.id)?.values() ?? [])].filter(
      (slot) => (which.type === undefined || slot.type === which.type) && (which.name === undefined || slot.name === which.name),
    );
    if (which.name !== undefined && slots.length === 0) raise('dyno_not_found');
    // Each slot starts its restart now; the caller may await the whole, the API does not (Heroku answers at once).
    await Promise.all(slots.map((slot) => slot.restart('Restarting')));
  }

  /** `ps:stop`: in the Common Runtime the dyno manager starts a stopped formation dyno again. */
  async stop(app: AppRecord, which: { type?: string; name?: string }): Promise<void> {
    const oneOff = which.name === undefined ? undefined : this.#oneOffs.get(app.id)?.get(which.name);
    if (oneOff?.containerId) {
      await this.#deps.runtime.signal(oneOff.containerId, 'SIGTERM');
      return;
    }
    await this.restart(app, which);
  }

  /** `POST /apps/{app}/dynos`: a one-off dyno of the current release; its lines go to the app's log. */
  runOneOff(app: AppRecord, request: OneOffRequest): DynoRecord {
    const { store, logplex } = this.#deps;
    const release = store.releases.current(app.id);
    const slug = release?.artifact?.type === 'slug' ? store.builds.getSlug(release.artifact.id) : undefined;
    if (!release || !slug?.image) raise('app_not_released');
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
    const running = this.#oneOffsOf(app.id);
    running.set(name, record);
    logplex.write(app.id, 'app', 'api', API_LINES.oneOffStarted(request.command, this.#deps.account().email));
    const deps = { runtime: this.#deps.runtime, logplex, ports: this.#ports, trust: this.#deps.trust };
    const spec = {
      appId: app.id,
      releaseId: release.id,
      image: slug.image,
      config: release.config,
      command: request.command,
      size,
      kind: 'run' as const,
      name,
      extraEnv: request.env,
      onUp: () => running.set(name, { ...record, state: 'up', updatedAt: apiTimestamp() }),
    };
    const rendezvous = this.#deps.rendezvous;
    if (request.attach && record.attachSecret !== null && rendezvous) {
      const secret = record.attachSecret;
      logplex.write(app.id, 'heroku', name, 'Awaiting client');
      void rendezvous
        .expect(secret, 60)
        .then((socket) => {
          if (!socket) {
            logplex.write(app.id, 'heroku', name, 'Error R13 (Attach error) -> Failed to attach to process');
            logplex.write(app.id, 'heroku', name, 'State changed from starting to complete');
            return;
          }
          const columns = Number(request.env['COLUMNS']);
          const lines = Number(request.env['LINES']);
          return runAttached(deps, {
            ...spec,
            socket,
            tty: request.forceNoTty !== true,
            ...(Number.isInteger(columns) && columns > 0 ? { columns } : {}),
            ...(Number.isInteger(lines) && lines > 0 ? { lines } : {}),
          });
        })
        .finally(() => running.delete(name));
      return record;
    }
    void runOneOff(deps, spec
    ).finally(() => running.delete(name));
    return record;
  }

  #oneOffsOf(appId: string): Map<string, DynoRecord> {
    let map = this.#oneOffs.get(appId);
    if (!map) {
      map = new Map();
      this.#oneOffs.set(appId, map);
    }
    return map;
  }

  /**
   * The release phase: the `release` process of the release's slug, in a `release.N` dyno with the release's config.
   * Resolves with whether it succeeded; its output goes to `sink` and to the app's log.
   */
  async runReleasePhase(release: ReleaseRecord, command: string, sink: (text: string) => void): Promise<boolean> {
    const slug = release.artifact?.type === 'slug' ? this.#deps.store.builds.getSlug(release.artifact.id) : undefined;
    if (!slug?.image) return false;
    const result = await runOneOff(
      { runtime: this.#deps.runtime, logplex: this.#deps.logplex, ports: this.#ports, trust: this.#deps.trust },
      {
        appId: release.appId,
        releaseId: release.id,
        image: slug.image,
        config: release.config,
        command,
        size: DEFAULT_SIZE,
        kind: 'release',
        sink,
        timeoutSeconds: this.#deps.releasePhaseTimeoutSeconds,
      },
    );
    return result.exitCode === 0 && !result.timedOut;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  /**
   * On daemon start: formation dynos whose containers still run are adopted with their ports; rows without a live
   * container get a fresh instance; release and one-off containers from before are removed (they cannot be
   * re-attached), as are containers no row knows.
   */
  async recover(): Promise<void> {
    const { runtime, store } = this.#deps;
    const containers = await runtime.listByLabel({});
    const byId = new Map(containers.map((c) => [c.id, c]));
    const known = new Set<string>();
    for (const record of store.dynos.allDynos()) {
      const release = store.releases.getById(record.appId, record.releaseId);
      const slug = release?.artifact?.type === 'slug' ? store.builds.getSlug(release.artifact.id) : undefined;
      const f = store.dynos.formation(record.appId).find((x) => x.type === record.type);
      if (!release || !slug?.image || !f) {
        store.dynos.deleteDyno(record.id);
        continue;
      }
      const slot = new DynoSlot(this.#slotDeps(), record.appId, record.name, this.#slotRelease(release, slug.image, f), record);
      this.#slotsOf(record.appId).set(record.name, slot);
      const container = record.containerId ? byId.get(record.containerId) : undefined;
      if (container && container.state === 'running' && record.port !== null) {
        known.add(container.id);
        await slot.adopt(container.id, record.port);
      } else {
        if (container) await runtime.remove(container.id);
        void slot.restartLost();
      }
    }
    for (const container of containers) {
      const role = container.labels.role;
      if ((role === 'dyno' || role === 'run' || role === 'release') && !known.has(container.id)) await runtime.remove(container.id);
    }
    for (const app of store.apps.list()) await this.converge(app.id);
    this.republish();
  }

  /** app.destroyed: every dyno of the app stops and its containers go. */
  async removeApp(appId: string): Promise<void> {
    const slots = this.#slots.get(appId);
    this.#slots.delete(appId);
    this.#oneOffs.delete(appId);
    await Promise.all([...(slots?.values() ?? [])].map((slot) => slot.retire().catch(() => undefined)));
    for (const container of await this.#deps.runtime.listByLabel({ app: appId })) {
      if (container.labels.role !== 'build') await this.#deps.runtime.remove(container.id);
    }
    this.republish();
  }

  /** Daemon shutdown: dynos keep running for the next daemon to adopt. */
  detachAll(): void {
    for (const slots of this.#slots.values()) for (const slot of slots.values()) slot.detach();
  }
}

function notFoundType(type: string) {
  return berthError('process_type_not_found', { type });
}

function byWebFirst(a: FormationRecord, b: FormationRecord): number {
  if (a.type === 'web') return -1;
  if (b.type === 'web') return 1;
  return a.type.localeCompare(b.type);
}

/** `2`, `"2"`, `"+1"`, `"-1"`: the CLI sends strings, relative or absolute. */
export function parseQuantity(value: string | number, current: number): number {
  const text = String(value).trim();
  const match = /^([+-]?)(\d+)$/.exec(text);
  if (!match) raise('formation_quantity_invalid', { quantity: text });
  const n = Number(match[2]);
  const next = match[1] === '+' ? current + n : match[1] === '-' ? current - n : n;
  if (next < 0) raise('formation_quantity_negative');
  if (next > 100) raise('formation_quantity_too_high', { max: 100 });
  return next;
}
