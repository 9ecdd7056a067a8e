// A jest test suite using Berth as a fixture (README "Berth inside test suites"). ESM, so jest runs with
// `node --experimental-vm-modules`; `berth/testing` is the package export (here resolved from inside the Berth
// checkout itself; in your project, after `npm install --save-dev berth`).
import { fileURLToPath } from 'node:url';
import { startBerth } from 'berth/testing';

const APP = fileURLToPath(new URL('./app', import.meta.url));

let berth;
beforeAll(async () => {
  berth = await startBerth();
}, 60_000);
afterAll(() => berth?.stop(), 60_000);

test('the app deploys through the Build API and answers through the router', async () => {
  const { build, release, output } = await berth.deploy(APP, { app: 'jest-example' });
  expect(output).toContain('-----> Node.js app detected');
  expect(build.status).toBe('succeeded');
  expect(release.version).toBe(3);

  const [web] = await berth.waitFor('jest-example');
  expect(web.state).toBe('up');
  const response = await berth.fetch('jest-example', '/hello');
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('Hello from the jest example: /hello\n');
}, 300_000);

test('its dyno logs reach the log stream', async () => {
  const lines = await berth.logs('jest-example', { dyno: 'web', match: 'jest example listening on' });
  expect(lines).toHaveLength(1);
});
