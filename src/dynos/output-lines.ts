// Dyno output becomes log lines the way logplex makes them: at each newline, and every 10,000 bytes whatever the
// newlines. Splitting on bytes (not on decoded text) keeps the daemon's memory per dyno at one line: a process that
// never prints a newline (`head -c 600000000 /dev/zero`, any binary output) used to grow one string until V8 gave up
// (`RangeError: Invalid string length`) and took the daemon down with it.
import type { Readable } from 'node:stream';

/** Heroku splits a line longer than 10,000 bytes into 10,000-byte lines. */
export const MAX_LINE_BYTES = 10_000;

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #maxBytes: number;
  /** Bytes of the line in progress: never more than `maxBytes` between two pushes. */
  #pending: Buffer = Buffer.alloc(0);

  constructor(onLine: (line: string) => void, maxBytes = MAX_LINE_BYTES) {
    this.#onLine = onLine;
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    const buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let start = 0;
    for (;;) {
      const newline = buffer.indexOf(LF, start);
      const lineEnd = newline !== -1 && newline > start && buffer[newline - 1] === CR ? newline - 1 : newline;
      if (newline !== -1 && lineEnd - start <= this.#maxBytes) {
        this.#emit(buffer, start, lineEnd);
        start = newline + 1;
      } else if (buffer.length - start > this.#maxBytes) {
        // More than a line's worth and no newline within it: cut, as logplex does.
        const cut = characterBoundary(buffer, start, start + this.#maxBytes);
        this.#emit(buffer, start, cut);
        start = cut;
      } else break;
    }
    // A copy, so the pending bytes never pin a large chunk.
    this.#pending = Buffer.from(buffer.subarray(start));
  }

  /** The stream ended: what is left is the last line. */
  end(): void {
    if (this.#pending.length > 0) this.#emit(this.#pending, 0, this.#pending.length);
    this.#pending = Buffer.alloc(0);
  }

  #emit(buffer: Buffer, start: number, end: number): void {
    this.#onLine(buffer.toString('utf8', start, end));
  }
}

/**
 * `limit`, moved back to the start of the UTF-8 character it falls inside, so a multi-byte character is not cut in
 * half. Invalid input (more than 3 continuation bytes) is cut at `limit` as it is.
 */
function characterBoundary(buffer: Buffer, start: number, limit: number): number {
  let cut = limit;
  while (cut > start && limit - cut < 3 && isContinuation(buffer[cut])) cut -= 1;
  return cut > start && !isContinuation(buffer[cut]) ? cut : limit;
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/** Feeds a stream's bytes through a LineSplitter; resolves once the stream has ended (or failed) and the last line is out. */
export function pumpLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const splitter = new LineSplitter(onLine);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      splitter.end();
      resolve();
    };
    stream.on('data', (chunk: Buffer | string) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}
