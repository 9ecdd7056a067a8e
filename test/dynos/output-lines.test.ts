// Dyno output is split into log lines on bytes: newlines, and every 10,000 bytes whatever the newlines (logplex).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineSplitter, pumpLines } from '../../src/dynos/output-lines.js';

function split(chunks: ReadonlyArray<string | Buffer>, maxBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxBytes);
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe('splitting dyno output into lines', () => {
  it('25,000 bytes without a newline are 3 lines of at most 10,000 bytes', () => {
    const lines = split([Buffer.alloc(25_000, 'a')]);
    expect(lines.map((l) => Buffer.byteLength(l))).toEqual([10_000, 10_000, 5_000]);
  });

  it('flushes a line every 10,000 bytes while a newline never comes, whatever the chunk sizes', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    for (let i = 0; i < 100; i += 1) splitter.push(Buffer.alloc(1_000, 'z'));
    // 100,000 bytes so far: the 10th line is held back until a byte after it shows it is not ended by a newline.
    expect(lines.length).toBe(9);
    expect(lines.every((l) => l.length === 10_000)).toBe(true);
    splitter.push(Buffer.from('\n'));
    expect(lines.length).toBe(10);
  });

  it('splits on newlines across chunks and drops CR of CRLF', () => {
    expect(split(['one\r\ntw', 'o\n', 'three\r', '\nfour'])).toEqual(['one', 'two', 'three', 'four']);
  });

  it('keeps empty lines and a 10,000-byte line followed by CRLF whole', () => {
    const exact = 'x'.repeat(10_000);
    expect(split([`a\n\nb\n${exact}\r\nc\n`])).toEqual(['a', '', 'b', exact, 'c']);
  });

  it('does not cut a multi-byte UTF-8 character in half', () => {
    // 9,999 ASCII bytes, then a 3-byte character straddling the 10,000-byte mark.
    const text = `${'a'.repeat(9_999)}€tail`;
    const lines = split([text]);
    expect(lines).toEqual(['a'.repeat(9_999), '€tail']);
    const emoji = '😀'.repeat(3_000); // 4 bytes each: 12,000 bytes
    const pieces = split([emoji]);
    expect(pieces.join('')).toBe(emoji);
    expect(pieces.every((p) => Buffer.byteLength(p) <= 10_000 && !p.includes('\uFFFD'))).toBe(true);
  });

  it('a UTF-8 character split across chunks stays whole', () => {
    const euro = Buffer.from('€');
    expect(split([Buffer.concat([Buffer.from('x'), euro.subarray(0, 1)]), euro.subarray(1), Buffer.from('\n')])).toEqual(['x€']);
  });

  it('pumpLines hands out the last unterminated line when the stream ends', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const pumped = pumpLines(stream, (line) => lines.push(line));
    stream.write('first\nsec');
    stream.end('ond');
    await pumped;
    expect(lines).toEqual(['first', 'second']);
  });

  it('memory stays bounded: 50 MB without a newline is 5,000 lines, never one big string', async () => {
    const stream = new PassThrough();
    let count = 0;
    let longest = 0;
    const pumped = pumpLines(stream, (line) => {
      count += 1;
      longest = Math.max(longest, line.length);
    });
    const chunk = Buffer.alloc(65_536, 0);
    let sent = 0;
    while (sent + chunk.length <= 50_000_000) {
      stream.write(chunk);
      sent += chunk.length;
    }
    stream.end(Buffer.alloc(50_000_000 - sent, 0));
    await pumped;
    expect(count).toBe(5_000);
    expect(longest).toBe(10_000);
  });
});
