// How a process starts in a dyno (DESIGN.md "Dyno launch"): bash sources /app/.profile.d/*.sh, then /app/.profile,
// then runs the Procfile command with `bash -c`, so `&&`, pipes and quotes work as on Heroku. Docker's init is PID 1,
// so the process gets default signal handling (a plain `node server.js` dies on SIGTERM, as on Heroku).
import type { ConfigVars } from '../contracts/records.js';
import { containerName, type ContainerSpec, type ContainerTrust } from '../runtime/index.js';

const LAUNCH = [
  'cd /app',
  'for profile in /app/.profile.d/*.sh; do if [ -f "$profile" ]; then . "$profile"; fi; done',
  'if [ -f /app/.profile ]; then . /app/.profile; fi',
  'exec bash -c "$1"',
].join('\n');

/**
 * Capabilities a dyno does not need, taken from Docker's default set. Dynos share the host's network: without
 * NET_RAW they cannot sniff loopback traffic (the CLI's API key, other apps' requests); without NET_BIND_SERVICE they
 * cannot take a privileged host port. The rest (device nodes, chroot, audit, capability juggling) no app uses.
 */
const DYNO_CAP_DROP = ['NET_RAW', 'NET_BIND_SERVICE', 'MKNOD', 'SYS_CHROOT', 'AUDIT_WRITE', 'SETFCAP', 'SETPCAP'] as const;

/** Heroku's process/thread limit of the smallest dynos (Basic, Standard-1X), when a size says nothing else. */
const DEFAULT_PIDS_LIMIT = 256;

export interface LaunchSpec {
  readonly image: string;
  /** A container-stack image's ENTRYPOINT (or `/bin/sh -c`), which gets the command; absent: the slug launch. */
  readonly entrypoint?: readonly string[] | undefined;
  readonly appId: string;
  /** For the container's name (`berth-<app>-web.1-…`); the labels carry the app's id. */
  readonly appName: string;
  readonly releaseId: string;
  readonly dyno: string;
  readonly role: 'dyno' | 'release' | 'run';
  readonly command: string;
  readonly config: ConfigVars;
  readonly port: number;
  readonly memoryBytes: number;
  /** Processes and threads at once (Heroku's limit depends on the dyno size). */
  readonly pidsLimit?: number;
  readonly trust: ContainerTrust;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export function launchSpec(spec: LaunchSpec): ContainerSpec {
  // A container image keeps its own WORKDIR, HOME and user: nothing of a slug's /app is assumed there.
  const slug = spec.entrypoint === undefined;
  return {
    image: spec.image,
    name: containerName(spec.appName, spec.dyno),
    cmd: slug ? ['bash', '-c', LAUNCH, spec.dyno, spec.command] : [...spec.entrypoint, spec.command],
    labels: { app: spec.appId, role: spec.role, dyno: spec.dyno, release: spec.releaseId },
    env: {
      ...spec.trust.env,
      ...spec.config,
      ...spec.extraEnv,
      PORT: String(spec.port),
      DYNO: spec.dyno,
      ...(slug ? { HOME: '/app' } : {}),
    },
    binds: spec.trust.binds,
    ...(slug ? { workingDir: '/app' } : {}),
    memoryBytes: spec.memoryBytes,
    init: true,
    capDrop: DYNO_CAP_DROP,
    noNewPrivileges: true,
    pidsLimit: spec.pidsLimit ?? DEFAULT_PIDS_LIMIT,
  };
}

/**
 * How a command runs inside a running dyno (`heroku run:inside`): in a slug dyno through the same launch (profile
 * scripts, /app, `bash -c`), in a container image's dyno with `/bin/sh -c` (its ENTRYPOINT may be no shell at all).
 */
export function insideCommand(command: string, slug: boolean): string[] {
  return slug ? ['bash', '-c', LAUNCH, 'run:inside', command] : ['/bin/sh', '-c', command];
}

/**
 * The command as Heroku logs it (`Starting process with command ...`): a slug's with `$PORT` already substituted; a
 * container image's as what runs it gets it, `/bin/sh -c` (or the ENTRYPOINT) and the command shell-escaped.
 */
export function displayCommand(command: string, port: number, entrypoint?: readonly string[]): string {
  if (entrypoint !== undefined) return `${entrypoint.join(' ')} ${command.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, '\\$&')}`;
  return command.replace(/\$\{PORT\}|\$PORT\b/g, String(port));
}
