// Docker's multiplexed output (each frame: 1 byte stream type, 3 zero bytes, a big-endian uint32 length, the payload)
// as one stream of stdout and stderr bytes, in order. docker-modem's demuxStream copies the rest of its buffer at every
// frame header and every payload: quadratic in the frames of a chunk, and a dyno printing 10,000 lines/s sends one
// frame per line, hundreds per chunk. This walks each chunk once and writes all its payloads as one buffer.
import type { Readable, Writable } from 'node:stream';

const HEADER_BYTES = 8;

/** Splits multiplexed chunks into their payloads; bytes of an unfinished frame wait for the next chunk. */
export class FrameReader {
  #pending: Buffer | undefined;
  /** Not multiplexed after all (a TTY, or misaligned): every byte from here on is output as it is, as docker-modem does. */
  #raw = false;

  /** The payload bytes of every frame that `chunk` completes, in order (empty when none). */
  push(chunk: Buffer): Buffer {
    if (this.#raw) return chunk;
    const buffer = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = undefined;
    const payloads: Buffer[] = [];
    let at = 0;
    while (buffer.length - at >= HEADER_BYTES) {
      const type = buffer[at];
      if (type !== 0 && type !== 1 && type !== 2) {
        this.#raw = true;
        payloads.push(buffer.subarray(at));
        at = buffer.length;
        break;
      }
      const end = at + HEADER_BYTES + buffer.readUInt32BE(at + 4);
      if (end > buffer.length) break;
      payloads.push(buffer.subarray(at + HEADER_BYTES, end));
      at = end;
    }
    // A copy, so an unfinished frame never pins a whole chunk.
    if (at < buffer.length) this.#pending = Buffer.from(buffer.subarray(at));
    return payloads.length === 1 ? (payloads[0] as Buffer) : Buffer.concat(payloads);
  }
}

/** Writes the payloads of `stream`'s frames (stdout and stderr alike) to `out`, one write per chunk read. */
export function demuxMerged(stream: Readable, out: Writable): void {
  const reader = new FrameReader();
  stream.on('data', (chunk: Buffer) => {
    const payload = reader.push(chunk);
    if (payload.length > 0) out.write(payload);
  });
}
