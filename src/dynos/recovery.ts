// Recovery on daemon start (DESIGN.md "Recovery on start"): formation dynos whose containers still run are adopted with
// their ports; rows without a live container get a fresh instance; release and one-off containers from before are
// removed (they cannot be re-attached), as are containers no row knows. A dyno adopted on a release that is no longer
// the app's current one (the daemon died during a deploy's restart) is restarted onto the current release; a preboot
// the daemon's stop interrupted (two rows of one dyno) is finished, never leaving the dyno running twice.
import type { DynoRecord } from '../contracts/records.js';
import type { Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { artifactOf } from './artifact.js';
import type { DynoSet } from './dyno-set.js';
import { DynoExecutor, type ExecutorDeps } from './executor.js';
import { workloadOf, type Formation } from './formation.js';
import type { Workload } from './lifecycle.js';

export interface RecoveryDeps {
  readonly runtime: Pick<Runtime, 'listByLabel' | 'remove'>;
  readonly store: Store;
  readonly dynos: DynoSet;
  readonly formation: Formation;
  readonly executor: ExecutorDeps;
}

/** Resolves once every dyno is adopted or relaunched and the formations converged; restarts onto a newer release go on. */
export async function recoverDynos(deps: RecoveryDeps): Promise<void> {
  const { runtime, store } = deps;
  const containers = await runtime.listByLabel({});
  const byId = new Map(containers.map((c) => [c.id, c]));
  const known = new Set<string>();
  const restarts: Promise<void>[] = [];
  const records = store.dynos.allDynos();
  const liveContainer = (record: DynoRecord) => {
    const container = record.containerId ? byId.get(record.containerId) : undefined;
    return container !== undefined && container.state === 'running' && record.port !== null;
  };
  // Every live dyno's port is taken before any dyno is relaunched: a relaunch must not get the port of a dyno adopted
  // after it, and the pool's probe cannot see one that does not listen (a worker, a web dyno still booting).
  for (const record of records) if (liveContainer(record) && record.port !== null) deps.executor.ports.claim(record.port);

  /** Makes the row's executor and adopts or relaunches its instance; `register`: it goes into the dyno set. */
  const recover = async (record: DynoRecord, options: { register: boolean; followRelease: boolean }): Promise<DynoExecutor | undefined> => {
    const f = store.dynos.formation(record.appId).find((x) => x.type === record.type);
    const ran = store.releases.getById(record.appId, record.releaseId);
    const ranArtifact = artifactOf(store, ran);
    const current = store.releases.current(record.appId);
    const currentArtifact = artifactOf(store, current);
    const container = record.containerId ? byId.get(record.containerId) : undefined;
    const live = liveContainer(record);
    // What the container runs, as its row says (rows follow every relaunch); a fresh instance runs the current release.
    const workload: Workload | undefined =
      live && ran && ranArtifact
        ? { releaseId: ran.id, version: ran.version, artifact: ranArtifact, config: ran.config, command: record.command, size: record.size }
        : f && current && currentArtifact
          ? workloadOf(current, currentArtifact, f)
          : undefined;
    if (!f || !workload) {
      store.dynos.deleteDyno(record.id);
      return undefined;
    }
    const dyno = new DynoExecutor(deps.executor, record.appId, record.name, workload, record);
    if (options.register) deps.dynos.of(record.appId).set(record.name, dyno);
    if (live && record.containerId !== null && record.port !== null) {
      known.add(record.containerId);
      await dyno.adopt(record.containerId, record.port);
      if (options.followRelease && current && currentArtifact && current.id !== workload.releaseId) {
        restarts.push(dyno.restart('Restarting', workloadOf(current, currentArtifact, f)));
      }
    } else {
      if (container) await runtime.remove(container.id);
      restarts.push(dyno.lost());
    }
    return dyno;
  };

  for (const rows of byDyno(records)) {
    const [only] = rows;
    if (rows.length === 1 && only) {
      await recover(only, { register: true, followRelease: true });
      continue;
    }
    // Two rows of one dyno: a preboot the daemon's stop interrupted (the new dyno runs the current release, the old
    // one the release before). With both running, the switch is finished as the preboot would have: the old one
    // serves until the new one is up, then gets SIGTERM. With one running, it alone is kept (moved onto the current
    // release if it is the old one); the others' rows and containers go, so no dyno runs twice.
    const appId = rows[0]?.appId ?? '';
    const current = store.releases.current(appId);
    const next = rows.find((r) => r.releaseId === current?.id && liveContainer(r));
    const old = rows.find((r) => r !== next && liveContainer(r));
    const kept = next ?? old ?? rows.find((r) => r.releaseId === current?.id) ?? rows[rows.length - 1];
    for (const row of rows) {
      if (row === kept || (next && row === old)) continue;
      store.dynos.deleteDyno(row.id);
      if (row.containerId && byId.has(row.containerId)) await runtime.remove(row.containerId);
    }
    if (next && old) {
      const serving = await recover(old, { register: true, followRelease: false });
      const prebooted = await recover(next, { register: false, followRelease: false });
      if (serving && prebooted) restarts.push(deps.formation.finishPreboot(appId, serving, prebooted));
      else if (prebooted) deps.dynos.of(appId).set(next.name, prebooted);
    } else if (kept) {
      await recover(kept, { register: true, followRelease: true });
    }
  }
  for (const container of containers) {
    const role = container.labels.role;
    if ((role === 'dyno' || role === 'run' || role === 'release') && !known.has(container.id)) await runtime.remove(container.id);
  }
  for (const app of store.apps.list()) await deps.formation.converge(app.id);
  // Restarts wait out a SIGTERM grace; the daemon need not wait for them to serve. They never reject.
  void Promise.all(restarts);
}

/** The rows grouped by app and dyno name, in the order they come. */
function byDyno(records: readonly DynoRecord[]): DynoRecord[][] {
  const groups = new Map<string, DynoRecord[]>();
  for (const record of records) {
    const key = `${record.appId}/${record.name}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups.values()];
}
