// The memory engine's own controls (scripts, bound ports, memory readings, faults): what the contract suite cannot
// ask of Docker. What both engines share is pinned in contract.ts.
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryRuntime, connectionReset, type ContainerSpec } from '../../src/runtime/index.js';

const IMAGE = 'berth/heroku-24:run';

function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return { image: IMAGE, cmd: ['bash', '-c', 'node server.js'], labels: { app: 'app-1', role: 'dyno', dyno: 'web.1' }, ...overrides };
}

function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryRuntime', () => {
  it('runs the latest matching script and reports its exit code and output', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(/node server/, () => 3);
    engine.script(/node server\.js/, (proc) => {
      proc.print('hello');
      proc.printError('oops');
      return 2;
    });
    const out = new PassThrough();
    const code = await engine.run({ ...spec(), stdout: out });
    out.end();
    expect(code).toBe(2);
    expect(await text(out)).toBe('hello\noops\n');
  });

  it('exits 1 with the error on stderr when a script throws', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, () => {
      throw new Error('Cannot find module server.js');
    });
    const err = new PassThrough();
    expect(await engine.run({ ...spec(), stderr: err, stdout: new PassThrough() })).toBe(1);
    err.end();
    expect(await text(err)).toContain('Cannot find module server.js');
  });

  it('refuses to start a container of an image it does not know', async () => {
    const engine = new MemoryRuntime();
    await expect(engine.start(spec())).rejects.toThrow('No such image: berth/heroku-24:run');
  });

  it('binds a real loopback port on $PORT while the process lives', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, async (proc) => {
      await proc.listen();
      await proc.forever();
    });
    const port = 20000 + Math.floor(Math.random() * 9000);
    const id = await engine.start(spec({ env: { PORT: String(port) } }));
    await engine.started({ dyno: 'web.1' });
    await vi.waitFor(async () => expect(await accepts(port)).toBe(true));
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('web.1\n');
    await engine.signal(id, 'SIGTERM');
    expect(await engine.wait(id)).toEqual({ running: false, exitCode: 143, oomKilled: false });
    expect(await accepts(port)).toBe(false);
  });

  it('reads memory, and OOM-kills a process past its limit', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, (proc) => proc.forever());
    const id = await engine.start(spec({ memoryBytes: 512 * 1024 * 1024 }));
    const proc = await engine.started({ dyno: 'web.1' });
    proc.memory(600 * 1024 * 1024 - 100 * 1024 * 1024);
    expect(await engine.memoryBytes(id)).toBe(500 * 1024 * 1024);
    proc.memory(600 * 1024 * 1024);
    expect(await engine.wait(id)).toEqual({ running: false, exitCode: 137, oomKilled: true });
    expect(await engine.memoryBytes(id)).toBeUndefined();
  });

  it('lets a test drive a running process from outside', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, (proc) => proc.forever());
    const id = await engine.start(spec());
    const output = await engine.follow(id);
    const proc = engine.process({ dyno: 'web.1' });
    proc?.print('from the test');
    await proc?.exit(4);
    expect(await text(output)).toBe('from the test\n');
    expect((await engine.state(id)).exitCode).toBe(4);
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    vi.useFakeTimers();
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, async (proc) => {
      proc.trap('SIGTERM', () => proc.print('ignoring SIGTERM'));
      await proc.forever();
    });
    const id = await engine.start(spec());
    const output = await engine.follow(id);
    const stopped = engine.stop(id, 30);
    await vi.advanceTimersByTimeAsync(30_000);
    await stopped;
    expect(await engine.state(id)).toEqual({ running: false, exitCode: 137, oomKilled: false });
    expect(await text(output)).toBe('ignoring SIGTERM\n');
    expect(engine.process(id)?.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('fails the next call of a method with a connection reset when a test asks', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, (proc) => proc.forever());
    const id = await engine.start(spec());
    engine.failNext('wait');
    await expect(engine.wait(id)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await engine.state(id)).running).toBe(true);
  });

  it('queues faults per method, in order, then answers again', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.failNext('start', Object.assign(new Error('Conflict'), { statusCode: 409 })).failNext('start', connectionReset());
    await expect(engine.start(spec())).rejects.toMatchObject({ statusCode: 409 });
    await expect(engine.start(spec())).rejects.toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(await engine.start(spec())).toMatch(/^[0-9a-f]{64}$/);
    expect(await engine.listByLabel({ app: 'app-1' })).toHaveLength(1);
  });

  it('drops connections in flight: a pending wait rejects, follow ends, the container keeps running', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, (proc) => proc.forever());
    const id = await engine.start(spec());
    const waiting = engine.wait(id);
    const output = await engine.follow(id);
    engine.process(id)?.print('before the drop');
    engine.dropConnections();
    await expect(waiting).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await text(output)).toBe('before the drop\n');
    expect((await engine.state(id)).running).toBe(true);
  });

  it('goes down and comes back: ping, refused calls, then answers again', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.down();
    expect(await engine.ping()).toBe(false);
    await expect(engine.start(spec())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    engine.up();
    expect(await engine.ping()).toBe(true);
    expect(await engine.start(spec())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('feeds stdin to an attached process and shows its output as a terminal does', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(IMAGE, async (proc) => {
      const line = await proc.readLine();
      proc.print(`you said ${line}`);
      return 0;
    });
    const stdin = new PassThrough();
    const output = new PassThrough();
    let started = false;
    const exit = engine.runAttached(spec({ labels: { app: 'app-1', role: 'run', dyno: 'run.1234' } }), {
      stdin,
      output,
      tty: true,
      onStart: () => (started = true),
    });
    stdin.end('hi\n');
    expect(await exit).toBe(0);
    output.end();
    expect(started).toBe(true);
    expect(await text(output)).toBe('hi\r\nyou said hi\r\n');
    expect(await engine.listByLabel({ app: 'app-1' })).toEqual([]);
  });

  it('runs exec handlers against the container and its files', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.onExec(/^cat /, (exec) => {
      const data = exec.files.read(exec.cmd[1] ?? '');
      if (data === undefined) return 1;
      exec.write(data);
    });
    const id = await engine.start(spec({ cmd: ['sleep', 'infinity'] }));
    expect(await engine.exec(id, { cmd: ['mkdir', '-p', '/app/bin'] })).toBe(0);
    engine.process(id)?.files.write('/app/bin/hello', 'hi there');
    const out = new PassThrough();
    expect(await engine.exec(id, { cmd: ['cat', '/app/bin/hello'], stdout: out })).toBe(0);
    out.end();
    expect(await text(out)).toBe('hi there');
    expect(await engine.exec(id, { cmd: ['whoami'], stdout: new PassThrough() })).toBe(127);
  });

  it('places containers on other nodes: their node address, a server bound there, and a node that leaves', async () => {
    const engine = new MemoryRuntime({ images: [IMAGE] });
    engine.script(/node server\.js/, async (proc) => {
      await proc.listen();
      await proc.forever();
    });
    engine.place((s) => s.labels.dyno === 'web.2', '127.0.0.2');
    const port = 30000 + (process.pid % 2000) * 2;
    const local = await engine.start(spec({ env: { PORT: String(port) } }));
    const away = await engine.start(spec({ labels: { app: 'app-1', role: 'dyno', dyno: 'web.2' }, env: { PORT: String(port + 1) } }));
    expect(await engine.nodeAddress(local)).toBe('127.0.0.1');
    expect(await engine.nodeAddress(away)).toBe('127.0.0.2');
    await vi.waitFor(async () => expect(await accepts(port + 1, '127.0.0.2')).toBe(true));
    expect(await accepts(port + 1, '127.0.0.1')).toBe(false);
    const waited = engine.wait(away);
    engine.leave('127.0.0.2');
    expect(await waited).toEqual({ running: false, exitCode: 137, oomKilled: false });
    expect(await engine.nodeAddress(away)).toBeUndefined();
    expect(await engine.state(local)).toMatchObject({ running: true });
    await engine.remove(local);
  });
});
