import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxMerged, FrameReader } from '../../src/runtime/docker/frames.js';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('Docker multiplexed output', () => {
  it('gives the payloads of every frame in a chunk, stdout and stderr in order, as one buffer', () => {
    const reader = new FrameReader();
    const chunk = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(reader.push(chunk).toString()).toBe('out 1\nerr 1\nout 2\n');
  });

  it('keeps a frame cut anywhere (in its header or its payload) until the rest arrives', () => {
    const whole = Buffer.concat(Array.from({ length: 50 }, (_, i) => frame(1 + (i % 2), `line ${i} ${'é'.repeat(i)}\n`)));
    const expected = Array.from({ length: 50 }, (_, i) => `line ${i} ${'é'.repeat(i)}\n`).join('');
    for (const size of [1, 3, 7, 8, 9, 64, 1000]) {
      const reader = new FrameReader();
      const out: Buffer[] = [];
      for (let at = 0; at < whole.length; at += size) out.push(reader.push(whole.subarray(at, at + size)));
      expect(Buffer.concat(out).toString(), `chunks of ${size}`).toBe(expected);
    }
  });

  it('passes output through as it is once it is not multiplexed (a TTY)', () => {
    const reader = new FrameReader();
    expect(reader.push(Buffer.from('plain output\n')).toString()).toBe('plain output\n');
    expect(reader.push(frame(1, 'x')).toString()).toBe(frame(1, 'x').toString());
  });

  it('demuxMerged writes one chunk per chunk read, and nothing for a chunk that completes no frame', () => {
    const raw = new PassThrough();
    const out = new PassThrough();
    const writes: string[] = [];
    out.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
    demuxMerged(raw, out);
    const both = Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]);
    raw.write(both.subarray(0, 4));
    raw.write(both.subarray(4));
    raw.write(frame(1, 'c\n'));
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });
});
