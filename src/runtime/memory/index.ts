// MemoryRuntime: the Runtime port in memory, for unit tests of dyno, build and release logic (no Docker).
//
// Containers run scripts instead of programs. A test registers a script for an image (string), a command
// (RegExp, tested against the command line joined with spaces) or any spec (predicate); the latest registration
// that matches wins. The script gets a ScriptedProcess and drives everything the port reports:
//
//   const engine = new MemoryRuntime({ images: ['berth/heroku-24:run', 'berth/slug-1'] });
//   engine.script(/node server\.js/, async (proc) => {
//     proc.print('listening');              // a stdout line: follow(), run() and runAttached() deliver it
//     await proc.listen();                  // a real HTTP server on 127.0.0.1:$PORT, closed on exit
//     proc.memory(600 * 1024 * 1024);       // memoryBytes() reads it; past spec.memoryBytes: OOM kill (137, oomKilled)
//     proc.cpu(1.5);                        // CPU seconds used so far: usage() reads it with the memory
//     proc.trap('SIGTERM', () => proc.exit(0)); // without a trap, SIGTERM ends it with 143; trap(sig) alone ignores
//     await proc.forever();                 // until a signal, an OOM or the test ends it
//   });
//   const id = await engine.start(spec);
//   const web = await engine.started({ dyno: 'web.1' }); // the ScriptedProcess, for the test to drive
//   web.printError('boom'); await web.exit(1);            // → wait() resolves { running: false, exitCode: 1 }
//
// A script's return value is the exit code (none: 0); a throw prints the error on stderr and exits 1. Without a
// matching script, `sleep infinity` runs forever and anything else exits 0 at once. `stop(id, grace)` delivers
// SIGTERM and, if the process is still there after `grace` seconds, SIGKILL (137); the grace is a plain timer, so
// tests can drive it with fake timers. Nothing else in the engine waits on a timer.
//
// The test's other controls: `addImage(ref)` (containers start only from images the engine knows; `importRootfs`
// and `commit` make them too), `process(labelsOrId)` and `started(labels)` (a container's ScriptedProcess, now or at
// its start), and `failNext(method, error?)`, which makes the next call of a port method reject (default: a
// connection reset, as when the engine drops a connection) for hardening tests; `dropConnections()` fails the
// calls in flight (pending waits reject, follow streams end) and `down()`/`up()` stop and restart the engine.
//
// `exec` runs handlers registered with `onExec(match, handler)` (a string matches the whole command line, joined
// with spaces). Built in: `mkdir -p`, and `bash -c 'kill -TERM -1 ...'` (or `sh -c`), whose signal reaches the main process when
// it runs under an init (`spec.init`), as in Docker. Any other command prints a complaint on stderr and exits 127.
// A handler reads the exec's stdin from `exec.stdin`; with `tty`, its output arrives on stdout with CR LF line ends;
// an aborted `signal` ends the exec with 129 (the hang-up of a closed terminal).
// Named volumes in `binds` are shared between containers (build caches survive the build); host paths are not.
// With a TTY, `runAttached` echoes stdin and ends output lines with CR LF, as a terminal does.
//
// Nodes: every container runs on the node `127.0.0.1` (one engine on this machine), unless the test places it on
// another with `place(match, address)` (latest placement that matches wins; a match as for scripts), as a swarm would
// run it on another machine: `nodeAddress(id)` answers that address and `proc.listen()` binds there (any 127.x.y.z
// address is loopback on Linux, so a real server listens on it). `leave(address)` is a node leaving the swarm: its
// containers vanish (as `remove` does: whoever waits hears 137, and the engine no longer knows them).
//
//   engine.place((spec) => spec.labels.dyno === 'web.2', '127.0.0.2');
//   engine.leave('127.0.0.2');
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { BerthLabels } from '../labels.js';
import {
  ImageBuildError,
  type AttachedIo,
  type CommitOptions,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type ContainerUsage,
  type ContainerChange,
  type ExecSpec,
  type ImageBuildSpec,
  type ImageInfo,
  type ImportOptions,
  type ProcessSignal,
  type RunSpec,
  type Runtime,
} from '../port.js';
import { MemoryFiles } from './files.js';
import { buildStages } from './build.js';
import { applyChanges, matchesLabelFilters } from './images.js';
import { ScriptedProcess, type Script } from './process.js';

export { ScriptedProcess, type Script } from './process.js';
export { MemoryFiles } from './files.js';

/** Which containers (or execs) a script is for: an image ref, a command pattern, or any test of the spec. */
export type ScriptMatch = string | RegExp | ((spec: ContainerSpec) => boolean);

/** An exec as its handler sees it. */
export interface ScriptedExec {
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string | undefined;
  /** The container's main process (signal it, read its state). */
  readonly container: ScriptedProcess;
  readonly files: MemoryFiles;
  /** What the exec's stdin gets (`spec.stdin`); empty and ended without one. */
  readonly stdin: Readable;
  print(line: string): void;
  printError(line: string): void;
  write(data: string | Buffer, stream?: 'stdout' | 'stderr'): void;
}

export type ExecHandler = (exec: ScriptedExec) => Promise<number | void> | number | void;
export type ExecMatch = string | RegExp | ((cmd: readonly string[]) => boolean);

/** Port methods whose next call `failNext` can make fail. */
export type FaultyMethod = Exclude<keyof Runtime, 'ping'>;

/** The error a dropped engine connection gives (what dockerode rejects with when the socket resets). */
export function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** The error a call gets when nothing listens on the engine's socket. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
}

interface MemoryImage {
  readonly id: string;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly files: MemoryFiles;
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
}

/** What a test (or a build) says an image is made of. */
interface ImageParts {
  readonly labels?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly files?: MemoryFiles;
  readonly entrypoint?: readonly string[] | null;
  readonly cmd?: readonly string[] | null;
}

interface Chunk {
  readonly at: number;
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

type Sink = (stream: 'stdout' | 'stderr', data: Buffer) => void;

interface MemoryContainer {
  readonly id: string;
  readonly name: string;
  readonly spec: ContainerSpec;
  readonly image: MemoryImage;
  readonly files: MemoryFiles;
  /** The node it runs on (`place`): where its ports are reached. */
  readonly node: string;
  status: 'created' | 'running' | 'exited';
  state: ContainerState;
  proc: ScriptedProcess | undefined;
  readonly log: Chunk[];
  readonly sinks: Set<Sink>;
  readonly onEnd: Set<() => void>;
  readonly exited: Promise<ContainerState>;
  resolveExited(state: ContainerState): void;
}

const KILL_ALL = /^kill -(TERM|KILL|HUP|INT) -1\b/;

/** The node of one engine on this machine. */
const LOCAL_NODE = '127.0.0.1';

const GONE: ContainerState = { running: false, exitCode: 137, oomKilled: false };

function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

function matches(match: ScriptMatch, spec: ContainerSpec): boolean {
  if (typeof match === 'string') return spec.image === match;
  if (match instanceof RegExp) return match.test(spec.cmd.join(' '));
  return match(spec);
}

function labelsMatch(labels: BerthLabels, match: Partial<BerthLabels>): boolean {
  return (Object.keys(match) as (keyof BerthLabels)[]).every((key) => match[key] === undefined || labels[key] === match[key]);
}

export interface MemoryRuntimeOptions {
  /** Images that exist from the start (stack images, slugs a test pretends were built). */
  readonly images?: readonly string[];
}

export class MemoryRuntime implements Runtime {
  readonly #images = new Map<string, MemoryImage>();
  readonly #containers = new Map<string, MemoryContainer>();
  readonly #volumes = new Map<string, Readonly<Record<string, string>>>();
  readonly #volumeTrees = new Map<string, MemoryFiles>();
  readonly #scripts: Array<{ match: ScriptMatch; script: Script }> = [
    { match: () => true, script: () => 0 },
    { match: (spec) => spec.cmd.join(' ') === 'sleep infinity', script: (proc) => proc.forever() },
  ];
  readonly #execs: Array<{ match: ExecMatch; handler: ExecHandler }> = [
    {
      // `kill -TERM -1` (how a dyno's shutdown reaches every process): every process but PID 1 gets the signal, so
      // the main process does only when an init is PID 1.
      match: (cmd) => (cmd[0] === 'bash' || cmd[0] === 'sh') && cmd[1] === '-c' && KILL_ALL.test(cmd[2] ?? ''),
      handler: (exec) => {
        const signal = KILL_ALL.exec(exec.cmd[2] ?? '')?.[1];
        if (signal !== undefined && exec.container.spec.init === true) exec.container.deliver(`SIG${signal}` as ProcessSignal);
      },
    },
    {
      match: (cmd) => cmd[0] === 'mkdir' && cmd[1] === '-p',
      handler: (exec) => {
        for (const dir of exec.cmd.slice(2)) exec.files.mkdir(dir);
      },
    },
  ];
  readonly #placements: Array<{ match: ScriptMatch; address: string }> = [];
  readonly #faults = new Map<FaultyMethod, Error[]>();
  /** Calls in flight that a dropped connection ends: pending waits, live follow streams. */
  readonly #live = new Set<(error: Error) => void>();
  #down = false;
  readonly #startWaiters: Array<{ match: Partial<BerthLabels>; resolve: (proc: ScriptedProcess) => void }> = [];
  #names = 0;

  constructor(options: MemoryRuntimeOptions = {}) {
    for (const ref of options.images ?? []) this.addImage(ref);
  }

  // ---- The test's controls ----

  /** Runs `script` in every container started from now on that `match`es (latest registration wins). */
  script(match: ScriptMatch, script: Script): this {
    this.#scripts.push({ match, script });
    return this;
  }

  /** Handles `exec` of commands that `match` (a string is the whole command line, joined with spaces). */
  onExec(match: ExecMatch, handler: ExecHandler): this {
    this.#execs.push({ match, handler });
    return this;
  }

  /** Makes an image exist (a stack image, or a slug the test pretends was built). */
  addImage(ref: string, options: ImageParts = {}): ImageInfo {
    const image: MemoryImage = {
      id: `sha256:${randomBytes(32).toString('hex')}`,
      created: new Date().toISOString(),
      labels: { ...options.labels },
      env: { ...options.env },
      files: options.files ?? MemoryFiles.skeleton(),
      entrypoint: options.entrypoint ?? null,
      cmd: options.cmd ?? null,
    };
    this.#images.set(ref, image);
    return infoOf(ref, image);
  }

  /** Containers created from now on that `match` run on the node `address` (latest placement wins). */
  place(match: ScriptMatch, address: string): this {
    this.#placements.push({ match, address });
    return this;
  }

  /** The node `address` leaves: its containers vanish, as if removed (whoever waits hears 137). */
  leave(address: string): this {
    for (const container of [...this.#containers.values()]) if (container.node === address) this.#remove(container);
    return this;
  }

  /** The next call of `method` rejects with `error` (default: a connection reset). Calls queue up in order. */
  failNext(method: FaultyMethod, error: Error = connectionReset()): this {
    this.#faults.set(method, [...(this.#faults.get(method) ?? []), error]);
    return this;
  }

  /**
   * The engine drops every connection in flight, as when dockerd restarts: pending `wait`s reject with `error`
   * (default: a connection reset) and live `follow` streams end. Containers keep running.
   */
  dropConnections(error: Error = connectionReset()): this {
    const live = [...this.#live];
    this.#live.clear();
    for (const drop of live) drop(error);
    return this;
  }

  /** The engine stops answering: `ping` is false, every call is refused, connections in flight drop. */
  down(): this {
    this.#down = true;
    return this.dropConnections(connectionRefused());
  }

  /** The engine answers again (containers kept running meanwhile, as with live-restore). */
  up(): this {
    this.#down = false;
    return this;
  }

  /** The process of the newest container with these labels (or this id), running or not. */
  process(match: Partial<BerthLabels> | string): ScriptedProcess | undefined {
    const found = [...this.#containers.values()].filter((c) => (typeof match === 'string' ? c.id === match : labelsMatch(c.spec.labels, match)));
    return found.reverse().find((c) => c.proc !== undefined)?.proc;
  }

  /** The running process with these labels, or the next one to start. */
  started(match: Partial<BerthLabels> = {}): Promise<ScriptedProcess> {
    const running = [...this.#containers.values()].reverse().find((c) => c.status === 'running' && labelsMatch(c.spec.labels, match));
    if (running?.proc) return Promise.resolve(running.proc);
    return new Promise((resolve) => this.#startWaiters.push({ match, resolve }));
  }

  // ---- The port ----

  async ping(): Promise<boolean> {
    return !this.#down;
  }

  async imageInfo(ref: string): Promise<ImageInfo | undefined> {
    this.#fault('imageInfo');
    const found = this.#image(ref);
    return found === undefined ? undefined : infoOf(ref, found.image);
  }

  async imageExists(ref: string): Promise<boolean> {
    this.#fault('imageExists');
    return this.#image(ref) !== undefined;
  }

  async importRootfs(tar: Readable, ref: string, options: ImportOptions = {}): Promise<ImageInfo> {
    this.#fault('importRootfs');
    const files = new MemoryFiles();
    await files.unpack('/', tar);
    const { labels, env } = applyChanges({}, {}, options.changes ?? []);
    return this.addImage(ref, { labels, env, files });
  }

  async removeImage(ref: string): Promise<void> {
    this.#fault('removeImage');
    const found = this.#image(ref);
    if (found === undefined) return;
    // By name with other names left, only that name goes (as `docker rmi -f <tag>` untags); by id, every name.
    const names = [...this.#images].filter(([, image]) => image === found.image).map(([name]) => name);
    if (this.#images.has(ref) && names.length > 1) return void this.#images.delete(ref);
    for (const name of names) this.#images.delete(name);
  }

  async listImages(labels: readonly string[]): Promise<ImageInfo[]> {
    this.#fault('listImages');
    const seen = new Set<MemoryImage>();
    const out: ImageInfo[] = [];
    for (const [ref, image] of this.#images) {
      if (seen.has(image) || !matchesLabelFilters(image.labels, labels)) continue;
      seen.add(image);
      out.push(infoOf(ref, image));
    }
    return out;
  }

  async buildImage(spec: ImageBuildSpec): Promise<ImageInfo> {
    this.#fault('buildImage');
    spec.signal?.throwIfAborted();
    const context = new MemoryFiles();
    await context.unpack('/', spec.context);
    const dockerfile = context.read(`/${spec.dockerfile.replace(/^\.?\//, '')}`);
    if (dockerfile === undefined) throw new ImageBuildError(`Cannot locate specified Dockerfile: ${spec.dockerfile}`);
    const say = (text: string) => spec.output?.write(text);
    const built = buildStages(dockerfile.toString('utf8'), {
      target: spec.target,
      buildArgs: spec.buildArgs ?? {},
      base: (ref) => this.#image(ref)?.image,
      say,
    });
    const from = built.from === undefined ? undefined : this.#image(built.from)?.image;
    const info = this.addImage(spec.ref, {
      labels: { ...built.labels, ...spec.labels },
      env: built.env,
      files: from === undefined ? new MemoryFiles() : MemoryFiles.copyOf(from.files),
      entrypoint: built.entrypoint,
      cmd: built.cmd,
    });
    say(`Successfully built ${info.id.slice('sha256:'.length, 'sha256:'.length + 12)}\n`);
    say(`Successfully tagged ${spec.ref.includes(':') ? spec.ref : `${spec.ref}:latest`}\n`);
    return info;
  }

  async tagImage(ref: string, newRef: string): Promise<void> {
    this.#fault('tagImage');
    const found = this.#image(ref);
    if (found === undefined) throw engineError(404, `No such image: ${ref}`);
    this.#images.set(newRef, found.image);
  }

  async commit(id: string, ref: string, options: CommitOptions = {}): Promise<ImageInfo> {
    this.#fault('commit');
    const container = this.#container(id);
    const { labels, env } = applyChanges(container.image.labels, container.image.env, options.changes ?? []);
    return this.addImage(ref, { labels, env, files: MemoryFiles.copyOf(container.files) });
  }

  async run(spec: RunSpec): Promise<number> {
    this.#fault('run');
    const container = this.#create(spec);
    const out = spec.stdout;
    const err = spec.stderr ?? spec.stdout;
    container.sinks.add((stream, data) => (stream === 'stdout' ? out : err)?.write(data));
    const onAbort = (): void => container.proc?.deliver('SIGKILL');
    try {
      if (spec.signal?.aborted) throw new Error('run aborted before start');
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      this.#start(container);
      return (await container.exited).exitCode;
    } finally {
      spec.signal?.removeEventListener('abort', onAbort);
      this.#remove(container);
    }
  }

  async runAttached(spec: ContainerSpec, io: AttachedIo): Promise<number> {
    this.#fault('runAttached');
    const container = this.#create(spec);
    // A terminal turns each line feed into CR LF on the way out.
    container.sinks.add((_stream, data) => io.output.write(io.tty ? Buffer.from(data.toString('utf8').replace(/\r?\n/g, '\r\n')) : data));
    const stdin = new PassThrough();
    io.stdin.on('data', (chunk: Buffer) => {
      // A terminal echoes what is typed.
      if (io.tty) io.output.write(Buffer.from(chunk.toString('utf8').replace(/\r?\n/g, '\r\n')));
      stdin.write(chunk);
    });
    io.stdin.on('end', () => stdin.end());
    try {
      this.#start(container, stdin);
      // The peer went away: the process ends, as the Docker adapter kills it.
      const onAbort = (): void => void this.signal(container.id, 'SIGKILL').catch(() => undefined);
      if (io.signal?.aborted) onAbort();
      else io.signal?.addEventListener('abort', onAbort, { once: true });
      io.onStart?.();
      return (await container.exited).exitCode;
    } finally {
      this.#remove(container);
    }
  }

  async create(spec: ContainerSpec): Promise<string> {
    this.#fault('create');
    return this.#create(spec).id;
  }

  async start(spec: ContainerSpec): Promise<string> {
    this.#fault('start');
    const container = this.#create(spec);
    this.#start(container);
    return container.id;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    this.#fault('stop');
    const container = this.#containers.get(id);
    if (container?.status !== 'running' || container.proc === undefined) return;
    const proc = container.proc;
    proc.deliver('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => {
      timer = setTimeout(() => resolve('grace over'), graceSeconds * 1000);
    });
    const first = await Promise.race([container.exited, graceOver]);
    clearTimeout(timer);
    if (first === 'grace over') proc.deliver('SIGKILL');
    await container.exited;
  }

  async remove(id: string): Promise<void> {
    this.#fault('remove');
    const container = this.#containers.get(id);
    if (container !== undefined) this.#remove(container);
  }

  async state(id: string): Promise<ContainerState> {
    this.#fault('state');
    return this.#containers.get(id)?.state ?? GONE;
  }

  async wait(id: string): Promise<ContainerState> {
    this.#fault('wait');
    const container = this.#containers.get(id);
    if (container === undefined) return GONE;
    if (container.status === 'running') {
      // A long call, like Docker's: it fails when the engine drops its connections.
      await new Promise<void>((resolve, reject) => {
        this.#live.add(reject);
        void container.exited.then(() => {
          this.#live.delete(reject);
          resolve();
        });
      });
    }
    return this.#containers.get(id)?.state ?? GONE;
  }

  async signal(id: string, signal: ProcessSignal): Promise<void> {
    this.#fault('signal');
    this.#containers.get(id)?.proc?.deliver(signal);
  }

  async follow(id: string, sinceSeconds = 0): Promise<Readable> {
    this.#fault('follow');
    const container = this.#container(id);
    const out = new PassThrough();
    for (const chunk of container.log) if (chunk.at >= sinceSeconds * 1000) out.write(chunk.data);
    if (container.status === 'exited') {
      out.end();
      return out;
    }
    const sink: Sink = (_stream, data) => out.write(data);
    // The stream ends with the container, or early when the engine drops its connections (as the Docker adapter's
    // does: it ends, without an error).
    const end = (): void => {
      container.sinks.delete(sink);
      container.onEnd.delete(end);
      this.#live.delete(end);
      out.end();
    };
    container.sinks.add(sink);
    container.onEnd.add(end);
    this.#live.add(end);
    return out;
  }

  async exec(id: string, spec: ExecSpec): Promise<number> {
    this.#fault('exec');
    const container = this.#container(id);
    const proc = container.proc;
    if (container.status !== 'running' || proc === undefined) throw engineError(409, `Container ${id} is not running`);
    const out: Writable | undefined = spec.stdout;
    const err: Writable | undefined = spec.stderr ?? spec.stdout;
    let over = false;
    const write = (data: string | Buffer, stream: 'stdout' | 'stderr' = 'stdout'): void => {
      if (over) return;
      // A terminal carries stdout and stderr together, each line feed as CR LF.
      if (spec.tty === true) out?.write(Buffer.from(Buffer.from(data).toString('utf8').replace(/\r?\n/g, '\r\n')));
      else (stream === 'stdout' ? out : err)?.write(Buffer.from(data));
    };
    const stdin = spec.stdin ?? new PassThrough().end();
    const exec: ScriptedExec = {
      cmd: spec.cmd,
      env: { ...proc.env, ...spec.env },
      workingDir: spec.workingDir ?? container.spec.workingDir,
      container: proc,
      files: container.files,
      stdin,
      write,
      print: (line) => write(`${line}\n`),
      printError: (line) => write(`${line}\n`, 'stderr'),
    };
    const handler = [...this.#execs].reverse().find(({ match }) =>
      typeof match === 'string' ? spec.cmd.join(' ') === match : match instanceof RegExp ? match.test(spec.cmd.join(' ')) : match(spec.cmd),
    )?.handler;
    if (handler === undefined) {
      exec.printError(`memory engine: no exec handler matches \`${spec.cmd.join(' ')}\` (register one with onExec)`);
      return 127;
    }
    const ran = (async (): Promise<number> => {
      try {
        const code = await handler(exec);
        return typeof code === 'number' ? code : 0;
      } catch (error) {
        exec.printError(error instanceof Error ? error.message : String(error));
        return 1;
      }
    })();
    // The command dies with its container (removed, or its main process gone), as in Docker: exit 137; a peer that
    // hangs up ends it as a closed terminal does (SIGHUP: 129).
    let hangUp: (() => void) | undefined;
    const hungUp = new Promise<number>((resolve) => {
      hangUp = () => resolve(129);
      if (spec.signal?.aborted) resolve(129);
      spec.signal?.addEventListener('abort', hangUp, { once: true });
    });
    const code = await Promise.race([ran, container.exited.then(() => 137), hungUp]);
    // The peer's signal may outlive this exec (a rendezvous socket's): its listener goes with it.
    if (hangUp !== undefined) spec.signal?.removeEventListener('abort', hangUp);
    over = true;
    return code;
  }

  async putArchive(id: string, path: string, tar: Readable): Promise<void> {
    this.#fault('putArchive');
    const container = this.#container(id);
    if (container.files.entry(path)?.kind !== 'directory') throw engineError(404, `Could not find the file ${path} in container ${id}`);
    await container.files.unpack(path, tar);
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    this.#fault('getArchive');
    const tar = this.#container(id).files.pack(path);
    if (tar === undefined) throw engineError(404, `Could not find the file ${path} in container ${id}`);
    return tar;
  }

  async changes(id: string): Promise<ContainerChange[]> {
    this.#fault('changes');
    const container = this.#containers.get(id);
    return container === undefined ? [] : container.files.diff(container.image.files);
  }

  async memoryBytes(id: string): Promise<number | undefined> {
    this.#fault('memoryBytes');
    const container = this.#containers.get(id);
    return container?.status === 'running' ? container.proc?.memoryBytes : undefined;
  }

  async usage(id: string): Promise<ContainerUsage | undefined> {
    this.#fault('usage');
    const proc = this.#containers.get(id)?.proc;
    if (this.#containers.get(id)?.status !== 'running' || proc === undefined) return undefined;
    // A script's memory is all resident; it has no cache, swap or paging, and uses the CPU time it says it did.
    return { memoryBytes: proc.memoryBytes, rssBytes: proc.memoryBytes, cacheBytes: 0, swapBytes: 0, pagesIn: 0, pagesOut: 0, cpuSeconds: proc.cpuSeconds };
  }

  async nodeAddress(id: string): Promise<string | undefined> {
    this.#fault('nodeAddress');
    return this.#containers.get(id)?.node;
  }

  async listByLabel(match: Partial<BerthLabels>): Promise<ContainerSummary[]> {
    this.#fault('listByLabel');
    return [...this.#containers.values()]
      .filter((c) => labelsMatch(c.spec.labels, match))
      .map((c) => ({ id: c.id, name: c.name, image: c.spec.image, state: c.status, labels: c.spec.labels }));
  }

  async ensureVolume(name: string, labels: Readonly<Record<string, string>> = {}): Promise<void> {
    this.#fault('ensureVolume');
    if (!this.#volumes.has(name)) this.#volumes.set(name, { ...labels });
  }

  async removeVolume(name: string): Promise<void> {
    this.#fault('removeVolume');
    this.#volumes.delete(name);
    this.#volumeTrees.delete(name);
  }

  async listVolumes(labels: readonly string[]): Promise<string[]> {
    this.#fault('listVolumes');
    return [...this.#volumes].filter(([, volumeLabels]) => matchesLabelFilters(volumeLabels, labels)).map(([name]) => name);
  }

  // ---- Inside ----

  #fault(method: FaultyMethod): void {
    if (this.#down) throw connectionRefused();
    const error = this.#faults.get(method)?.shift();
    if (error !== undefined) throw error;
  }

  #image(ref: string): { ref: string; image: MemoryImage } | undefined {
    const byRef = this.#images.get(ref) ?? this.#images.get(ref.includes(':') ? ref : `${ref}:latest`);
    if (byRef !== undefined) return { ref, image: byRef };
    for (const [name, image] of this.#images) if (image.id === ref || image.id === `sha256:${ref}`) return { ref: name, image };
    return undefined;
  }

  #volumeFiles(name: string): MemoryFiles {
    let files = this.#volumeTrees.get(name);
    if (files === undefined) {
      files = new MemoryFiles();
      this.#volumeTrees.set(name, files);
    }
    return files;
  }

  #container(id: string): MemoryContainer {
    const container = this.#containers.get(id);
    if (container === undefined) throw engineError(404, `No such container: ${id}`);
    return container;
  }

  #create(spec: ContainerSpec): MemoryContainer {
    const image = this.#image(spec.image)?.image;
    if (image === undefined) throw engineError(404, `No such image: ${spec.image}`);
    const name = spec.name ?? `memory-${++this.#names}`;
    if ([...this.#containers.values()].some((c) => c.name === name)) throw engineError(409, `Conflict. The container name "/${name}" is already in use`);
    let resolveExited!: (state: ContainerState) => void;
    const exited = new Promise<ContainerState>((resolve) => (resolveExited = resolve));
    const container: MemoryContainer = {
      id: randomBytes(32).toString('hex'),
      name,
      spec,
      image,
      files: MemoryFiles.copyOf(image.files),
      node: [...this.#placements].reverse().find(({ match }) => matches(match, spec))?.address ?? LOCAL_NODE,
      status: 'created',
      state: { running: false, exitCode: 0, oomKilled: false },
      proc: undefined,
      log: [],
      sinks: new Set(),
      onEnd: new Set(),
      exited,
      resolveExited,
    };
    // Named volumes (`name:/target`) are shared trees, created on first use as Docker does; a commit leaves them out.
    for (const bind of spec.binds ?? []) {
      const [source = '', target] = bind.split(':');
      if (target === undefined || source.includes('/')) continue;
      if (!this.#volumes.has(source)) this.#volumes.set(source, {});
      container.files.mount(target, this.#volumeFiles(source));
    }
    this.#containers.set(container.id, container);
    return container;
  }

  #start(container: MemoryContainer, stdin?: Readable): void {
    const proc = new ScriptedProcess({
      id: container.id,
      spec: container.spec,
      env: { ...container.image.env, ...container.spec.env },
      files: container.files,
      node: container.node,
      ...(stdin ? { stdin } : {}),
      host: {
        output: (stream, data) => {
          container.log.push({ at: Date.now(), stream, data });
          for (const sink of container.sinks) sink(stream, data);
        },
        ended: (state) => {
          container.status = 'exited';
          container.state = state;
          for (const end of container.onEnd) end();
          container.onEnd.clear();
          container.resolveExited(state);
        },
      },
    });
    container.proc = proc;
    container.status = 'running';
    container.state = { running: true, exitCode: 0, oomKilled: false };
    const script = [...this.#scripts].reverse().find(({ match }) => matches(match, container.spec))?.script;
    for (const waiter of [...this.#startWaiters]) {
      if (!labelsMatch(container.spec.labels, waiter.match)) continue;
      this.#startWaiters.splice(this.#startWaiters.indexOf(waiter), 1);
      waiter.resolve(proc);
    }
    if (script) proc.run(script);
  }

  #remove(container: MemoryContainer): void {
    container.proc?.deliver('SIGKILL');
    if (container.status !== 'exited') {
      // Never started: nothing runs, but whoever waits hears that it is gone.
      container.status = 'exited';
      container.state = GONE;
      container.resolveExited(GONE);
    }
    this.#containers.delete(container.id);
  }
}

function infoOf(ref: string, image: MemoryImage): ImageInfo {
  return {
    id: image.id,
    ref,
    sizeBytes: image.files.sizeBytes,
    created: image.created,
    labels: image.labels,
    entrypoint: image.entrypoint,
    cmd: image.cmd,
  };
}
