// `berth doctor [dir]`'s text output: each finding with its fix, or one line saying there is none.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { doctor } from '../../src/cli/doctor.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

async function run(dir: string, json = false): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await doctor(dir, { json, out });
  return text;
}

describe('berth doctor', () => {
  it('prints each finding and its fix', async () => {
    const dir = join(FIXTURES, 'doctor', 'sqlite');
    expect(await run(dir)).toBe(
      [
        `=== 1 finding in ${dir}`,
        '',
        " !     SQLite (better-sqlite3 in package.json) keeps its data on the dyno's ephemeral filesystem: it is lost at every restart, at least daily",
        '       Fix: Use Heroku Postgres (heroku addons:create heroku-postgresql) through DATABASE_URL instead',
        '',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to mind, and prints an empty list as JSON', async () => {
    const dir = join(FIXTURES, 'python-stdlib');
    expect(await run(dir)).toBe(`No findings: nothing in ${dir} goes against Heroku's advice.\n`);
    expect(JSON.parse(await run(dir, true))).toEqual({ findings: [] });
  });
});
