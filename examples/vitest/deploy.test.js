// A vitest test suite using Berth as a fixture (README "Berth inside test suites"). `berth/testing` is the package
// export (here resolved from inside the Berth checkout itself; in your project, after `npm install -D berth`).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBerth } from 'berth/testing';

const APP = fileURLToPath(new URL('./app', import.meta.url));

/** @type {import('berth/testing').Berth} */
let berth;
beforeAll(async () => {
  berth = await startBerth();
});
afterAll(() => berth?.stop());

it('deploys the app through the Build API and serves it through the router', async () => {
  const { build, release, output } = await berth.deploy(APP, { app: 'vitest-example' });
  expect(build.status, output).toBe('succeeded');
  expect(release?.version).toBe(3);

  await berth.waitFor('vitest-example');
  const response = await berth.fetch('vitest-example', '/hello');
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('Hello from the vitest example: /hello\n');
});

it('scales the web process through the Platform API, and the router still answers', async () => {
  await berth.heroku.patch('/apps/vitest-example/formation/web', { body: { quantity: 2 } });
  const dynos = await berth.waitFor('vitest-example', (list) => list.filter((d) => d.type === 'web' && d.state === 'up').length === 2);
  expect(dynos.map((d) => d.name).sort()).toEqual(['web.1', 'web.2']);
  expect((await berth.fetch('vitest-example', '/')).status).toBe(200);
});
