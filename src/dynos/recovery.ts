// Recovery on daemon start (DESIGN.md "Recovery on start"): formation dynos whose containers still run are adopted with
// their ports; rows without a live container get a fresh instance; release and one-off containers from before are
// removed (they cannot be re-attached), as are containers no row knows. A dyno adopted on a release that is no longer
// the app's current one (the daemon died during a deploy's restart) is restarted onto the current release.
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
  const liveContainer = (record: (typeof records)[number]) => {
    const container = record.containerId ? byId.get(record.containerId) : undefined;
    return container !== undefined && container.state === 'running' && record.port !== null;
  };
  // Every live dyno's port is taken before any dyno is relaunched: a relaunch must not get the port of a dyno adopted
  // after it, and the pool's probe cannot see one that does not listen (a worker, a web dyno still booting).
  for (const record of records) if (liveContainer(record) && record.port !== null) deps.executor.ports.claim(record.port);
  for (const record of records) {
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
      continue;
    }
    const dyno = new DynoExecutor(deps.executor, record.appId, record.name, workload, record);
    deps.dynos.of(record.appId).set(record.name, dyno);
    if (live && record.containerId !== null && record.port !== null) {
      known.add(record.containerId);
      await dyno.adopt(record.containerId, record.port);
      if (current && currentArtifact && current.id !== workload.releaseId) {
        restarts.push(dyno.restart('Restarting', workloadOf(current, currentArtifact, f)));
      }
    } else {
      if (container) await runtime.remove(container.id);
      restarts.push(dyno.lost());
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
