// The offline heroku-24 root filesystems: debootstrap a Debian minbase with the run packages,
// then add the build packages to the same tree with apt-get in a chroot.
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type CommandLog } from './exec.js';
import { BUILD_EXTRA_PACKAGES, RUN_PACKAGES } from './packages.js';

const SCRIPTS = '/usr/share/debootstrap/scripts';
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };

/** Root on a Debian-like host with apt, or a clear error saying what the stack build needs. */
export async function checkHost(): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const isDebian = await exists('/etc/debian_version');
  if (isRoot && isDebian) return;
  throw new Error(
    'The heroku-24 stack images are missing and Berth builds them with debootstrap, which needs root on a ' +
      'Debian-like host. Run `berth setup` as root there, or build/pull images and name them with ' +
      'BERTH_STACK_RUN_IMAGE and BERTH_STACK_BUILD_IMAGE.',
  );
}

export async function ensureDebootstrap(log: CommandLog): Promise<void> {
  if (await exists('/usr/sbin/debootstrap')) return;
  await run('apt-get', ['update', '-q'], log, APT_ENV);
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'debootstrap'], log, APT_ENV);
}

/**
 * The script argument for debootstrap: none when it knows the suite; an older debootstrap that
 * lacks a new suite's script can still bootstrap it with sid's (they are one script under many names).
 */
export async function suiteScript(suite: string): Promise<string | undefined> {
  if (await exists(join(SCRIPTS, suite))) return undefined;
  if (await exists(join(SCRIPTS, 'sid'))) return join(SCRIPTS, 'sid');
  throw new Error(`debootstrap has no script for "${suite}" (nor sid's) in ${SCRIPTS}: install a newer debootstrap`);
}

export async function bootstrapRun(rootfs: string, suite: string, mirror: string, log: CommandLog): Promise<void> {
  const script = await suiteScript(suite);
  await run(
    'debootstrap',
    [
      '--variant=minbase',
      '--components=main',
      `--include=${RUN_PACKAGES.join(',')}`,
      suite,
      rootfs,
      mirror,
      ...(script !== undefined ? [script] : []),
    ],
    log,
    APT_ENV,
  );
  // Images stay lean, as Heroku's do: no recommends when buildpacks apt-get later.
  await writeFile(join(rootfs, 'etc/apt/apt.conf.d/90berth-no-recommends'), 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n');
  await run('chroot', [rootfs, 'apt-get', 'clean'], log, APT_ENV);
}

export async function addBuildPackages(rootfs: string, log: CommandLog): Promise<void> {
  // The chroot resolves names with the host's resolver; debootstrap copied it in, but make sure.
  const resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (resolv !== '') await writeFile(join(rootfs, 'etc/resolv.conf'), resolv);
  // No service may start inside the chroot while packages install.
  const policy = join(rootfs, 'usr/sbin/policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await run('chroot', [rootfs, 'apt-get', 'update', '-q'], log, APT_ENV);
    await run('chroot', [rootfs, 'apt-get', 'install', '-y', '-q', ...BUILD_EXTRA_PACKAGES], log, APT_ENV);
    await run('chroot', [rootfs, 'apt-get', 'clean'], log, APT_ENV);
  } finally {
    await run('rm', ['-f', policy], log);
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
