// The process inside a memory container, as its script sees it: it prints lines, binds a real loopback port,
// reports memory, reacts to signals and exits. The engine turns what it does into the port's answers (output
// through follow/run/runAttached, state, wait, memory readings, oomKilled).
import { createServer, type RequestListener, type Server } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { ContainerSpec, ContainerState, ProcessSignal } from '../port.js';
import type { MemoryFiles } from './files.js';

/** What a container runs: resolve with (or return) the exit code; no return means 0, a throw means 1. */
export type Script = (proc: ScriptedProcess) => Promise<number | void> | number | void;

/** The engine's side of a process: where its output and its end go. */
export interface ProcessHost {
  output(stream: 'stdout' | 'stderr', data: Buffer): void;
  ended(state: ContainerState): void;
}

const SIGNAL_NUMBERS: Record<ProcessSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class ScriptedProcess {
  /** The container's id. */
  readonly id: string;
  readonly spec: ContainerSpec;
  /** The process environment: the image's, then the container spec's. */
  readonly env: Readonly<Record<string, string>>;
  /** The container's filesystem (what putArchive unpacked, what commit saves). */
  readonly files: MemoryFiles;
  /** The address of the node it runs on: where `listen` binds. */
  readonly node: string;
  /** stdin: what `runAttached` feeds; empty and ended for other containers. */
  readonly stdin: Readable;
  /** Every signal delivered so far, in order. */
  readonly signals: ProcessSignal[] = [];
  /** Resolves when the process has ended. */
  readonly exited: Promise<ContainerState>;

  #running = true;
  #memory = 0;
  #cpu = 0;
  #servers: Server[] = [];
  #traps = new Map<ProcessSignal, (() => unknown) | undefined>();
  #signalWaiters: Array<(signal: ProcessSignal) => void> = [];
  #lines: AsyncIterator<string> | undefined;
  #resolveExited!: (state: ContainerState) => void;
  readonly #host: ProcessHost;

  constructor(init: {
    id: string;
    spec: ContainerSpec;
    env: Readonly<Record<string, string>>;
    files: MemoryFiles;
    node: string;
    stdin?: Readable;
    host: ProcessHost;
  }) {
    this.id = init.id;
    this.node = init.node;
    this.spec = init.spec;
    this.env = init.env;
    this.files = init.files;
    this.#host = init.host;
    if (init.stdin) this.stdin = init.stdin;
    else {
      const empty = new PassThrough();
      empty.end();
      this.stdin = empty;
    }
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  get running(): boolean {
    return this.#running;
  }

  /** `$PORT` from the environment, when the container has one. */
  get port(): number | undefined {
    const port = this.env['PORT'];
    return port === undefined ? undefined : Number(port);
  }

  /** The current memory reading in bytes. */
  get memoryBytes(): number {
    return this.#memory;
  }

  /** CPU seconds used so far (what `cpu` set). */
  get cpuSeconds(): number {
    return this.#cpu;
  }

  /** Sets the CPU time the process has used, in seconds (`usage()` reads it). */
  cpu(seconds: number): void {
    this.#cpu = seconds;
  }

  /** Writes raw bytes to stdout or stderr. Ignored once the process has ended. */
  write(data: string | Buffer, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (this.#running) this.#host.output(stream, Buffer.from(data));
  }

  /** Writes one line to stdout. */
  print(line: string): void {
    this.write(`${line}\n`, 'stdout');
  }

  /** Writes one line to stderr. */
  printError(line: string): void {
    this.write(`${line}\n`, 'stderr');
  }

  /**
   * Binds a real HTTP server on its node's address (127.0.0.1 unless placed elsewhere) at `port` (default `$PORT`),
   * closed when the process ends, so probes and the router reach the dyno as they reach a Docker one. The default handler answers 200 with the dyno's name.
   */
  async listen(handler?: RequestListener, port: number | undefined = this.port): Promise<number> {
    if (port === undefined) throw new Error('listen: the container has no $PORT');
    const dyno = this.spec.labels.dyno ?? this.id;
    const server = createServer(handler ?? ((_req, res) => res.end(`${dyno}\n`)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.node, () => resolve());
    });
    if (this.#running) this.#servers.push(server);
    else closeServer(server);
    return port;
  }

  /** Reports memory in use. Past the container's limit (`memoryBytes` of its spec), the kernel OOM-kills it. */
  memory(bytes: number): void {
    if (!this.#running) return;
    this.#memory = bytes;
    const limit = this.spec.memoryBytes;
    if (limit !== undefined && bytes > limit) this.oom();
  }

  /** The kernel's OOM killer: SIGKILL, exit 137, `oomKilled` in the container's state. */
  oom(): void {
    this.#end({ running: false, exitCode: 137, oomKilled: true });
  }

  /** Ends the process with `code`. Later output and exits are ignored. */
  async exit(code = 0): Promise<void> {
    this.#end({ running: false, exitCode: code, oomKilled: false });
  }

  /**
   * Handles `signal` like bash's `trap`: with a handler, the handler runs instead of the default action (it may
   * `exit`); without one, the signal is ignored. SIGKILL cannot be trapped.
   */
  trap(signal: Exclude<ProcessSignal, 'SIGKILL'>, handler?: () => unknown): void {
    this.#traps.set(signal, handler);
  }

  /** Resolves with the next signal delivered (it still takes its effect). Never settles if the process ends first. */
  nextSignal(): Promise<ProcessSignal> {
    return new Promise((resolve) => this.#signalWaiters.push(resolve));
  }

  /** Never settles: a server's main loop. The process ends by a signal, an OOM kill or the test's `exit`. */
  forever(): Promise<never> {
    return new Promise<never>(() => undefined);
  }

  /** The next line of stdin, or undefined at its end. */
  async readLine(): Promise<string | undefined> {
    this.#lines ??= createInterface({ input: this.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const next = await this.#lines.next();
    return next.done === true ? undefined : next.value;
  }

  /** The engine delivers a signal: a trap runs, or the default action ends the process (128 + signal number). */
  deliver(signal: ProcessSignal): void {
    if (!this.#running) return;
    this.signals.push(signal);
    for (const waiter of this.#signalWaiters.splice(0)) waiter(signal);
    if (signal !== 'SIGKILL' && this.#traps.has(signal)) {
      const handler = this.#traps.get(signal);
      if (handler) void this.#guard(async () => handler());
      return;
    }
    this.#end({ running: false, exitCode: 128 + SIGNAL_NUMBERS[signal], oomKilled: false });
  }

  /** Runs the script; its return value is the exit code, a throw prints the error and exits 1. */
  run(script: Script): void {
    void this.#guard(async () => {
      const code = await script(this);
      await this.exit(typeof code === 'number' ? code : 0);
    });
  }

  async #guard(body: () => Promise<unknown>): Promise<void> {
    try {
      await body();
    } catch (error) {
      this.printError(error instanceof Error ? (error.stack ?? error.message) : String(error));
      await this.exit(1);
    }
  }

  #end(state: ContainerState): void {
    if (!this.#running) return;
    this.#running = false;
    // The port closes with the process, before anyone waiting on the container hears of the exit.
    for (const server of this.#servers.splice(0)) closeServer(server);
    this.#host.ended(state);
    this.#resolveExited(state);
  }
}

function closeServer(server: Server): void {
  server.close();
  server.closeAllConnections();
}
