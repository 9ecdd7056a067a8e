// The add-on server image (DESIGN.md "Add-on servers"): the heroku-24 run image plus Debian's PostgreSQL and Redis
// packages, installed offline-from-registries (Debian's archive only) by apt-get in a container on the host network,
// then committed. One image serves both services: one build, and the add-on servers share the run image's layers.
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

/** Makes sure the add-on server image exists, building it (about a minute: apt downloads) when missing. */
export async function ensureAddonImage(settings: AddonImageSettings, runtime: Runtime, progress: Progress): Promise<void> {
  if (await runtime.imageExists(settings.addonImage)) return;
  await withFileLock(
    join(settings.dataDir, 'addon-image.lock'),
    { timeoutMs: 30 * 60_000, onWait: (pid) => progress.info(`Waiting for another Berth process (pid ${pid ?? '?'}) that is building the add-on image`) },
    async () => {
      if (await runtime.imageExists(settings.addonImage)) return;
      if (!settings.addonImage.startsWith('berth/')) {
        throw new Error(`Add-on image ${settings.addonImage} is not in the engine and Berth only builds its own berth/* images. Load it, or unset BERTH_ADDON_IMAGE.`);
      }
      const done = progress.step(`Building ${settings.addonImage} (${ADDON_SERVER_PACKAGES.join(', ')} on ${settings.stackRunImage})`);
      try {
        await buildAddonImage(settings, runtime);
      } catch (error) {
        done('failed');
        throw error;
      }
      done();
    },
  );
}

async function buildAddonImage(settings: AddonImageSettings, runtime: Runtime): Promise<void> {
  const log = new CommandLog(join(settings.dataDir, 'addon-image-build.log'));
  log.write(`\n==== ${new Date().toISOString()} building ${settings.addonImage}\n`);
  const id = await runtime.start({
    image: settings.stackRunImage,
    cmd: ['bash', '-c', INSTALL_SCRIPT],
    user: 'root',
    labels: { app: 'berth', role: 'build' },
  });
  try {
    const output = await runtime.follow(id);
    output.on('data', (chunk: Buffer) => log.write(chunk.toString('utf8')));
    const state = await runtime.wait(id);
    if (state.exitCode !== 0) throw new Error(`Installing the add-on packages exited with ${state.exitCode}. Last lines of ${log.path}:\n${await log.tail()}`);
    await runtime.commit(id, settings.addonImage, {
      changes: ['WORKDIR /', 'CMD ["/bin/bash"]', `LABEL ${ADDON_LABEL}=${ADDON_SERVER_PACKAGES.join(',')}`],
    });
  } finally {
    await runtime.remove(id);
    await log.close();
  }
}
