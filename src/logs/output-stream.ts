// Build and release-phase output: appended to a file while it runs, readable by any number of followers at once
// (the `output_stream_url` GET, a git push), each from the first byte, live until the stream ends, then replayed
// from the file. Memory stays bounded: followers read the file, not a buffer.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';

export class OutputStream {
  readonly path: string;
  #file: WriteStream | undefined;
  #written = 0;
  #ended = false;
  readonly #events = new EventEmitter();
  #ready: Promise<void>;

  constructor(path: string) {
    this.path = path;
    this.#events.setMaxListeners(0);
    // Followers open the file to read it: it must exist before anyone is told the stream is ready.
    this.#ready = mkdir(dirname(path), { recursive: true }).then(
      () =>
        new Promise<void>((resolve, reject) => {
          const file = createWriteStream(path, { flags: 'w' });
          file.once('open', () => resolve());
          file.once('error', reject);
          this.#file = file;
        }),
    );
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Appends text; lines written in order stay in order for every follower. */
  write(text: string | Buffer): void {
    if (this.#ended) return;
    const chunk = typeof text === 'string' ? Buffer.from(text) : text;
    if (chunk.length === 0) return;
    this.#ready = this.#ready.then(
      () =>
        new Promise<void>((resolve, reject) => {
          (this.#file as WriteStream).write(chunk, (error) => {
            if (error) return reject(error);
            this.#written += chunk.length;
            this.#events.emit('data');
            resolve();
          });
        }),
    );
  }

  /** A Node Writable onto this stream, for container output; ending it does not end the stream. */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.write(chunk);
        done();
      },
    });
  }

  /** Writes `line` plus a newline. */
  line(line = ''): void {
    this.write(`${line}\n`);
  }

  async end(): Promise<void> {
    if (this.#ended) return this.#ready;
    this.#ended = true;
    this.#ready = this.#ready.then(
      () =>
        new Promise<void>((resolve) => {
          this.#file?.end(() => resolve());
        }),
    );
    await this.#ready;
    this.#events.emit('end');
  }

  /** Every byte from the start, then live bytes until the stream ends. */
  async *follow(signal?: AbortSignal): AsyncGenerator<Buffer> {
    await this.#ready;
    const handle = await open(this.path, 'r');
    try {
      let position = 0;
      for (;;) {
        if (signal?.aborted) return;
        const available = this.#written - position;
        if (available > 0) {
          const buffer = Buffer.alloc(Math.min(available, 64 * 1024));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          position += bytesRead;
          if (bytesRead > 0) yield buffer.subarray(0, bytesRead);
          continue;
        }
        if (this.#ended && (await this.#settled())) {
          if (this.#written - position <= 0) return;
          continue;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            this.#events.off('data', done);
            this.#events.off('end', done);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          this.#events.on('data', done);
          this.#events.on('end', done);
          signal?.addEventListener('abort', done);
        });
      }
    } finally {
      await handle.close();
    }
  }

  async #settled(): Promise<boolean> {
    await this.#ready;
    return true;
  }
}

/** Replays a finished stream's file (after a daemon restart, nothing is live any more). */
export async function* replayFile(path: string): AsyncGenerator<Buffer> {
  try {
    await stat(path);
  } catch {
    return;
  }
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield Buffer.from(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}
