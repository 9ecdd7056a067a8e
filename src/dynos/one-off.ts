// One-off dynos (`run.N`) and release-phase dynos (`release.N`): they run once, never restart, and end in the
// log-only state `complete`. Their output goes to the app's log as app[run.N], and to a sink when one is given
// (the release's output_stream_url).
import { randomInt } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ConfigVars } from '../contracts/records.js';
import { DYNO_LINES, type Logplex } from '../logs/index.js';
import type { ContainerSpec, ContainerState, ContainerTrust, Runtime } from '../runtime/index.js';
import { DynoContainer } from './container.js';
import { displayCommand, launchSpec } from './launch.js';
import type { PortPool } from './ports.js';
import { dynoSize } from './sizes.js';

export interface OneOffDeps {
  readonly runtime: Runtime;
  readonly logplex: Logplex;
  readonly ports: PortPool;
  readonly trust: ContainerTrust;
}

export interface OneOffSpec {
  readonly appId: string;
  /** For the container's name (`berth-<app>-run.1234-…`). */
  readonly appName: string;
  readonly releaseId: string;
  readonly image: string;
  /** A container image's ENTRYPOINT (or shell) for the command; absent: the slug launch. */
  readonly entrypoint?: readonly string[] | undefined;
  readonly config: ConfigVars;
  readonly command: string;
  readonly size: string;
  readonly kind: 'run' | 'release';
  readonly name?: string;
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Also receives the process's output, line by line. */
  readonly sink?: (text: string) => void;
  readonly timeoutSeconds?: number;
  /** Called once the process is up, with its container when it has one of its own (`ps:stop run.N` signals it). */
  readonly onUp?: (containerId?: string) => void;
}

/** The container of a one-off or release dyno: the release's slug image and config, plus its own name and $PORT. */
function oneOffContainer(deps: OneOffDeps, spec: OneOffSpec, name: string, port: number): ContainerSpec {
  return launchSpec({
    image: spec.image,
    entrypoint: spec.entrypoint,
    appId: spec.appId,
    appName: spec.appName,
    releaseId: spec.releaseId,
    dyno: name,
    role: spec.kind,
    command: spec.command,
    config: spec.config,
    port,
    memoryBytes: dynoSize(spec.size).r15Mb * 1024 * 1024,
    pidsLimit: dynoSize(spec.size).pidsLimit,
    trust: deps.trust,
    ...(spec.extraEnv ? { extraEnv: spec.extraEnv } : {}),
  });
}

export function oneOffName(kind: 'run' | 'release'): string {
  return `${kind}.${randomInt(1000, 10000)}`;
}

export interface OneOffResult {
  readonly name: string;
  readonly exitCode: number;
  readonly timedOut: boolean;
}

/** Runs the process to its end and writes Heroku's lines around it. */
export async function runOneOff(deps: OneOffDeps, spec: OneOffSpec): Promise<OneOffResult> {
  const name = spec.name ?? oneOffName(spec.kind);
  const say = (line: string) => deps.logplex.write(spec.appId, 'heroku', name, line);
  const port = await deps.ports.take();
  const size = dynoSize(spec.size);
  say(DYNO_LINES.starting(displayCommand(spec.command, port, spec.entrypoint)));
  let container: DynoContainer;
  try {
    container = await DynoContainer.start(
      { runtime: deps.runtime, logplex: deps.logplex, appId: spec.appId, dyno: name },
      oneOffContainer(deps, spec, name, port),
      spec.sink,
    );
  } catch (error) {
    deps.ports.release(port);
    say(DYNO_LINES.launchFailed((error as Error).message));
    say(DYNO_LINES.stateChanged('starting', 'complete'));
    return { name, exitCode: 1, timedOut: false };
  }
  say(DYNO_LINES.stateChanged('starting', 'up'));
  spec.onUp?.(container.id);
  let timedOut = false;
  const timer =
    spec.timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          deps.runtime.signal(container.id, 'SIGKILL').catch(() => undefined);
        }, spec.timeoutSeconds * 1000);
  let state: ContainerState;
  try {
    state = await container.exited;
  } catch {
    // The engine could not tell how it ended, even after retrying: it failed, and it must not outlive its port.
    state = { running: false, exitCode: 137, oomKilled: false };
    await deps.runtime.signal(container.id, 'SIGKILL').catch(() => undefined);
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (state.oomKilled) {
    say(DYNO_LINES.memory(size.r15Mb * 1024 * 1024, size.memoryMb));
    say(DYNO_LINES.r15);
    say(DYNO_LINES.sigkill);
  }
  say(DYNO_LINES.exited(state.exitCode));
  say(DYNO_LINES.stateChanged('up', 'complete'));
  try {
    await container.remove();
  } finally {
    deps.ports.release(port);
  }
  return { name, exitCode: state.exitCode, timedOut };
}

/**
 * The rendezvous client's side of a process: its input as the process's stdin (without a TTY the CLI ends stdin with
 * EOT, 0x04, which closes it here), aborted when the connection drops; greeted with the line the CLI throws away.
 */
export async function greetClient(socket: TLSSocket, tty: boolean): Promise<{ stdin: PassThrough; dropped: AbortSignal }> {
  const stdin = new PassThrough();
  socket.on('data', (chunk: Buffer) => {
    if (tty) return void stdin.write(chunk);
    const eot = chunk.indexOf(0x04);
    if (eot === -1) return void stdin.write(chunk);
    stdin.write(chunk.subarray(0, eot));
    stdin.end();
  });
  socket.on('end', () => stdin.end());
  socket.on('error', () => stdin.end());
  const dropped = new AbortController();
  socket.on('close', () => dropped.abort());
  if (socket.destroyed) dropped.abort();
  // The rendezvous paused the socket while it read the secret.
  socket.resume();
  // The CLI throws away the first chunk it reads: it must be this line alone.
  socket.write('rendezvous\r\n');
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { stdin, dropped: dropped.signal };
}

export interface AttachedSpec extends OneOffSpec {
  readonly socket: TLSSocket;
  readonly tty: boolean;
  readonly columns?: number;
  readonly lines?: number;
}

/**
 * `heroku run`: the process's terminal is the rendezvous socket (greetClient). Only the dyno's start and end reach
 * the app's log, as on Heroku.
 */
export async function runAttached(deps: OneOffDeps, spec: AttachedSpec): Promise<OneOffResult> {
  const name = spec.name ?? oneOffName('run');
  const say = (line: string) => deps.logplex.write(spec.appId, 'heroku', name, line);
  const port = await deps.ports.take();
  // A dropped connection ends the dyno, as on Heroku: a process left running would have no terminal and no reader.
  const { stdin, dropped } = await greetClient(spec.socket, spec.tty);
  say(DYNO_LINES.starting(displayCommand(spec.command, port, spec.entrypoint)));
  let exitCode = 1;
  try {
    exitCode = await deps.runtime.runAttached(
      oneOffContainer(deps, { ...spec, kind: 'run' }, name, port),
      {
        stdin,
        output: spec.socket,
        tty: spec.tty,
        ...(spec.columns ? { columns: spec.columns } : {}),
        ...(spec.lines ? { lines: spec.lines } : {}),
        signal: dropped,
        onStart: () => {
          say(DYNO_LINES.stateChanged('starting', 'up'));
          spec.onUp?.();
        },
      },
    );
  } catch (error) {
    say(DYNO_LINES.r13);
    spec.socket.write(`${(error as Error).message}\r\n`);
  } finally {
    deps.ports.release(port);
  }
  say(DYNO_LINES.exited(exitCode));
  say(DYNO_LINES.stateChanged('up', 'complete'));
  spec.socket.end();
  return { name, exitCode, timedOut: false };
}
