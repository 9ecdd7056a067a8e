// Dyno metadata (Heroku's `runtime-dyno-metadata` lab): variables that tell a dyno which app, release and slug it
// runs. Heroku adds them from the next deploy after the feature is enabled; Berth adds them at every dyno start while
// it is on (a restart is enough).
import type { DynoRecord } from '../contracts/records.js';
import type { Store } from '../store/index.js';
import type { Workload } from './lifecycle.js';

/** Whether an app has the feature on, and the app's default domain (`<app>.localhost`): the composition root's. */
export interface DynoMetadataSource {
  enabled(appId: string): boolean;
  defaultDomain(appName: string): string;
}

/** The variables a dyno gets at launch: the metadata when its app has the feature on, else none. */
export function dynoMetadataEnv(
  store: Pick<Store, 'apps' | 'releases' | 'builds' | 'images'>,
  source: DynoMetadataSource,
): (dyno: DynoRecord, workload: Workload) => Readonly<Record<string, string>> {
  return (dyno, workload) => metadataOf(store, source, dyno, workload);
}

function metadataOf(
  store: Pick<Store, 'apps' | 'releases' | 'builds' | 'images'>,
  source: DynoMetadataSource,
  dyno: DynoRecord,
  workload: Workload,
): Readonly<Record<string, string>> {
  if (!source.enabled(dyno.appId)) return {};
  const app = store.apps.getById(dyno.appId);
  const release = store.releases.getById(dyno.appId, workload.releaseId);
  if (app === undefined || release === undefined) return {};
  const artifact = workload.artifact;
  const artifactId = artifact.kind === 'slug' ? artifact.slugId : artifact.imageId;
  // An image release's commit is the image's (the container stack has no slug; Heroku still sets HEROKU_SLUG_COMMIT).
  const commit = artifact.kind === 'slug' ? store.builds.getSlug(artifactId)?.commit : store.images.get(artifactId)?.commit;
  // The artifact's description is that of the deploy that made it (`Deploy 58d1fdd`), not of later config releases.
  const deploy = store.releases
    .listByApp(app.id)
    .filter((r) => r.artifact?.id === artifactId)
    .sort((a, b) => a.version - b.version)[0];
  return {
    HEROKU_APP_ID: app.id,
    HEROKU_APP_NAME: app.name,
    HEROKU_APP_DEFAULT_DOMAIN_NAME: source.defaultDomain(app.name),
    HEROKU_DYNO_ID: dyno.id,
    HEROKU_RELEASE_CREATED_AT: release.createdAt,
    HEROKU_RELEASE_VERSION: `v${release.version}`,
    HEROKU_SLUG_COMMIT: commit ?? '',
    HEROKU_SLUG_DESCRIPTION: deploy?.description ?? '',
  };
}
