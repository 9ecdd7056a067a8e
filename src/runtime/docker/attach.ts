// Output of containers on dockerode: run to completion, run attached to a terminal-like peer, exec, follow logs.
// Docker multiplexes stdout and stderr on one stream (8-byte frame headers) unless there is a TTY; everything here
// hands callers plain bytes, demultiplexed, and never ends the callers' writables.
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { AttachedIo, ContainerSpec, ExecSpec, RunSpec } from '../port.js';
import { createOptions } from './containers.js';
import { demuxMerged } from './frames.js';
import { statusOf } from './errors.js';

/** Demultiplexes `stream` into `out` and `err` through fresh streams, so its end never ends them. */
function demuxInto(docker: Docker, stream: NodeJS.ReadableStream, out: Writable, err: Writable): void {
  const demuxOut = new PassThrough();
  const demuxErr = new PassThrough();
  demuxOut.on('data', (chunk: Buffer) => out.write(chunk));
  demuxErr.on('data', (chunk: Buffer) => err.write(chunk));
  docker.modem.demuxStream(stream, demuxOut, demuxErr);
}

function endOf(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

export async function run(docker: Docker, spec: RunSpec): Promise<number> {
  const container = await docker.createContainer(createOptions(spec, { attach: true }));
  const onAbort = (): void => {
    container.kill().catch(() => undefined);
  };
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = spec.stdout ?? new PassThrough().resume();
    const err = spec.stderr ?? spec.stdout ?? new PassThrough().resume();
    const ended = endOf(stream);
    demuxInto(docker, stream, out, err);
    if (spec.signal?.aborted) throw new Error('run aborted before start');
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    await ended;
    return result.StatusCode;
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
    await container.remove({ force: true }).catch((e: unknown) => {
      if (statusOf(e) !== 404) throw e;
    });
  }
}

export async function runAttached(docker: Docker, spec: ContainerSpec, io: AttachedIo): Promise<number> {
  const container = await docker.createContainer({
    ...createOptions(spec, { attach: true }),
    Tty: io.tty,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
  });
  try {
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as NodeJS.ReadWriteStream;
    const ended = endOf(stream);
    if (io.tty) stream.on('data', (chunk: Buffer) => io.output.write(chunk));
    else demuxInto(docker, stream, io.output, io.output);
    await container.start();
    // The peer went away (a dropped `heroku run`): nobody will read the output, so the process ends.
    const onAbort = (): void => void container.kill().catch(() => undefined);
    if (io.signal?.aborted) onAbort();
    else io.signal?.addEventListener('abort', onAbort, { once: true });
    if (io.tty && io.columns && io.lines) await container.resize({ w: io.columns, h: io.lines }).catch(() => undefined);
    io.onStart?.();
    io.stdin.on('data', (chunk: Buffer) => stream.write(chunk));
    io.stdin.on('end', () => (stream as unknown as { end(): void }).end());
    const result = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
    return result.StatusCode;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

export async function exec(docker: Docker, id: string, spec: ExecSpec): Promise<number> {
  const interactive = spec.stdin !== undefined;
  const tty = spec.tty === true;
  const exec = await docker.getContainer(id).exec({
    Cmd: [...spec.cmd],
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
    AttachStdin: interactive,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
  });
  const stream = (await exec.start({ hijack: true, stdin: interactive, Tty: tty })) as unknown as NodeJS.ReadWriteStream;
  const out = spec.stdout ?? new PassThrough().resume();
  const err = spec.stderr ?? spec.stdout ?? new PassThrough().resume();
  const ended = endOf(stream);
  if (tty) stream.on('data', (chunk: Buffer) => out.write(chunk));
  else demuxInto(docker, stream, out, err);
  // The peer went away: closing the exec's connection hangs up its terminal (SIGHUP) or ends its stdin.
  const hangUp = (): void => void (stream as unknown as { destroy(): void }).destroy();
  if (spec.signal?.aborted) hangUp();
  else spec.signal?.addEventListener('abort', hangUp, { once: true });
  if (spec.stdin) {
    spec.stdin.on('data', (chunk: Buffer) => stream.write(chunk));
    spec.stdin.on('end', () => (stream as unknown as { end(): void }).end());
  }
  try {
    await ended;
  } finally {
    spec.signal?.removeEventListener('abort', hangUp);
  }
  // A hung-up exec may still be on its way out: wait until the engine says it ended (briefly).
  for (let tries = 0; tries < 50; tries += 1) {
    const info = await exec.inspect();
    if (info.Running !== true) return info.ExitCode ?? -1;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return (await exec.inspect()).ExitCode ?? -1;
}

export async function follow(docker: Docker, id: string, sinceSeconds: number): Promise<Readable> {
  const raw = (await docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true, since: sinceSeconds })) as unknown as Readable;
  const merged = new PassThrough();
  demuxMerged(raw, merged);
  raw.on('end', () => merged.end());
  raw.on('error', () => merged.end());
  return merged;
}
