// Host commands the stack build needs (debootstrap, chroot apt-get, tar). Output goes to a log
// file; a failure quotes that log's tail, so the person at the terminal sees why.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export class CommandLog {
  private readonly stream: WriteStream;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }
  write(text: string): void {
    this.stream.write(text);
  }
  sink(): WriteStream {
    return this.stream;
  }
  async tail(lines = 25): Promise<string> {
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
    const text = await readFile(this.path, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

export async function run(cmd: string, args: readonly string[], log: CommandLog, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  log.write(`\n$ ${cmd} ${args.join(' ')}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => log.write(c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => log.write(c.toString('utf8')));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`${cmd} ${args.slice(0, 6).join(' ')}${args.length > 6 ? ' ...' : ''} exited with ${code}. Last lines of ${log.path}:\n${await log.tail()}`);
  }
}

/** Starts a command whose stdout the caller consumes; `done` settles when it exits. */
export function produce(cmd: string, args: readonly string[], log: CommandLog): { stdout: Readable; done: Promise<void> } {
  log.write(`\n$ ${cmd} ${args.join(' ')}\n`);
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.on('data', (c: Buffer) => log.write(c.toString('utf8')));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else void log.tail().then((tail) => reject(new Error(`${cmd} exited with ${code}. Last lines of ${log.path}:\n${tail}`)));
    });
  });
  return { stdout: child.stdout, done };
}
