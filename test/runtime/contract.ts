// One contract for every implementation of the Runtime port, so the in-memory engine cannot drift from Docker:
// test/runtime/memory-contract.test.ts runs it on MemoryRuntime (unit tier), docker-contract.int.test.ts on the real
// engine (integration tier). Each program the contract runs is written twice, side by side: as the bash Docker runs
// and as the script the memory engine runs (registered by `scriptPrograms`).
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pack, extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec, MemoryRuntime, Runtime, Script, ScriptedExec } from '../../src/runtime/index.js';

interface Program {
  readonly bash: string;
  readonly memory: Script;
}

const MB = 1024 * 1024;

/** Programs by purpose; `bash` is what runs in Docker, `memory` the same behaviour for the memory engine. */
const PROGRAMS = {
  outputs: {
    bash: 'echo "hello $GREETING"; echo oops >&2; exit 3',
    memory: (proc) => {
      proc.print(`hello ${proc.env['GREETING'] ?? ''}`);
      proc.printError('oops');
      return 3;
    },
  },
  exits5: {
    bash: 'echo one; echo two >&2; echo three; exit 5',
    memory: (proc) => {
      proc.print('one');
      proc.printError('two');
      proc.print('three');
      return 5;
    },
  },
  sleeps: {
    bash: 'exec sleep 300',
    memory: (proc) => {
      proc.memory(2 * MB);
      return proc.forever();
    },
  },
  honoursTerm: {
    // `wait` returns at once on a trapped signal; a background sleep killed by `kill -1` is not reported.
    bash: "trap 'echo bye; exit 0' TERM; echo ready; sleep infinity & wait",
    memory: async (proc) => {
      proc.trap('SIGTERM', async () => {
        proc.print('bye');
        await proc.exit(0);
      });
      proc.print('ready');
      await proc.forever();
    },
  },
  ignoresTerm: {
    bash: "trap 'echo ignored' TERM; echo ready; while true; do sleep 0.1; done",
    memory: async (proc) => {
      proc.trap('SIGTERM', () => proc.print('ignored'));
      proc.print('ready');
      await proc.forever();
    },
  },
  eatsMemory: {
    // tail buffers /dev/zero looking for a line end, until the kernel's OOM killer ends it.
    bash: 'exec tail /dev/zero',
    memory: (proc) => {
      proc.memory(300 * MB);
      return proc.forever();
    },
  },
  echoesStdin: {
    bash: 'read line; echo "got $line"',
    memory: async (proc) => {
      proc.print(`got ${(await proc.readLine()) ?? ''}`);
    },
  },
  catsGreeting: {
    bash: 'cat /tmp/greeting/hello.txt',
    memory: (proc) => {
      const data = proc.files.read('/tmp/greeting/hello.txt');
      if (data === undefined) {
        proc.printError('cat: /tmp/greeting/hello.txt: No such file or directory');
        return 1;
      }
      proc.write(data);
    },
  },
  catsCache: {
    bash: 'cat /cache/kept.txt',
    memory: (proc) => {
      const data = proc.files.read('/cache/kept.txt');
      if (data === undefined) return 1;
      proc.write(data);
    },
  },
} satisfies Record<string, Program>;

/** Commands the contract execs, and what the memory engine answers to them. */
const EXECS: Record<string, (exec: ScriptedExec) => number | Promise<number>> = {
  // Never ends by itself.
  'sleep 300': () => new Promise<number>(() => undefined),
  'echo out; echo err >&2; exit 3': (exec) => {
    exec.print('out');
    exec.printError('err');
    return 3;
  },
  'read line; echo "got $line"; exit 4': async (exec) => {
    let input = '';
    for await (const chunk of exec.stdin) input += String(chunk);
    exec.print(`got ${input.split('\n')[0] ?? ''}`);
    return 4;
  },
  'echo one; echo two >&2': (exec) => {
    exec.print('one');
    exec.printError('two');
    return 0;
  },
  'echo kept > /cache/kept.txt': (exec) => {
    exec.files.write('/cache/kept.txt', 'kept\n');
    return 0;
  },
};

/** Teaches a memory engine the contract's programs and execs. */
export function scriptPrograms(engine: MemoryRuntime): void {
  for (const program of Object.values(PROGRAMS) as Program[]) engine.script((spec) => spec.cmd[2] === program.bash, program.memory);
  for (const [command, handler] of Object.entries(EXECS)) engine.onExec((cmd) => cmd[0] === 'bash' && cmd[2] === command, handler);
}

export interface ContractSubject {
  readonly runtime: Runtime;
  /** An image with bash and coreutils (Docker: the stack run image). */
  readonly image: string;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function untar(stream: Readable): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const reader = extract();
  reader.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => void chunks.push(c as Buffer));
    body.on('end', () => {
      files[header.name] = header.type === 'directory' ? '<dir>' : Buffer.concat(chunks).toString('utf8');
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    reader.on('finish', () => resolve());
    reader.on('error', reject);
  });
  stream.pipe(reader as unknown as NodeJS.WritableStream);
  await done;
  return files;
}

function tarOf(files: Record<string, string>): Readable {
  const out = pack();
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) out.entry({ name, type: 'directory', mode: 0o755 });
    else out.entry({ name, mode: 0o644 }, content);
  }
  out.finalize();
  const node = new PassThrough();
  (out as unknown as Readable).pipe(node);
  return node;
}

export function runtimeContract(name: string, makeSubject: () => Promise<ContractSubject>): void {
  describe(`Runtime contract: ${name}`, () => {
    // Everything this run creates carries this app label or this name, and is removed at the end.
    const unique = `contract-${process.pid}-${randomBytes(3).toString('hex')}`;
    const images: string[] = [];
    const volumes: string[] = [];
    let runtime: Runtime;
    let image: string;

    beforeAll(async () => {
      ({ runtime, image } = await makeSubject());
    });

    afterAll(async () => {
      if (runtime === undefined) return;
      for (const c of await runtime.listByLabel({ app: unique })) await runtime.remove(c.id);
      for (const ref of images) await runtime.removeImage(ref);
      for (const volume of volumes) await runtime.removeVolume(volume);
    });

    function spec(program: keyof typeof PROGRAMS, dyno = 'web.1', extra: Partial<ContainerSpec> = {}): ContainerSpec {
      return { image, cmd: ['bash', '-c', PROGRAMS[program].bash], labels: { app: unique, role: 'dyno', dyno }, init: true, ...extra };
    }

    it('answers ping', async () => {
      expect(await runtime.ping()).toBe(true);
    });

    it('runs to completion: stdout and stderr apart, the exit code, the container gone', async () => {
      const out = collect();
      const err = collect();
      const code = await runtime.run({ ...spec('outputs', 'run.1'), env: { GREETING: 'berth' }, stdout: out.stream, stderr: err.stream });
      expect(code).toBe(3);
      expect(out.text()).toBe('hello berth\n');
      expect(err.text()).toBe('oops\n');
      expect(await runtime.listByLabel({ app: unique, dyno: 'run.1' })).toEqual([]);
    });

    it('sends stderr to stdout when run is given only stdout', async () => {
      const out = collect();
      expect(await runtime.run({ ...spec('outputs', 'run.2'), env: { GREETING: 'x' }, stdout: out.stream })).toBe(3);
      expect(out.text().split('\n').sort()).toEqual(['', 'hello x', 'oops']);
    });

    it('an aborted run kills and removes its container', async () => {
      const controller = new AbortController();
      const running = runtime.run({ ...spec('honoursTerm', 'run.3'), stdout: collect().stream, signal: controller.signal });
      // Abort once the process is up (it says so), never on a timer.
      await waitFor(async () => (await runtime.listByLabel({ app: unique, dyno: 'run.3' }))[0]?.state === 'running');
      controller.abort();
      expect(await running).toBe(137);
      expect(await runtime.listByLabel({ app: unique, dyno: 'run.3' })).toEqual([]);
    });

    it('starts a labelled container: running in state and in the list, then its exit through wait and follow', async () => {
      const id = await runtime.start({ ...spec('exits5', 'web.2'), labels: { app: unique, role: 'dyno', dyno: 'web.2', release: 'v7' } });
      const output = await runtime.follow(id);
      expect(await runtime.wait(id)).toEqual({ running: false, exitCode: 5, oomKilled: false });
      expect(await runtime.state(id)).toEqual({ running: false, exitCode: 5, oomKilled: false });
      expect((await readAll(output)).split('\n').sort()).toEqual(['', 'one', 'three', 'two']);
      const listed = await runtime.listByLabel({ app: unique, dyno: 'web.2' });
      expect(listed.map((c) => [c.id, c.state, c.labels])).toEqual([[id, 'exited', { app: unique, role: 'dyno', dyno: 'web.2', release: 'v7' }]]);
      // An exited container's log is still there, and the stream ends at once.
      expect(await readAll(await runtime.follow(id))).toContain('three\n');
      await runtime.remove(id);
    });

    it('lists by label: only matching containers, only Berth ones', async () => {
      const web = await runtime.start(spec('sleeps', 'web.3'));
      const worker = await runtime.start({ ...spec('sleeps', 'worker.1'), labels: { app: unique, role: 'run', dyno: 'worker.1' } });
      expect((await runtime.state(web)).running).toBe(true);
      expect((await runtime.listByLabel({ app: unique, role: 'dyno', dyno: 'web.3' })).map((c) => c.id)).toEqual([web]);
      expect((await runtime.listByLabel({ app: unique, role: 'run' })).map((c) => c.id)).toEqual([worker]);
      expect((await runtime.listByLabel({ app: unique, role: 'build' })).length).toBe(0);
      const all = (await runtime.listByLabel({})).map((c) => c.id);
      expect(all).toEqual(expect.arrayContaining([web, worker]));
      await runtime.remove(web);
      await runtime.remove(worker);
    });

    it('reads memory of a running container, and nothing of a gone one', async () => {
      const id = await runtime.start(spec('sleeps', 'web.4'));
      expect(await runtime.memoryBytes(id)).toBeGreaterThan(0);
      await runtime.remove(id);
      expect(await runtime.memoryBytes(id)).toBeUndefined();
    });

    it("names the node where a container's ports are reached (this machine's loopback), and none for a gone one", async () => {
      const id = await runtime.start(spec('sleeps', 'web.19'));
      expect(await runtime.nodeAddress(id)).toMatch(/^127\.\d+\.\d+\.\d+$/);
      await runtime.remove(id);
      expect(await runtime.nodeAddress(id)).toBeUndefined();
    });

    it('reads the usage of a running container (memory as memoryBytes counts it, resident part), nothing of a gone one', async () => {
      const id = await runtime.start(spec('sleeps', 'web.18'));
      const usage = await runtime.usage(id);
      expect(usage?.memoryBytes).toBeGreaterThan(0);
      expect(usage?.rssBytes).toBeGreaterThan(0);
      expect(usage?.cpuSeconds).toBeGreaterThanOrEqual(0);
      await runtime.remove(id);
      expect(await runtime.usage(id)).toBeUndefined();
    });

    it('stop: a process that honours SIGTERM exits in the grace period with its own code', async () => {
      const id = await runtime.start(spec('honoursTerm', 'web.5'));
      const output = await runtime.follow(id);
      await waitFor(async () => (await runtime.state(id)).running);
      await untilLine(output, 'ready');
      await runtime.stop(id, 30);
      expect(await runtime.state(id)).toEqual({ running: false, exitCode: 0, oomKilled: false });
      expect(await readAll(await runtime.follow(id))).toBe('ready\nbye\n');
      await runtime.stop(id, 30); // a stopped container is fine
      await runtime.remove(id);
    });

    it('stop: a process that ignores SIGTERM is killed after the grace period (137)', async () => {
      const id = await runtime.start(spec('ignoresTerm', 'web.6'));
      await untilLine(await runtime.follow(id), 'ready');
      await runtime.stop(id, 1);
      expect(await runtime.state(id)).toEqual({ running: false, exitCode: 137, oomKilled: false });
      expect(await readAll(await runtime.follow(id))).toBe('ready\nignored\n');
      await runtime.remove(id);
    });

    it('signal: SIGTERM ends a process without a trap with 143, SIGKILL with 137', async () => {
      const term = await runtime.start(spec('sleeps', 'web.7'));
      const kill = await runtime.start(spec('sleeps', 'web.8'));
      await runtime.signal(term, 'SIGTERM');
      await runtime.signal(kill, 'SIGKILL');
      expect(await runtime.wait(term)).toEqual({ running: false, exitCode: 143, oomKilled: false });
      expect(await runtime.wait(kill)).toEqual({ running: false, exitCode: 137, oomKilled: false });
      await runtime.signal(kill, 'SIGTERM'); // nothing to signal is fine
      await runtime.remove(term);
      await runtime.remove(kill);
    });

    it('a process past its memory limit is OOM-killed: 137 and oomKilled', async () => {
      const id = await runtime.start(spec('eatsMemory', 'web.9', { memoryBytes: 64 * MB }));
      expect(await runtime.wait(id)).toEqual({ running: false, exitCode: 137, oomKilled: true });
      await runtime.remove(id);
    });

    it('remove: kills a running container, whoever waits hears 137, and removing twice is fine', async () => {
      const id = await runtime.start(spec('sleeps', 'web.10'));
      const waited = runtime.wait(id);
      await runtime.remove(id);
      expect(await waited).toEqual({ running: false, exitCode: 137, oomKilled: false });
      expect(await runtime.state(id)).toEqual({ running: false, exitCode: 137, oomKilled: false });
      expect(await runtime.listByLabel({ app: unique, dyno: 'web.10' })).toEqual([]);
      await runtime.remove(id);
    });

    it('exec: the exit code, stdout and stderr of a command in a running container', async () => {
      const id = await runtime.start(spec('sleeps', 'web.11'));
      const out = collect();
      const err = collect();
      expect(await runtime.exec(id, { cmd: ['bash', '-c', 'echo out; echo err >&2; exit 3'], stdout: out.stream, stderr: err.stream })).toBe(3);
      expect(out.text()).toBe('out\n');
      expect(err.text()).toBe('err\n');
      await runtime.remove(id);
    });

    it('exec: stdin feeds the command and its end closes it', async () => {
      const id = await runtime.start(spec('sleeps', 'web.16'));
      const out = collect();
      const stdin = new PassThrough();
      const code = runtime.exec(id, { cmd: ['bash', '-c', 'read line; echo "got $line"; exit 4'], stdin, stdout: out.stream });
      stdin.end('hello\n');
      expect(await code).toBe(4);
      expect(out.text()).toBe('got hello\n');
      await runtime.remove(id);
    });

    it('exec with a tty: stdout and stderr together, lines ending in CR LF', async () => {
      const id = await runtime.start(spec('sleeps', 'web.17'));
      const out = collect();
      const stdin = new PassThrough();
      expect(await runtime.exec(id, { cmd: ['bash', '-c', 'echo one; echo two >&2'], stdin, tty: true, stdout: out.stream })).toBe(0);
      expect(out.text()).toBe('one\r\ntwo\r\n');
      stdin.end();
      await runtime.remove(id);
    });

    it('exec: a command still running when its container is removed ends with 137', async () => {
      const id = await runtime.start(spec('sleeps', 'web.15'));
      const running = runtime.exec(id, { cmd: ['bash', '-c', 'sleep 300'] });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await runtime.remove(id);
      expect(await running).toBe(137);
    });

    it('runAttached: stdin feeds the process, its output comes back, the container is removed', async () => {
      const stdin = new PassThrough();
      const output = collect();
      let started = false;
      const exit = runtime.runAttached(
        { ...spec('echoesStdin', 'run.4'), labels: { app: unique, role: 'run', dyno: 'run.4' } },
        { stdin, output: output.stream, tty: false, onStart: () => (started = true) },
      );
      await waitFor(async () => started);
      stdin.end('hi\n');
      expect(await exit).toBe(0);
      expect(output.text()).toBe('got hi\n');
      expect(await runtime.listByLabel({ app: unique, dyno: 'run.4' })).toEqual([]);
    });

    it('runAttached with a TTY: the terminal echoes input and ends lines with CR LF', async () => {
      const stdin = new PassThrough();
      const output = collect();
      const exit = runtime.runAttached(
        { ...spec('echoesStdin', 'run.6'), labels: { app: unique, role: 'run', dyno: 'run.6' } },
        // A terminal's stdin stays open (the CLI never ends it); the process ends after one line.
        { stdin, output: output.stream, tty: true, columns: 80, lines: 24, onStart: () => stdin.write('hi\n') },
      );
      expect(await exit).toBe(0);
      expect(output.text()).toBe('hi\r\ngot hi\r\n');
      stdin.end();
    });

    it('exec of kill -TERM -1 reaches the main process under an init', async () => {
      const id = await runtime.start(spec('honoursTerm', 'web.13'));
      await untilLine(await runtime.follow(id), 'ready');
      // The exec races the container's stop: it ends 0, or 137 when the container stopped (main process gone) first.
      expect([0, 137]).toContain(await runtime.exec(id, { cmd: ['bash', '-c', 'kill -TERM -1 2>/dev/null; true'] }));
      expect(await runtime.wait(id)).toEqual({ running: false, exitCode: 0, oomKilled: false });
      expect(await readAll(await runtime.follow(id))).toBe('ready\nbye\n');
      await runtime.remove(id);
    });

    it('changes: what was written in a container, its parent directories as changed, after it stopped; nothing once gone', async () => {
      const id = await runtime.create({ ...spec('catsGreeting', 'build.2'), labels: { app: unique, role: 'build' } });
      await runtime.putArchive(id, '/tmp', tarOf({ 'uploads/': '', 'uploads/avatar.png': 'png\n' }));
      const changes = await runtime.changes(id);
      expect(changes).toContainEqual({ path: '/tmp/uploads/avatar.png', kind: 'added' });
      expect(changes).toContainEqual({ path: '/tmp/uploads', kind: 'added' });
      expect(changes).toContainEqual({ path: '/tmp', kind: 'changed' });
      expect(changes.some((change) => change.path === '/')).toBe(false);
      // What the engine put there itself (its init, under `init: true`) is not the container's doing.
      expect(changes.filter((change) => change.path.includes('docker-init'))).toEqual([]);
      await runtime.remove(id);
      expect(await runtime.changes(id)).toEqual([]);
    });

    it('archives in and out of a container; commit makes an image with its files and labels; images go', async () => {
      const ref = `berth/${unique}:committed`;
      images.push(ref);
      const id = await runtime.create({ ...spec('catsGreeting', 'build.1'), labels: { app: unique, role: 'build' } });
      expect((await runtime.listByLabel({ app: unique, role: 'build' }))[0]?.state).toBe('created');
      await runtime.putArchive(id, '/tmp', tarOf({ 'greeting/': '', 'greeting/hello.txt': 'hello from a tar\n' }));
      expect(await untar(await runtime.getArchive(id, '/tmp/greeting'))).toEqual({ 'greeting/': '<dir>', 'greeting/hello.txt': 'hello from a tar\n' });
      await expect(runtime.getArchive(id, '/tmp/nothing-here')).rejects.toThrow();
      const info = await runtime.commit(id, ref, { changes: [`LABEL berth.app=${unique} berth.slug=s1`, 'ENV GREETING=committed'] });
      await runtime.remove(id);
      expect(info.ref).toBe(ref);
      expect(info.labels).toMatchObject({ 'berth.app': unique, 'berth.slug': 's1' });
      expect(await runtime.imageExists(ref)).toBe(true);
      expect((await runtime.imageInfo(ref))?.id).toBe(info.id);
      expect((await runtime.listImages([`berth.app=${unique}`, 'berth.slug'])).map((i) => i.id)).toEqual([info.id]);
      expect(await runtime.listImages([`berth.app=${unique}`, 'berth.slug=other'])).toEqual([]);

      const out = collect();
      expect(await runtime.run({ ...spec('catsGreeting', 'run.5'), image: ref, stdout: out.stream })).toBe(0);
      expect(out.text()).toBe('hello from a tar\n');

      await runtime.removeImage(ref);
      expect(await runtime.imageExists(ref)).toBe(false);
      expect(await runtime.imageInfo(ref)).toBeUndefined();
      await runtime.removeImage(ref); // removing twice is fine
      await expect(runtime.start({ ...spec('sleeps', 'web.12'), image: ref })).rejects.toThrow();
    });

    it('builds an image from a Dockerfile: steps stream, build args, stages and the target, labels, CMD; tags', async () => {
      const base = `berth/${unique}:base`;
      const ref = `berth/${unique}:built`;
      const first = `berth/${unique}:first`;
      images.push(base, ref, first);
      await runtime.tagImage(image, base);
      expect((await runtime.imageInfo(base))?.id).toBe((await runtime.imageInfo(image))?.id);
      const dockerfile = [
        'ARG BASE',
        'FROM ${BASE} AS first',
        'ARG GREETING=hello',
        'LABEL stage=first greeting=$GREETING',
        'CMD ["bash", "-c", "echo first"]',
        'FROM first',
        'LABEL stage=second',
        'CMD echo "$GREETING from second"',
      ].join('\n');
      const context = () => tarOf({ 'sub/': '', 'sub/Dockerfile.web': dockerfile });
      const out = collect();
      const built = await runtime.buildImage({
        context: context(),
        dockerfile: 'sub/Dockerfile.web',
        ref,
        buildArgs: { BASE: base, GREETING: 'hi' },
        labels: { 'berth.app': unique },
        output: out.stream,
      });
      expect(out.text()).toMatch(/^Step 1\/\d+ : ARG BASE$/m);
      expect(out.text()).toMatch(/Successfully built [0-9a-f]{12}/);
      expect(built).toMatchObject({ ref, labels: { 'berth.app': unique, stage: 'second', greeting: 'hi' }, cmd: ['/bin/sh', '-c', 'echo "$GREETING from second"'] });
      expect((await runtime.imageInfo(ref))?.cmd).toEqual(['/bin/sh', '-c', 'echo "$GREETING from second"']);
      expect((await runtime.listImages([`berth.app=${unique}`, 'stage=second'])).map((i) => i.id)).toEqual([built.id]);

      const target = await runtime.buildImage({ context: context(), dockerfile: 'sub/Dockerfile.web', ref: first, target: 'first', buildArgs: { BASE: base } });
      expect(target).toMatchObject({ labels: { stage: 'first', greeting: 'hello' }, cmd: ['bash', '-c', 'echo first'] });

      await expect(
        runtime.buildImage({ context: tarOf({ Dockerfile: `FROM ${base}\nRUN exit 3\n` }), dockerfile: 'Dockerfile', ref: `berth/${unique}:failed` }),
      ).rejects.toMatchObject({ name: 'ImageBuildError', message: expect.stringContaining('returned a non-zero code: 3') });
      // Removing the second name leaves the image under its first.
      await runtime.removeImage(base);
      expect(await runtime.imageExists(base)).toBe(false);
      expect(await runtime.imageExists(image)).toBe(true);
    });

    it('imports a root filesystem tarball as an image with the given labels', async () => {
      const ref = `berth/${unique}:imported`;
      images.push(ref);
      const info = await runtime.importRootfs(tarOf({ 'etc/': '', 'etc/motd': 'imported\n' }), ref, { changes: [`LABEL berth.app=${unique}`] });
      expect(info.ref).toBe(ref);
      expect(info.labels['berth.app']).toBe(unique);
      expect(await runtime.imageExists(ref)).toBe(true);
      await runtime.removeImage(ref);
      expect(await runtime.imageExists(ref)).toBe(false);
    });

    it('volumes: created once, listed by label, removed', async () => {
      const volume = `berth-${unique}-cache`;
      volumes.push(volume);
      await runtime.ensureVolume(volume, { 'berth.app': unique, 'berth.cache': 'build' });
      await runtime.ensureVolume(volume, { 'berth.app': unique, 'berth.cache': 'build' });
      expect(await runtime.listVolumes([`berth.app=${unique}`])).toEqual([volume]);
      expect(await runtime.listVolumes([`berth.app=${unique}`, 'berth.cache=node-dist'])).toEqual([]);
      await runtime.removeVolume(volume);
      await runtime.removeVolume(volume);
      expect(await runtime.listVolumes([`berth.app=${unique}`])).toEqual([]);
    });

    it('a named volume bound into containers keeps what one wrote for the next', async () => {
      const volume = `berth-${unique}-shared`;
      volumes.push(volume);
      await runtime.ensureVolume(volume, { 'berth.app': unique });
      const writer = await runtime.start({ ...spec('sleeps', 'build.2'), binds: [`${volume}:/cache`] });
      expect(await runtime.exec(writer, { cmd: ['bash', '-c', 'echo kept > /cache/kept.txt'] })).toBe(0);
      await runtime.remove(writer);
      const out = collect();
      expect(await runtime.run({ ...spec('catsCache', 'build.3'), binds: [`${volume}:/cache`], stdout: out.stream })).toBe(0);
      expect(out.text()).toBe('kept\n');
    });
  });
}

/** Polls a condition the engine reports (no fixed sleeps: it returns as soon as it holds). */
async function waitFor(condition: () => Promise<boolean>, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition never held');
}

/** Reads `stream` until a line equal to `line` has come. */
function untilLine(stream: Readable, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (seen.split('\n').includes(line)) {
        stream.off('data', onData);
        stream.resume();
        resolve();
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`stream ended before "${line}"; it said: ${seen}`)));
  });
}
