// The formation: how many dynos of each process type, what size, and the dynos that run it. Scaling plans the change
// (`Scaled to ...` in the log) and converges: missing dynos start, extra ones retire (highest numbers first). A release
// becoming current shapes the formation from its process types and restarts every dyno onto it. A `release` type is
// listed at quantity 0, as Heroku lists it (`heroku releases:retry` looks for it there); it only ever runs as the
// release phase, so it cannot be scaled and converge never starts a dyno of it.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord, FormationRecord, ReleaseRecord } from '../contracts/records.js';
import { berthError, raise } from '../errors.js';
import { API_LINES, type Logplex } from '../logs/index.js';
import type { EventBus } from '../events.js';
import type { Store } from '../store/index.js';
import { artifactOf, type Artifact } from './artifact.js';
import type { DynoSet } from './dyno-set.js';
import { DynoExecutor, type ExecutorDeps } from './executor.js';
import type { Workload } from './lifecycle.js';
import { DEFAULT_SIZE, dynoSize } from './sizes.js';

/** The Procfile type that runs as the release phase, never as a formation dyno. */
const RELEASE_TYPE = 'release';

export interface FormationUpdate {
  readonly type: string;
  readonly quantity?: string | number;
  readonly size?: string;
}

export interface FormationDeps {
  readonly store: Store;
  readonly logplex: Logplex;
  readonly account: () => Account;
  readonly dynos: DynoSet;
  readonly executor: ExecutorDeps;
  readonly events: EventBus;
  /** Apps with Heroku's `preboot` feature on, and how long new web dynos overlap the old ones once up. */
  readonly preboot?: PrebootSource;
}

export interface PrebootSource {
  enabled(appId: string): boolean;
  /** After a new web dyno is up, the old one keeps serving this long, then gets SIGTERM (Heroku: about 2 min). */
  readonly overlapSeconds: number;
}

/** What a dyno of formation `f` runs on `release`. */
export function workloadOf(release: ReleaseRecord, artifact: Artifact, f: FormationRecord): Workload {
  return { releaseId: release.id, version: release.version, artifact, config: release.config, command: f.command, size: f.size };
}

export class Formation {
  readonly #deps: FormationDeps;
  /** New web dynos of preboots under way: not in the dyno set yet, so a daemon shutdown detaches them here. */
  readonly #prebooting = new Set<DynoExecutor>();
  /** Aborted when the daemon stops: preboots under way leave their dynos as they are. */
  readonly #detaching = new AbortController();

  constructor(deps: FormationDeps) {
    this.#deps = deps;
  }

  list(app: AppRecord): FormationRecord[] {
    return this.#deps.store.dynos.formation(app.id);
  }

  get(app: AppRecord, type: string): FormationRecord {
    const found = this.list(app).find((f) => f.type === type);
    if (!found) throw notFoundType(type);
    return found;
  }

  /** `PATCH /formation`: absolute or relative (`+1`, `-1`) quantities, sizes; `Scaled to ...` in the log. */
  async scale(app: AppRecord, updates: readonly FormationUpdate[]): Promise<FormationRecord[]> {
    const store = this.#deps.store;
    const changed = store.transaction(() => {
      const formation = new Map(this.list(app).map((f) => [f.type, f]));
      const touched: FormationRecord[] = [];
      for (const update of updates) {
        const current = formation.get(update.type);
        if (!current) throw notFoundType(update.type);
        if (update.type === RELEASE_TYPE && update.quantity !== undefined) raise('formation_release_not_scalable');
        const quantity = update.quantity === undefined ? current.quantity : parseQuantity(update.quantity, current.quantity);
        const size = update.size === undefined ? current.size : dynoSize(update.size).name;
        const next = { ...current, quantity, size, updatedAt: apiTimestamp() };
        store.dynos.upsertFormation(next);
        formation.set(update.type, next);
        touched.push(next);
        const previous = {
          ...(quantity !== current.quantity ? { quantity: current.quantity } : {}),
          ...(size !== current.size ? { size: current.size } : {}),
        };
        store.afterCommit(() => this.#deps.events.emit('resource.changed', { appId: app.id, resource: 'formation', formation: next, action: 'update', previous }));
      }
      this.#scaledTo(app.id, [...formation.values()]);
      return touched;
    });
    // Not in the app's queue: a build and its release phase hold that queue for minutes, and Heroku scales at once.
    // converge() is safe to run concurrently (dynos are created and retired synchronously before any await).
    // The answer waits for the new dynos to boot and removed ones to stop, so a scripted `ps:scale` can rely on it.
    await this.converge(app.id, { restartSizeChanges: true });
    return changed.map((f) => this.get(app, f.type));
  }

  #scaledTo(appId: string, formation: readonly FormationRecord[]): void {
    const scaled = formation.filter((f) => f.type !== RELEASE_TYPE).sort(byWebFirst);
    const line = API_LINES.scaled(scaled, this.#deps.account().email);
    this.#deps.logplex.write(appId, 'app', 'api', line);
  }

  /**
   * Preboot (Heroku's `preboot` feature): the new web dyno starts beside the old one, which keeps the traffic until
   * the new one is up and the overlap has passed; then the router switches and the old one gets SIGTERM. `heroku ps`
   * shows the old dyno until the switch (Heroku already shows the new one).
   */
  async #preboot(appId: string, old: DynoExecutor, workload: Workload): Promise<void> {
    const next = new DynoExecutor(this.#deps.executor, appId, old.name, workload);
    this.#prebooting.add(next);
    await next.boot();
    await this.finishPreboot(appId, old, next);
  }

  /**
   * The second half of a preboot: once `next` is up and the overlap has passed, it takes `old`'s place and `old` gets
   * SIGTERM. Recovery calls it too, for a preboot a daemon stop interrupted (both dynos adopted, `old` in the set).
   */
  async finishPreboot(appId: string, old: DynoExecutor, next: DynoExecutor): Promise<void> {
    this.#prebooting.add(next);
    try {
      await next.untilUp();
      const overlap = this.#deps.preboot?.overlapSeconds ?? 0;
      if (overlap > 0 && !this.#detaching.signal.aborted) await overlapOver(overlap, this.#detaching.signal);
    } finally {
      this.#prebooting.delete(next);
    }
    // The daemon is stopping: both dynos keep running, and the next daemon finishes the switch.
    if (this.#detaching.signal.aborted) return;
    const dynos = this.#deps.dynos.of(appId);
    // Scaled away, restarted onto a newer release, or the app destroyed meanwhile: the new one is not wanted.
    if (dynos.get(old.name) !== old) return next.retire();
    dynos.set(old.name, next);
    this.#deps.executor.changed(appId);
    await old.retire();
  }

  /** The new dynos of preboots under way: not in the app's dyno set until they take the old one's place. */
  prebooting(): readonly DynoExecutor[] {
    return [...this.#prebooting];
  }

  /** Daemon shutdown: the new dynos of preboots under way keep running too, for the next daemon to adopt. */
  detach(): void {
    this.#detaching.abort();
    for (const next of this.#prebooting) next.detach();
  }

  /** Makes the running dynos match the formation: starts missing ones, retires extra ones (highest numbers first). */
  async converge(appId: string, options: { restartSizeChanges?: boolean } = {}): Promise<void> {
    const { store } = this.#deps;
    const release = store.releases.current(appId);
    const artifact = artifactOf(store, release);
    const dynos = this.#deps.dynos.of(appId);
    const work: Promise<void>[] = [];
    const formation = store.dynos.formation(appId);
    for (const f of formation) {
      if (f.type === RELEASE_TYPE) continue;
      for (let n = 1; n <= f.quantity; n++) {
        const name = `${f.type}.${n}`;
        const existing = dynos.get(name);
        if (existing) {
          if (options.restartSizeChanges && existing.workload.size !== f.size && release && artifact) {
            work.push(existing.restart('Restarting', workloadOf(release, artifact, f)));
          }
          continue;
        }
        if (!release || !artifact) continue;
        const dyno = new DynoExecutor(this.#deps.executor, appId, name, workloadOf(release, artifact, f));
        dynos.set(name, dyno);
        work.push(dyno.boot());
      }
    }
    for (const [name, dyno] of dynos) {
      const f = formation.find((x) => x.type === dyno.type);
      const index = Number(name.slice(name.lastIndexOf('.') + 1));
      if (!f || f.type === RELEASE_TYPE || index > f.quantity) {
        dynos.delete(name);
        work.push(dyno.retire());
      }
    }
    // The formation's quantities and its new dynos (`starting`, no container yet) are in the snapshot before any
    // container exists: the router holds requests for them instead of answering H14 or "no such app".
    this.#deps.executor.changed(appId);
    await Promise.all(work);
  }

  /**
   * A release became current: the formation follows its process types (first deploy: web=1, others 0; new types at
   * 0; types gone from the Procfile are scaled away), and every dyno restarts onto the release.
   */
  async followRelease(appId: string, releaseId: string): Promise<void> {
    const { store } = this.#deps;
    const release = store.releases.getById(appId, releaseId);
    const artifact = artifactOf(store, release);
    if (!release || !artifact) return;
    store.transaction(() => {
      const formation = new Map(store.dynos.formation(appId).map((f) => [f.type, f]));
      const first = formation.size === 0;
      const types = Object.entries(artifact.processTypes);
      const now = apiTimestamp();
      for (const [type, command] of types) {
        const existing = formation.get(type);
        store.dynos.upsertFormation({
          id: existing?.id ?? randomUUID(),
          appId,
          type,
          quantity: type === RELEASE_TYPE ? 0 : (existing?.quantity ?? (first && type === 'web' ? 1 : 0)),
          size: existing?.size ?? DEFAULT_SIZE,
          command,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        });
      }
      for (const type of formation.keys()) {
        if (!(type in artifact.processTypes)) store.dynos.deleteFormation(appId, type);
      }
      // The first formation is a scale too: Heroku logs `Scaled to web@1:Basic worker@0:Basic by user ...`.
      if (first && types.some(([type]) => type !== RELEASE_TYPE)) this.#scaledTo(appId, store.dynos.formation(appId));
    });
    const formation = store.dynos.formation(appId);
    const restarts: Promise<void>[] = [];
    const preboot = this.#deps.preboot?.enabled(appId) === true;
    for (const dyno of this.#deps.dynos.list(appId)) {
      const f = formation.find((x) => x.type === dyno.type);
      if (!f) continue;
      const workload = workloadOf(release, artifact, f);
      if (preboot && dyno.type === 'web' && dyno.record.state === 'up') restarts.push(this.#preboot(appId, dyno, workload));
      else restarts.push(dyno.restart('Restarting', workload));
    }
    await Promise.all(restarts);
    await this.converge(appId);
  }

  /** `ps:restart` (and `ps:stop`) for all dynos, one type, or one dyno. */
  async restart(app: AppRecord, which: { type?: string; name?: string } = {}): Promise<void> {
    const dynos = this.#deps.dynos
      .list(app.id)
      .filter((dyno) => (which.type === undefined || dyno.type === which.type) && (which.name === undefined || dyno.name === which.name));
    if (which.name !== undefined && dynos.length === 0) raise('dyno_not_found');
    await Promise.all(dynos.map((dyno) => dyno.restart('Restarting')));
  }
}

/** Resolves after `seconds`, or at once when `signal` aborts (its listener goes with the timer either way). */
function overlapOver(seconds: number, signal: AbortSignal): Promise<void> {
  return sleep(seconds * 1000, undefined, { signal }).catch(() => undefined);
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
