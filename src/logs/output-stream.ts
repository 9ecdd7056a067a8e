// Build and release-phase output: appended to a file while it runs, readable by any number of followers at once
// (the `output_stream_url` GET, a git push), each from the first byte, live until the stream ends, then replayed
// from the file. Memory stays bounded: followers read the file, not a buffer; what a process prints is capped
// (`maxBytes`, then one notice line) and its writable waits for the disk once a little is queued. A queued build's
// stream opens its file only when the build starts (`deferOpen`): a thousand queued builds hold no descriptors.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';

export interface OutputStreamOptions {
  /**
   * The most bytes `write` keeps (a build's or release command's own output); past it a notice line is written once
   * and the rest is dropped. Platform lines (`line`) are always kept.
   */
  readonly maxBytes?: number;
  /** Adds to an existing file instead of starting it afresh (recovery's notice on a killed build's output). */
  readonly append?: boolean;
  /**
   * The file is not opened until `open()`, `end()`, or more than a few KiB waits: until then what is written (a
   * queued build's waiting lines) is held in memory, and followers read it from there.
   */
  readonly deferOpen?: boolean;
}

/** A producer that honours backpressure is held back once this much waits for the disk. */
const QUEUED_BYTES_HIGH_WATER = 1024 * 1024;
/** A deferred stream opens its file once more than this is held (it holds platform lines, not a process's output). */
const HELD_BYTES_MAX = 64 * 1024;

export class OutputStream {
  readonly path: string;
  #file: WriteStream | undefined;
  #written = 0;
  #ended = false;
  readonly #events = new EventEmitter();
  #ready: Promise<void>;
  readonly #maxBytes: number;
  /** Bytes `write` accepted (kept) so far, and whether it has started dropping. */
  #accepted = 0;
  #truncated = false;
  /** Bytes handed to the file and not yet written. */
  #queued = 0;
  /** While the file is not open (deferOpen): what was written so far, in order. */
  #held: Buffer[] | undefined;
  #heldBytes = 0;
  /** Settles once the file exists and is open (undefined: not opened yet). */
  #opened: Promise<void> | undefined;
  readonly #appendToFile: boolean;

  constructor(path: string, options: OutputStreamOptions = {}) {
    this.path = path;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#appendToFile = options.append === true;
    this.#events.setMaxListeners(0);
    if (options.deferOpen === true) {
      this.#held = [];
      this.#ready = Promise.resolve();
    } else {
      this.#ready = this.#openFile();
    }
  }

  #openFile(): Promise<void> {
    // Followers open the file to read it: it must exist before anyone is told the stream is ready.
    this.#opened = mkdir(dirname(this.path), { recursive: true })
      .then(async () => {
        if (this.#appendToFile) this.#written = await stat(this.path).then((info) => info.size, () => 0);
      })
      .then(
        () =>
          new Promise<void>((resolve, reject) => {
            const file = createWriteStream(this.path, { flags: this.#appendToFile ? 'a' : 'w' });
            file.once('open', () => resolve());
            file.once('error', reject);
            this.#file = file;
          }),
      );
    return this.#opened;
  }

  /** Opens a deferred stream's file and writes what was held; nothing if it is open already. */
  open(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#heldBytes = 0;
    this.#ready = this.#openFile();
    for (const chunk of held) this.#appendChunk(chunk);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Appends output, up to `maxBytes` in all; lines written in order stay in order for every follower. Past the cap,
   * one notice line, then nothing.
   */
  write(text: string | Buffer): void {
    if (this.#ended || this.#truncated) return;
    const chunk = typeof text === 'string' ? Buffer.from(text) : text;
    const room = this.#maxBytes - this.#accepted;
    if (chunk.length <= room) {
      this.#accepted += chunk.length;
      this.#appendChunk(chunk);
      return;
    }
    this.#truncated = true;
    this.#accepted = this.#maxBytes;
    this.#appendChunk(chunk.subarray(0, room));
    this.#appendChunk(Buffer.from(`\n !     Output truncated after ${sizeText(this.#maxBytes)} (BERTH_OUTPUT_MAX_BYTES); the rest is not kept.\n`));
  }

  #appendChunk(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#held !== undefined) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      this.#events.emit('data');
      if (this.#heldBytes > HELD_BYTES_MAX) this.open();
      return;
    }
    this.#queued += chunk.length;
    this.#ready = this.#ready.then(
      () =>
        new Promise<void>((resolve, reject) => {
          (this.#file as WriteStream).write(chunk, (error) => {
            this.#queued -= chunk.length;
            if (error) return reject(error);
            this.#written += chunk.length;
            this.#events.emit('data');
            resolve();
          });
        }),
    );
  }

  /**
   * A Node Writable onto this stream, for container output (capped like `write`); ending it does not end the stream.
   * It holds its producer back while more than a little waits for the disk.
   */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.write(chunk);
        if (this.#queued <= QUEUED_BYTES_HIGH_WATER || this.#ended) return done();
        this.#ready.then(
          () => done(),
          (error: unknown) => done(error as Error),
        );
      },
    });
  }

  /** Writes `line` plus a newline: a platform line, kept even past the cap. */
  line(line = ''): void {
    if (this.#ended) return;
    this.#appendChunk(Buffer.from(`${line}\n`));
  }

  async end(): Promise<void> {
    if (this.#ended) return this.#ready;
    this.#ended = true;
    // A stream that never opened (a build cancelled in the queue) still leaves its file, for replays.
    this.open();
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
    let handle: FileHandle | undefined;
    try {
      let position = 0;
      for (;;) {
        if (signal?.aborted) return;
        if (this.#held !== undefined) {
          // Not opened yet: the held bytes are the stream's first bytes, and the file starts with them once opened.
          if (this.#heldBytes > position) {
            const held = Buffer.concat(this.#held).subarray(position);
            position += held.length;
            yield held;
          } else {
            await this.#change(signal);
          }
          continue;
        }
        if (handle === undefined) {
          await this.#opened;
          handle = await open(this.path, 'r');
        }
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
        await this.#change(signal);
      }
    } finally {
      await handle?.close();
    }
  }

  /** Resolves at the next write, the end, or the abort of `signal`. */
  #change(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
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

  async #settled(): Promise<boolean> {
    await this.#ready;
    return true;
  }
}

function sizeText(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${bytes} bytes`;
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
