// The add-on server image (DESIGN.md "Add-on servers"): the heroku-24 run image plus Debian's PostgreSQL and Redis
// packages, installed offline-from-registries (Debian's archive only) by apt-get in a container on the host network,
// then committed. One image serves both services: one build, and the add-on servers share the run image's layers.
// It also carries a Postgres cluster made once at build time (the template): a new Postgres add-on copies it into its
// volume instead of running initdb, which is most of a provision's time (servers.ts).
import { join } from 'node:path';
import { withFileLock } from '../host/index.js';
import type { Progress } from '../contracts/progress.js';
import type { Runtime } from '../runtime/index.js';
import type { Settings } from '../settings.js';
import { CommandLog } from './exec.js';
import { ADDON_SERVER_PACKAGES } from './packages.js';

export type AddonImageSettings = Pick<Settings, 'dataDir' | 'addonImage' | 'stackRunImage'>;

/** Image label of the add-on image Berth builds. */
const ADDON_LABEL = 'berth.addons';
/** Image label saying which template cluster the image carries: an image without it (an older Berth's) gets one. */
const TEMPLATE_LABEL = 'berth.addons.postgres-template';
const TEMPLATE_VERSION = '1';

/** Where the image keeps the template cluster (servers.ts copies it). */
export const POSTGRES_TEMPLATE_DIR = '/usr/local/share/berth/postgres-template';
/** The database the template holds, renamed to each add-on's own database on its first start. */
export const POSTGRES_TEMPLATE_DATABASE = 'berth_template';

// No main cluster at install time (each add-on initialises its own data directory), and no service may start while
// the packages install.
const INSTALL_SCRIPT = `set -e
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
mkdir -p /etc/postgresql-common
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
apt-get update -q
apt-get install -y -q --no-install-recommends ${ADDON_SERVER_PACKAGES.join(' ')}
rm -f /usr/sbin/policy-rc.d
ln -sf "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)" /usr/local/lib/postgresql-bin
apt-get clean
rm -rf /var/lib/apt/lists/*
`;

// The template cluster: the bootstrap superuser is "postgres", with no password (it cannot log in over TCP, where
// scram is required) and one empty database. No add-on's role, password or database name is in it: each add-on's
// are set on its own copy (servers.ts). Single-user mode ends with a clean shutdown, so copies start without recovery.
const TEMPLATE_SCRIPT = `set -e
export LC_ALL=C
T=${POSTGRES_TEMPLATE_DIR} B=/usr/local/lib/postgresql-bin
rm -rf "$T"; mkdir -p "$T"; chown postgres:postgres "$T"; chmod 700 "$T"
runuser -u postgres -- "$B/initdb" -D "$T" -U postgres --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
echo 'CREATE DATABASE ${POSTGRES_TEMPLATE_DATABASE} OWNER postgres;' | runuser -u postgres -- "$B/postgres" --single -F -D "$T" postgres >/dev/null
`;

/**
 * Makes sure the add-on server image exists, building it (about a minute: apt downloads) when missing. A Berth image
 * built before the template cluster gets it as one more layer (seconds, no download). Another image named by
 * BERTH_ADDON_IMAGE is used as it is (its add-ons run initdb).
 */
export async function ensureAddonImage(settings: AddonImageSettings, runtime: Runtime, progress: Progress): Promise<void> {
  if (await isCurrent(settings, runtime)) return;
  await withFileLock(
    join(settings.dataDir, 'addon-image.lock'),
    { timeoutMs: 30 * 60_000, onWait: (pid) => progress.info(`Waiting for another Berth process (pid ${pid ?? '?'}) that is building the add-on image`) },
    async () => {
      if (await isCurrent(settings, runtime)) return;
      const existing = await runtime.imageExists(settings.addonImage);
      if (!existing && !settings.addonImage.startsWith('berth/')) {
        throw new Error(`Add-on image ${settings.addonImage} is not in the engine and Berth only builds its own berth/* images. Load it, or unset BERTH_ADDON_IMAGE.`);
      }
      const done = existing
        ? progress.step(`Adding a template Postgres cluster to ${settings.addonImage}`)
        : progress.step(`Building ${settings.addonImage} (${ADDON_SERVER_PACKAGES.join(', ')} on ${settings.stackRunImage})`);
      try {
        await buildAddonImage(settings, runtime, existing);
      } catch (error) {
        done('failed');
        throw error;
      }
      done();
    },
  );
}

/** The image is there and, if it is one of Berth's, carries the current template cluster. */
async function isCurrent(settings: AddonImageSettings, runtime: Runtime): Promise<boolean> {
  const info = await runtime.imageInfo(settings.addonImage);
  if (info === undefined) return false;
  return !settings.addonImage.startsWith('berth/') || info.labels[TEMPLATE_LABEL] === TEMPLATE_VERSION;
}

/** Installs the packages on the run image and makes the template, or (`onExisting`) only the template, on the image there. */
async function buildAddonImage(settings: AddonImageSettings, runtime: Runtime, onExisting: boolean): Promise<void> {
  const log = new CommandLog(join(settings.dataDir, 'addon-image-build.log'));
  log.write(`\n==== ${new Date().toISOString()} building ${settings.addonImage}${onExisting ? ' (template cluster)' : ''}\n`);
  const id = await runtime.start({
    image: onExisting ? settings.addonImage : settings.stackRunImage,
    cmd: ['bash', '-c', onExisting ? TEMPLATE_SCRIPT : INSTALL_SCRIPT + TEMPLATE_SCRIPT],
    user: 'root',
    labels: { app: 'berth', role: 'build' },
  });
  try {
    const output = await runtime.follow(id);
    output.on('data', (chunk: Buffer) => log.write(chunk.toString('utf8')));
    const state = await runtime.wait(id);
    if (state.exitCode !== 0) throw new Error(`Building the add-on image exited with ${state.exitCode}. Last lines of ${log.path}:\n${await log.tail()}`);
    await runtime.commit(id, settings.addonImage, {
      changes: ['WORKDIR /', 'CMD ["/bin/bash"]', `LABEL ${ADDON_LABEL}=${ADDON_SERVER_PACKAGES.join(',')}`, `LABEL ${TEMPLATE_LABEL}=${TEMPLATE_VERSION}`],
    });
  } finally {
    await runtime.remove(id);
    await log.close();
  }
}
