// berth doctor on every push: its findings are warnings in the build output (`remote:  !     ...` once git prefixes
// them), between the slug and the launch, and the build succeeds all the same.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { scriptBuildpacks, type FakeBuildpack } from '../support/build-container.js';
import { build } from '../support/builds.js';
import { platform, type Platform } from '../support/platform.js';

const nodejs: FakeBuildpack = {
  detect: (files, dir) => (files.read(`${dir}/package.json`) ? 'Node.js' : false),
  release: '---\ndefault_process_types:\n  web: npm start\n',
};

let p: Platform;
let app: AppRecord;
beforeEach(async () => {
  p = await platform();
  app = await p.createApp();
  scriptBuildpacks(p.engine, { nodejs });
});
afterEach(async () => {
  await p.close();
});

describe('a push with something Heroku would mind', () => {
  it('prints each finding and its fix as warnings, and still releases', async () => {
    const { build: done, output } = await build(p, app, {
      'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
      'server.js': "require('http').createServer().listen(8080);",
      '.env': 'SECRET=1',
    });
    expect(done.status).toBe('succeeded');
    const from = output.indexOf('-----> berth doctor: 3 things Heroku would mind (the build goes on)');
    expect(output.slice(from, from + 8)).toEqual([
      '-----> berth doctor: 3 things Heroku would mind (the build goes on)',
      ' !     The web process listens on fixed port 8080 (server.js) instead of $PORT: on Heroku it crashes with Error R10 (Boot timeout)',
      ' !     Fix: Listen on the port in the PORT environment variable (process.env.PORT, os.environ["PORT"]), which changes each boot',
      ' !     Node version not specified in package.json',
      ' !     Fix: Specify a node version in package.json: "engines": { "node": "24.x" }',
      ' !     A .env file is committed (.env): its values ship in every slug and in the repo\'s history',
      ' !     Fix: Set the values as config vars (heroku config:set NAME=value), add .env to .gitignore and remove it from git',
      '-----> Launching...',
    ]);
    expect(output.at(-2)).toMatch(/^       Released v\d+$/);
  });

  it('uses the process types the build found: the buildpack default counts as one', async () => {
    const { output } = await build(p, app, { 'package.json': '{"engines":{"node":"24.x"}}', 'index.js': '' });
    expect(output.some((line) => line.startsWith('-----> berth doctor'))).toBe(false);
  });
});
