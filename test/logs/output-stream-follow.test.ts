// Build and release-phase output streams (output_stream_url): every follower gets every byte from the first, live,
// in order, and the stream ends with the build; afterwards the file replays it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputStream, replayFile } from '../../src/logs/index.js';

const dir = await mkdtemp(join(tmpdir(), 'berth-output-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => new OutputStream(join(dir, 'builds', `b${n++}.log`));

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all).toString('utf8');
}

describe('output streams', () => {
  it('a follower gets what was written before it came, then what comes live, and ends with the stream', async () => {
    const out = fresh();
    out.line('-----> Building on the Heroku-24 stack');
    const following = collect(out.follow());
    await new Promise((resolve) => setTimeout(resolve, 20));
    out.line('-----> Node.js app detected');
    out.write('partial ');
    out.line('line');
    await out.end();
    expect(await following).toBe('-----> Building on the Heroku-24 stack\n-----> Node.js app detected\npartial line\n');
  });

  it('several followers at once each get every byte in order', async () => {
    const out = fresh();
    const followers = [collect(out.follow()), collect(out.follow()), collect(out.follow())];
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    for (const line of lines) out.line(line);
    await out.end();
    const expected = lines.map((line) => `${line}\n`).join('');
    expect(await Promise.all(followers)).toEqual([expected, expected, expected]);
  });

  it('after the end, a follower and a replay of the file get the whole output', async () => {
    const out = fresh();
    out.line('one');
    out.line('two');
    await out.end();
    expect(await collect(out.follow())).toBe('one\ntwo\n');
    expect(await collect(replayFile(out.path))).toBe('one\ntwo\n');
  });

  it('writes after the end are dropped', async () => {
    const out = fresh();
    out.line('kept');
    await out.end();
    out.line('dropped');
    expect(out.ended).toBe(true);
    expect(await collect(replayFile(out.path))).toBe('kept\n');
  });

  it('container output through writable(); ending the writable does not end the stream', async () => {
    const out = fresh();
    const writable = out.writable();
    writable.write('from the container\n');
    await new Promise<void>((resolve) => writable.end(resolve));
    expect(out.ended).toBe(false);
    out.line(' !     Push failed');
    await out.end();
    expect(await collect(replayFile(out.path))).toBe('from the container\n !     Push failed\n');
  });

  it('a follower that hangs up (abort) stops without waiting for the end', async () => {
    const out = fresh();
    out.line('first');
    const abort = new AbortController();
    const following = collect(out.follow(abort.signal));
    await new Promise((resolve) => setTimeout(resolve, 20));
    abort.abort();
    expect(await following).toBe('first\n');
    await out.end();
  });

  it('a replay of a stream that never existed is empty, not an error', async () => {
    expect(await collect(replayFile(join(dir, 'nope.log')))).toBe('');
  });
});
